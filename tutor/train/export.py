"""``tutor train export``: a LoRA adapter as a llama.cpp LoRA GGUF, and merged into its base as a model file.

1. the adapter: llama.cpp's own ``convert_lora_to_gguf.py`` (``tutor.train.converter``; it needs only the base's
   config, written here from its GGUF) to a float16 LoRA GGUF, with the model card in its metadata;
2. the model (``--out``): that adapter merged into the base GGUF by ``tutor.models.merge``: the base's Q4_K_M
   tensors and metadata (tokenizer included) as they are, the changed weights in Q8_0, the card added;
3. the card beside each file, and with ``register`` the model in the local model store.

The model is not made by merging in torch, converting to float and quantizing everything to Q4_K_M: the base was
trained in its dequantized 4-bit form, and a LoRA moves its weights by less than a Q4_K step, so that route gives
back the base (measured: the shipped adapter's hints came out as the base's, token for token). The adapter alone
is a few MB that ``tutor.models.merge`` turns into the model on a machine without torch (how the shipped model is
made), or that llama.cpp applies at load time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.models.merge import MergeError, merge_adapter
from tutor.models.store import ModelStore, StoreError
from tutor.train import gguf_meta
from tutor.train.base_model import TrainError, offline, read_base
from tutor.train.converter import LORA_SCRIPT, require_converter
from tutor.train.model_card import CARD_KEY, build_card, description, write_beside


@dataclass
class ExportConfig:
    adapter: Path
    out: Path | None
    base: str = ""  # "": the base named in the training summary
    name: str = ""  # "": the output file's stem
    register: bool = False
    command: list[str] = field(default_factory=list)
    adapter_out: Path | None = None  # also (or only) the adapter as a LoRA GGUF


def locate_adapter(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The adapter folder (the training output or the adapter itself) and the training summary, if any."""
    adapter = folder if (folder / "adapter_config.json").is_file() else folder / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise TrainError(f"no LoRA adapter in {folder} (expected adapter_config.json, or an adapter/ folder)")
    for place in (folder, adapter, adapter.parent):
        summary = place / "train.json"
        if summary.is_file():
            return adapter, json.loads(summary.read_text(encoding="utf-8"))
    return adapter, {}


def convert_adapter(base_path: Path, adapter: Path, target: Path, strings: dict[str, str]) -> None:
    """The PEFT adapter as a float16 llama.cpp LoRA GGUF, with these string keys (the card) added."""
    from transformers import AutoConfig

    script = require_converter(LORA_SCRIPT)
    offline()
    with tempfile.TemporaryDirectory(prefix=".adapter-", dir=target.parent) as folder:
        config_dir = Path(folder) / "base"
        config = AutoConfig.from_pretrained(
            str(base_path.parent), gguf_file=base_path.name, local_files_only=True
        )
        if not getattr(config, "architectures", None):  # the converter picks its model class by this name
            from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

            config.architectures = [MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[config.model_type]]
        config.save_pretrained(config_dir)
        raw = Path(folder) / "lora.gguf"
        command = [sys.executable, str(script), str(adapter), "--base", str(config_dir)]
        command += ["--outfile", str(raw), "--outtype", "f16"]
        done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
        if done.returncode != 0 or not raw.is_file():
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise TrainError(f"llama.cpp's LoRA converter failed: {tail}")
        gguf_meta.add_strings(raw, target, strings)


def export(config: ExportConfig) -> dict[str, Any]:
    adapter, summary = locate_adapter(config.adapter)
    base_name = config.base or summary.get("config", {}).get("base", "")
    if not base_name:
        raise TrainError("which base model? add --base (the adapter has no train.json naming it)")
    base = read_base(base_name)
    base_card = base.card()
    trained_on = summary.get("base", {}).get("sha256")
    if trained_on and trained_on != base_card["sha256"]:
        raise TrainError(f"the adapter was trained on {summary['base'].get('file')}, not {base.path.name}")
    for path in (config.out, config.adapter_out):
        if path is not None and path.suffix != ".gguf":
            raise TrainError(f"the output must be a .gguf file, not {path}")
    if config.out is None and config.adapter_out is None:
        raise TrainError("nothing to write: give --out (the merged model) and/or --adapter-out (the adapter)")
    first = config.out or config.adapter_out
    assert first is not None
    name = config.name or first.stem
    card = build_card(name, base_card, base.license, summary, config.command)
    strings = {"general.name": name, "general.description": description(card), CARD_KEY: json.dumps(card)}
    if base.license:
        strings["general.license"] = base.license
    result: dict[str, Any] = {"card": card, "timings": {}}
    if config.adapter_out is not None:
        result.update(_export_adapter(base.path, adapter, config.adapter_out, strings, card))
    if config.out is not None:
        result.update(_export_merged(config, base.path, adapter, config.out, strings, card))
    return result


def _export_adapter(
    base_path: Path, adapter: Path, out: Path, strings: dict[str, str], card: dict[str, Any]
) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()
    convert_adapter(base_path, adapter, out, strings)
    cards = write_beside(out, card)
    return {
        "adapter_path": str(out),
        "adapter_size_mb": round(out.stat().st_size / 2**20, 1),
        "adapter_cards": [str(p) for p in cards],
        "adapter_s": round(time.perf_counter() - clock, 1),
    }


def _export_merged(
    config: ExportConfig,
    base_path: Path,
    adapter: Path,
    out: Path,
    strings: dict[str, str],
    card: dict[str, Any],
) -> dict[str, Any]:
    """The merged model; from the adapter GGUF just written with ``--adapter-out``, or from a converted copy."""
    out.parent.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out.parent) as folder:
        lora = config.adapter_out or Path(folder) / "adapter.gguf"
        if config.adapter_out is None:
            clock = time.perf_counter()
            convert_adapter(base_path, adapter, lora, strings)
            timings["convert_adapter_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        try:
            merge_adapter(base_path, lora, out)
        except MergeError as exc:
            raise TrainError(f"the adapter could not be merged into {base_path.name}: {exc}") from None
        timings["merge_s"] = time.perf_counter() - clock
    cards = write_beside(out, card)
    result: dict[str, Any] = {
        "path": str(out),
        "size_mb": round(out.stat().st_size / 2**20, 1),
        "cards": [str(p) for p in cards],
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }
    if config.register:
        try:
            result["registered"] = ModelStore().import_file(out).id
        except StoreError as exc:
            raise TrainError(f"exported to {out}, but not registered: {exc}") from None
    return result
