"""The model card of a fine-tuned model: what it was made from and how, so it can be reproduced.

It goes into the GGUF metadata (``general.description``, one line, and ``tutor.card``, the JSON) and beside the
file as ``NAME.card.json`` and ``NAME.card.md``.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CARD_KEY = "tutor.card"


def build_card(
    name: str, base: dict[str, Any], license_: str, summary: dict[str, Any], command: list[str]
) -> dict[str, Any]:
    """``summary`` is the training run's ``train.json`` ({} when the adapter came without one)."""
    config = summary.get("config", {})
    return {
        "name": name,
        "base": base,
        "license": license_,
        "data": summary.get("data", {}),
        "steps": summary.get("steps"),
        "epochs": config.get("epochs"),
        "epochs_done": summary.get("epochs_done"),
        "adapter_step": summary.get("adapter_step"),
        "seed": config.get("seed"),
        "lora": {k: config.get(k) for k in ("rank", "alpha", "dropout", "lr", "batch_tokens", "max_length")},
        "metrics": summary.get("metrics", {}),
        "precision": summary.get("precision"),
        "quantization": "LoRA adapter (F16) for the Q4_K_M base; merged, the changed weights are Q8_0",  # tutor.models.merge
        "train_command": shlex.join(config.get("command") or []),
        "export_command": shlex.join(command),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def description(card: dict[str, Any]) -> str:
    data = card["data"]
    metrics = card["metrics"]
    return (
        f"{card['name']}: {card['base'].get('name', card['base'].get('file'))} fine-tuned with LoRA by `tutor train` "
        f"({card['steps']} steps, seed {card['seed']}, data sha256 {str(data.get('sha256', '?'))[:12]}, "
        f"dev loss {metrics.get('best_dev_loss', metrics.get('dev_loss'))}), {card['quantization']}; license {card['license'] or 'the base model'}'s."
    )


def markdown(card: dict[str, Any]) -> str:
    rows = [
        (
            "base",
            f"{card['base'].get('name')} (`{card['base'].get('file')}`, sha256 `{card['base'].get('sha256')}`)",
        ),
        ("license", card["license"] or "see the base model"),
        (
            "data",
            f"sha256 `{card['data'].get('sha256')}`, {card['data'].get('train_examples')} train / "
            f"{card['data'].get('dev_examples')} dev examples",
        ),
        (
            "training",
            f"{card['steps']} steps ({card['epochs_done']} epochs of {card['epochs']}), seed {card['seed']}, "
            f"LoRA {json.dumps(card['lora'])}, {card['precision']}",
        ),
        ("metrics", json.dumps(card["metrics"])),
        ("train command", f"`{card['train_command']}`"),
        ("export command", f"`{card['export_command']}`"),
        ("created", card["created"]),
    ]
    lines = [f"# {card['name']}", "", description(card), "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows]
    return "\n".join(lines) + "\n"


def write_beside(model: Path, card: dict[str, Any]) -> list[Path]:
    stem = model.with_suffix("")
    paths = [stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".card.md")]
    paths[0].write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(card), encoding="utf-8")
    return paths
