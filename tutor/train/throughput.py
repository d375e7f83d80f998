"""How fast LoRA training of a base would run on another machine (a GPU box), measured without its weights.

Training speed depends on the architecture, the batches and the device, not on the weight values. So
``prepare`` writes, here, what a measurement needs and nothing else: the base's transformers config (read from
its GGUF) and the real token batches of a data folder (tokenized with llama.cpp as ``tutor train lora`` does).
``measure`` then builds the model from that config with random weights on the machine it runs on (CUDA when
present), wraps it in the same LoRA as ``tutor train lora`` and runs its real training steps (``completion_loss``,
AdamW, gradient clipping) on those batches, printing tokens/s and the time one epoch would take:

    python -m tutor.train.throughput prepare --base default --data train-data --out probe/gemma
    python -m tutor.train.throughput measure probe/gemma --steps 60     # on the other machine

The folder is small (a config and token ids: no weights), so it travels where a 250 MB-1 GB model file cannot.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tutor.train.base_model import llama_tokenizer, offline, read_base
from tutor.train.dataset import Tokenized, batches, cached_tokens, collate, data_files, epoch_batches
from tutor.train.precision import choose_precision

ITEMS_FILE, CONFIG_FILE, META_FILE = "items.jsonl", "config.json", "meta.json"


def prepare(base_name: str, data: Path, out: Path, max_length: int = 1024) -> dict[str, Any]:
    """Write the base's config and the tokenized training examples of ``data`` into ``out``."""
    from transformers import AutoConfig

    offline()
    base = read_base(base_name)
    train_path, _ = data_files(data)
    items, skipped = cached_tokens(train_path, base, max_length, lambda: llama_tokenizer(base.path))
    config = AutoConfig.from_pretrained(
        str(base.path.parent), gguf_file=base.path.name, local_files_only=True
    )
    out.mkdir(parents=True, exist_ok=True)
    config.to_json_file(str(out / CONFIG_FILE))
    with (out / ITEMS_FILE).open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps({"ids": item.ids, "prompt_len": item.prompt_len}) + "\n")
    meta = {"base": base.card(), "examples": len(items), "skipped_too_long": skipped}
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def read_items(folder: Path) -> list[Tokenized]:
    lines = (folder / ITEMS_FILE).read_text(encoding="utf-8").splitlines()
    return [Tokenized(**json.loads(line)) for line in lines if line.strip()]


def random_model(folder: Path, dtype: Any) -> Any:
    """The base's architecture with random weights (speed does not depend on their values)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(folder / CONFIG_FILE))
    return AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="eager")


def measure(
    folder: Path, steps: int = 60, warmup: int = 5, batch_tokens: int = 1024, seed: int = 0
) -> dict[str, Any]:
    """Time ``steps`` LoRA training steps (after ``warmup`` untimed ones) on the folder's real batches."""
    import torch
    from peft import LoraConfig, get_peft_model

    from tutor.train.lora import TARGET_MODULES, completion_loss  # heavy: with torch, like the imports above

    torch.manual_seed(seed)
    precision = choose_precision("auto")
    items = read_items(folder)
    model = random_model(folder, precision.autocast or torch.float32)
    lora = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, target_modules=TARGET_MODULES, task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora).to(precision.device)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4)
    pad = int(getattr(model.config, "pad_token_id", None) or 0)
    tokens, seconds, done = 0, 0.0, 0
    for index, group in enumerate(_cycle(items, batch_tokens, seed)):
        if done >= steps:
            break
        batch = {k: v.to(precision.device) for k, v in collate(group, pad).items()}
        _sync(torch)
        started = time.perf_counter()
        loss = completion_loss(model, batch, precision)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _sync(torch)
        if index >= warmup:
            tokens += sum(len(item.ids) for item in group)
            seconds += time.perf_counter() - started
            done += 1
    epoch_tokens = sum(len(item.ids) for item in items)
    tok_s = tokens / seconds if seconds else 0.0
    return {
        "device": _device_name(torch, precision.device),
        "precision": precision.describe(),
        "architecture": model.config.model_type,
        "steps_timed": done,
        "tok_s": round(tok_s, 1),
        "s_per_step": round(seconds / done, 4) if done else None,
        "epoch_tokens": epoch_tokens,
        "epoch_steps": len(batches(items, batch_tokens, seed)),
        "epoch_s": round(epoch_tokens / tok_s, 1) if tok_s else None,
        "peak_gpu_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2)
        if precision.device == "cuda"
        else None,
        "torch": torch.__version__,
    }


def _cycle(items: list[Tokenized], batch_tokens: int, seed: int) -> Any:
    epoch = 0
    while True:
        yield from epoch_batches(items, batch_tokens, seed, epoch)
        epoch += 1


def _sync(torch: Any) -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _device_name(torch: Any, device: str) -> str:
    return torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tutor.train.throughput", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="write a base's config and token batches (here)")
    prep.add_argument("--base", required=True)
    prep.add_argument("--data", required=True, type=Path)
    prep.add_argument("--out", required=True, type=Path)
    prep.add_argument("--max-length", type=int, default=1024)
    run = sub.add_parser("measure", help="time LoRA steps on random weights of that architecture")
    run.add_argument("folder", type=Path)
    run.add_argument("--steps", type=int, default=60)
    run.add_argument("--batch-tokens", type=int, default=1024)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        result = prepare(args.base, args.data, args.out, args.max_length)
    else:
        result = measure(args.folder, args.steps, batch_tokens=args.batch_tokens)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
