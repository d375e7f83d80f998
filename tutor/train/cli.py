"""``tutor train data|lora|prefer|export``: fine-tuning data, a LoRA adapter, preference tuning of it, and a GGUF
from it.

Registered in ``tutor.cli`` with ``add_parser(subparsers, common)``. ``lora`` and ``export`` need the ``.[train]``
extra (torch, transformers, peft); without it they say so in one line. Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tutor.errors import UsageError
from tutor.train import data_cli, prefer_cli
from tutor.train.cli_shared import TRAIN_EXTRA, command_line


def add_parser(subparsers: Any, common: argparse.ArgumentParser | None = None) -> None:
    parents = [common] if common else []
    train = subparsers.add_parser("train", parents=parents, help="fine-tune a hint model (needs .[train])")
    sub = train.add_subparsers(dest="train_command", required=True, metavar="{data,lora,prefer,export}")
    _add_data(sub, common)
    _add_lora(sub, parents)
    prefer_cli.add_parser(sub, parents)
    _add_export(sub, parents)


def _add_data(sub: Any, common: argparse.ArgumentParser | None) -> None:
    """``tutor train data`` lives in ``tutor.train.data_cli``."""
    data_cli.add_parser(sub, common)


def _add_lora(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    lora = sub.add_parser(
        "lora",
        parents=parents,
        help="train a LoRA adapter on train.jsonl (dev.jsonl for early stopping)",
        description="LoRA on a base model loaded from its own GGUF; loss on the answers only. Writes "
        "OUT/adapter, OUT/checkpoint-N, OUT/log.jsonl and OUT/train.json.",
    )
    lora.add_argument(
        "--base", required=True, help="default, an id from `tutor models list`, or a .gguf file"
    )
    lora.add_argument("--data", required=True, type=Path, help="a folder with train.jsonl (and dev.jsonl)")
    lora.add_argument("--out", required=True, type=Path, help="output folder")
    lora.add_argument("--epochs", type=float, default=1.0)
    lora.add_argument("--max-steps", type=int, default=0, help="stop after N optimizer steps (0: no limit)")
    lora.add_argument("--lr", type=float, default=2e-4)
    lora.add_argument("--rank", type=int, default=16, help="LoRA rank (alpha is twice it)")
    lora.add_argument("--batch-tokens", type=int, default=1024, help="tokens per batch, padding included")
    lora.add_argument("--max-length", type=int, default=1024, help="longer examples are left out")
    lora.add_argument("--seed", type=int, default=0)
    lora.add_argument(
        "--max-per-task",
        type=int,
        default=0,
        metavar="N",
        help="at most N training examples of one task and kind, drawn with --seed (0: all)",
    )
    lora.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    lora.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    lora.add_argument("--save-every", type=int, default=100, help="checkpoint every N steps")
    lora.add_argument("--eval-every", type=int, default=50, help="dev loss every N steps")
    lora.add_argument("--patience", type=int, default=3, help="stop after N dev evaluations without a gain")
    lora.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    lora.set_defaults(func=cmd_lora)


def _add_export(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        parents=parents,
        help="merge an adapter and write a Q4_K_M GGUF with a model card",
        description="Merge, convert with llama.cpp's converter, restore the base's tokenizer, quantize to "
        "Q4_K_M, write the model card (in the file and beside it).",
    )
    export.add_argument(
        "--base", default="", help="the base model (default: the one the adapter was trained on)"
    )
    export.add_argument("--adapter", required=True, type=Path, help="a training output folder or an adapter")
    export.add_argument(
        "--out", type=Path, help="the fine-tuned .gguf to write (the base Q4_K_M, changed weights Q8_0)"
    )
    export.add_argument(
        "--adapter-out",
        type=Path,
        help="also (or only) write the adapter as a llama.cpp LoRA .gguf (a few MB; tutor.models.merge makes "
        "the fine-tuned model from it and the base, without torch)",
    )
    export.add_argument("--name", default="", help="the model's name (default: the file's stem)")
    export.add_argument("--register", action="store_true", help="add it to the local model store")
    export.set_defaults(func=cmd_export)


LORA_FLAGS = [
    "--base", "--data", "--out", "--epochs", "--max-steps", "--lr", "--rank", "--batch-tokens", "--max-length",
    "--seed", "--max-per-task", "--threads", "--precision", "--save-every", "--eval-every", "--patience",
    "--resume",
]  # fmt: skip
EXPORT_FLAGS = ["--base", "--adapter", "--out", "--adapter-out", "--name", "--register"]


def cmd_lora(args: argparse.Namespace) -> int:
    try:
        # heavy, optional: the train extra (torch, transformers, peft); without it the command says so in one line
        from tutor.train.base_model import TrainError
        from tutor.train.lora import TrainConfig, train  # heavy: torch
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    if args.max_steps < 0 or args.epochs <= 0 or args.batch_tokens < 16:
        raise UsageError("--epochs must be > 0, --max-steps >= 0 and --batch-tokens >= 16")
    config = TrainConfig(
        base=args.base,
        data=args.data,
        out=args.out,
        epochs=args.epochs,
        max_steps=args.max_steps,
        lr=args.lr,
        rank=args.rank,
        batch_tokens=args.batch_tokens,
        max_length=args.max_length,
        seed=args.seed,
        max_per_task=args.max_per_task,
        threads=args.threads,
        precision=args.precision,
        save_every=args.save_every,
        eval_every=args.eval_every,
        patience=args.patience,
        resume=args.resume,
        progress=not args.json,
        command=command_line(["train", "lora"], args, LORA_FLAGS),
    )
    try:
        summary = train(config)
    except TrainError as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    metrics, speed = summary["metrics"], summary["speed"]
    text = (
        f"{summary['steps']} steps ({summary['epochs_done']} epochs), train loss {metrics['train_loss']}, "
        f"dev loss {metrics['dev_loss']}, {speed['tok_s']} tok/s, peak RSS {speed['peak_rss_gb']} GB\n"
        f"adapter: {args.out / 'adapter'} (step {summary['adapter_step']})"
    )
    print(json.dumps(summary, indent=2) if args.json else text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        # heavy, optional: the train extra (gguf, the converter's needs); without it the command says so in one line
        from tutor.train.base_model import TrainError
        from tutor.train.export import ExportConfig, export  # heavy: gguf
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    config = ExportConfig(
        adapter=args.adapter,
        out=args.out,
        base=args.base,
        name=args.name,
        register=args.register,
        command=command_line(["train", "export"], args, EXPORT_FLAGS),
        adapter_out=args.adapter_out,
    )
    try:
        result = export(config)
    except TrainError as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    lines = []
    if "adapter_path" in result:
        lines.append(f"wrote the adapter {result['adapter_path']} ({result['adapter_size_mb']} MB)")
    if "path" in result:
        lines.append(
            f"wrote {result['path']} ({result['size_mb']} MB), card {result['cards'][0]}; {result['timings']}"
        )
    text = "\n".join(lines)
    if "registered" in result:
        text += f"\nregistered as {result['registered']}: tutor models use {result['registered']}"
    print(json.dumps(result, indent=2) if args.json else text)
    return 0
