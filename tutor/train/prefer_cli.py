"""``tutor train prefer``: the command line of the preference-tuning stage (``tutor.train.prefer``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tutor.errors import UsageError
from tutor.paths import resources_dir
from tutor.train.cli_shared import TRAIN_EXTRA, command_line

FLAGS = [
    "--base", "--sft", "--pairs", "--out", "--beta", "--lr", "--epochs", "--max-steps", "--batch-size",
    "--accumulation", "--rank", "--max-length", "--dev-share", "--seed", "--threads", "--precision",
    "--save-every", "--eval-every", "--resume",
]  # fmt: skip


def default_pairs() -> Path:
    return resources_dir() / "train" / "preferences.jsonl"


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    prefer = sub.add_parser(
        "prefer",
        parents=parents,
        help="preference tuning (DPO) of a LoRA adapter on authored-vs-rejected hint pairs",
        description="DPO (trl) from a `tutor train lora` adapter: the team's hint preferred over a model's real "
        "rejected answer. Writes OUT/adapter (for `tutor train export`), OUT/checkpoint-N and OUT/train.json.",
    )
    prefer.add_argument(
        "--base", required=True, help="default, an id from `tutor models list`, or a .gguf file"
    )
    prefer.add_argument("--sft", type=Path, default=None, help="the `tutor train lora` output to start from")
    prefer.add_argument(
        "--pairs", type=Path, default=None, help="preference pairs (default: the bundled ones)"
    )
    prefer.add_argument("--out", required=True, type=Path, help="output folder")
    prefer.add_argument("--beta", type=float, default=0.1, help="DPO's beta: how far from the reference")
    prefer.add_argument("--lr", type=float, default=2e-5)
    prefer.add_argument("--epochs", type=float, default=1.0)
    prefer.add_argument("--max-steps", type=int, default=0, help="stop after N optimizer steps (0: no limit)")
    prefer.add_argument("--batch-size", type=int, default=2, help="pairs per forward pass")
    prefer.add_argument("--accumulation", type=int, default=4, help="forward passes per optimizer step")
    prefer.add_argument("--rank", type=int, default=16, help="LoRA rank without --sft")
    prefer.add_argument("--max-length", type=int, default=1024, help="longer pairs are left out")
    prefer.add_argument("--dev-share", type=float, default=0.1, help="pairs held out, by whole task")
    prefer.add_argument("--seed", type=int, default=0)
    prefer.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    prefer.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    prefer.add_argument("--save-every", type=int, default=50, help="checkpoint every N steps")
    prefer.add_argument("--eval-every", type=int, default=25, help="dev loss every N steps")
    prefer.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    prefer.set_defaults(func=cmd_prefer)


def cmd_prefer(args: argparse.Namespace) -> int:
    try:
        # heavy, optional: the train extra (torch, transformers, peft, trl)
        from tutor.train.base_model import TrainError
        from tutor.train.prefer import PreferConfig, train_preferences  # heavy: torch, trl
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    if args.max_steps < 0 or args.epochs <= 0 or args.batch_size < 1 or args.accumulation < 1:
        raise UsageError("--epochs must be > 0, --max-steps >= 0, --batch-size and --accumulation >= 1")
    if not 0 <= args.dev_share < 1 or args.beta <= 0:
        raise UsageError("--dev-share must be in [0, 1) and --beta > 0")
    config = PreferConfig(
        base=args.base,
        out=args.out,
        pairs=args.pairs or default_pairs(),
        sft=args.sft,
        beta=args.beta,
        lr=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        accumulation=args.accumulation,
        rank=args.rank,
        max_length=args.max_length,
        dev_share=args.dev_share,
        seed=args.seed,
        threads=args.threads,
        precision=args.precision,
        save_every=args.save_every,
        eval_every=args.eval_every,
        resume=args.resume,
        command=command_line(["train", "prefer"], args, FLAGS),
    )
    try:
        summary = train_preferences(config)
    except TrainError as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(TRAIN_EXTRA + str(exc)) from None
    metrics = summary["metrics"]
    after = metrics.get("dev_after", {})
    text = (
        f"{summary['steps']} DPO steps on {summary['data']['train_pairs']} pairs, train loss "
        f"{metrics['train_loss']}; dev reward accuracy {after.get('after_rewards/accuracies', 'n/a')} "
        f"(before {metrics.get('dev_before', {}).get('before_rewards/accuracies', 'n/a')}), "
        f"{summary['speed']['seconds']} s\nadapter: {args.out / 'adapter'}"
    )
    print(json.dumps(summary, indent=2) if args.json else text)
    return 0
