"""``tutor train export``: a LoRA adapter merged into its base and written as a Q4_K_M GGUF with a model card.

1. merge: the base loaded from its GGUF (float32), the adapter applied and merged (peft ``merge_and_unload``),
   saved with the tokenizer as a Hugging Face folder;
2. convert: llama.cpp's own ``convert_hf_to_gguf.py`` (``tutor.train.converter``) to a float32 GGUF;
3. restore: the base file's ``tokenizer.*`` keys copied back (the converter rewrites Gemma's) and the card added;
4. quantize: Q4_K_M through llama.cpp's ``llama_model_quantize``, with the CPU code path the engines use;
5. the card beside the file, and with ``register`` the file in the local model store.
Temporary files go to a folder beside the output and are removed.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.train import gguf_meta
from tutor.train.base_model import TrainError, load_hf_model, load_hf_tokenizer, offline, read_base
from tutor.train.converter import require_converter
from tutor.train.model_card import CARD_KEY, build_card, description, write_beside


@dataclass
class ExportConfig:
    adapter: Path
    out: Path
    base: str = ""  # "": the base named in the training summary
    name: str = ""  # "": the output file's stem
    register: bool = False
    threads: int = 0
    command: list[str] = field(default_factory=list)


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


def merge(base_path: Path, adapter: Path, target: Path) -> None:
    from peft import PeftModel

    model = load_hf_model(base_path)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.save_pretrained(target, safe_serialization=True)
    load_hf_tokenizer(base_path).save_pretrained(target)


def convert(model_dir: Path, target: Path) -> None:
    script = require_converter()
    offline()
    command = [sys.executable, str(script), str(model_dir), "--outfile", str(target), "--outtype", "f32"]
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
    if done.returncode != 0 or not target.is_file():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise TrainError(f"llama.cpp's converter failed: {tail}")


def quantize(source: Path, target: Path, threads: int = 0) -> None:
    """Q4_K_M through llama.cpp's quantize API, after loading the CPU code path as the native engine does."""
    import llama_cpp

    from tutor.engines import cpu_backend
    from tutor.engines.native import _route_llama_logs

    _route_llama_logs()
    try:
        cpu_backend.ensure_loaded()
    except (RuntimeError, OSError) as exc:
        raise TrainError(f"llama.cpp has no CPU code path for this computer: {exc}") from None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = threads
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if code != 0 or not target.is_file():
        raise TrainError(f"llama.cpp could not quantize {source.name} (code {code})")


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
    out = config.out
    if out.suffix != ".gguf":
        raise TrainError(f"--out must be a .gguf file, not {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    name = config.name or out.stem
    card = build_card(name, base_card, base.license, summary, config.command)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out.parent) as folder:
        temp = Path(folder)
        clock = time.perf_counter()
        merge(base.path, adapter, temp / "merged")
        timings["merge_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        convert(temp / "merged", temp / "f32.gguf")
        timings["convert_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        strings = {"general.name": name, "general.description": description(card), CARD_KEY: json.dumps(card)}
        if base.license:
            strings["general.license"] = base.license
        gguf_meta.rewrite(temp / "f32.gguf", temp / "fixed.gguf", base.path, strings)
        timings["restore_tokenizer_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        quantize(temp / "fixed.gguf", temp / "q4_k_m.gguf", config.threads)
        timings["quantize_s"] = time.perf_counter() - clock
        os.replace(temp / "q4_k_m.gguf", out)
    cards = write_beside(out, card)
    result: dict[str, Any] = {
        "path": str(out),
        "size_mb": round(out.stat().st_size / 2**20, 1),
        "cards": [str(p) for p in cards],
        "timings": {k: round(v, 1) for k, v in timings.items()},
        "card": card,
    }
    if config.register:
        from tutor.models.store import ModelStore, StoreError

        try:
            result["registered"] = ModelStore().import_file(out).id
        except StoreError as exc:
            raise TrainError(f"exported to {out}, but not registered: {exc}") from None
    return result
