"""Training checkpoints: the adapter, the optimizer and scheduler, and the loop's state, in ``OUT/checkpoint-N``.

A checkpoint is written to a temporary folder and renamed into place, so an interrupted save leaves the last good
one; only the newest ``keep`` are kept. ``--resume`` loads the newest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

PREFIX = "checkpoint-"


def checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    found = [p for p in out.glob(f"{PREFIX}*") if p.is_dir() and (p / "state.json").is_file()]
    return sorted(found, key=lambda p: int(p.name[len(PREFIX) :]) if p.name[len(PREFIX) :].isdigit() else -1)


def latest(out: Path) -> Path | None:
    found = checkpoints(out)
    return found[-1] if found else None


def save(out: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any], keep: int = 2) -> Path:
    import torch

    target = out / f"{PREFIX}{state['step']}"
    partial = out / f".{PREFIX}{state['step']}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, partial / "optim.pt"
    )
    (partial / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    for old in checkpoints(out)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load(folder: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    """Restore the adapter weights, optimizer and scheduler from a checkpoint; returns its loop state."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = load_file(str(folder / "adapter_model.safetensors"))
    set_peft_model_state_dict(model, weights)
    saved = torch.load(folder / "optim.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    state: dict[str, Any] = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    return state
