"""``tutor train data``: build the hint model's training set (JSONL + data card) from real bug/fix pairs.

``add_parser(subparsers)`` adds ``data`` to the ``tutor train`` command's subparsers; ``command(args)`` runs it.
Before ``tutor train`` is registered it also runs as ``python -m tutor.train.data_cli [options]``. Errors are one
line on stderr, exit 2 (a ``UsageError``). The build itself is ``tutor.train.data_build``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.errors import UsageError
from tutor.eval.build import DEFAULT_DATASETS


def add_parser(subparsers: Any, common: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add ``data`` to ``subparsers``; ``common`` (the ``tutor`` command's shared options, ``--json`` among
    them) is taken as a parent when given."""
    data = subparsers.add_parser(
        "data",
        parents=[common] if common is not None else [],
        help="build training examples (repair and hint) from real bug/fix pairs",
        description="Build train.jsonl, dev.jsonl and a data card from Refactory and QuixBugs dev-split pairs "
        "and from mutants of correct programs (Refactory, HumanEval, the bundled pack's dev exercises).",
    )
    _options(data, json_flag=common is None or not _has_option(common, "--json"))
    data.set_defaults(func=command)
    return data


def _has_option(parser: argparse.ArgumentParser, flag: str) -> bool:
    return any(flag in action.option_strings for action in parser._actions)


def _options(parser: argparse.ArgumentParser, json_flag: bool = True) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("train-data"), help="output folder (default ./train-data)"
    )
    parser.add_argument(
        "--teacher",
        default="auto",
        help="a local model id or a GGUF file for the hint targets, or none "
        "(default auto: the largest local instruct model, none if there is none)",
    )
    parser.add_argument(
        "--max-per-source", type=int, default=None, metavar="N", help="at most N pairs per source"
    )
    parser.add_argument(
        "--teacher-limit",
        type=int,
        default=None,
        metavar="N",
        help="at most N new teacher calls (the rest: analysis)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dev-fraction", type=float, default=0.1, help="share of examples held out by task")
    parser.add_argument(
        "--datasets", type=Path, default=DEFAULT_DATASETS, help="the Refactory/QuixBugs JSONL"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the teacher model")
    parser.add_argument(
        "--targets",
        default="bundled",
        help="the team's authored hint targets: bundled (resources/train/hint-targets.jsonl), none, or a JSONL file",
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print the data card as JSON")


def command(args: argparse.Namespace) -> int:
    # heavy: the hint pipeline, the runner and the session; not loaded to build the `tutor` parser
    from tutor.train.data_build import DataConfig, build_data

    config = DataConfig(
        out=args.out,
        teacher=args.teacher,
        max_per_source=args.max_per_source,
        teacher_limit=args.teacher_limit,
        seed=args.seed,
        dev_fraction=args.dev_fraction,
        datasets=args.datasets,
        threads=args.threads,
        targets=args.targets,
    )
    card = build_data(config)
    print(json.dumps(card, indent=2) if args.json else _summary(card))
    return 0


def _summary(card: dict[str, Any]) -> str:
    lines = [
        f"{card['train']['examples']} train and {card['dev']['examples']} dev examples in {card['wall_s']} s"
    ]
    for source, count in card["pairs"].items():
        lines.append(f"  {source:<18} {count:>5} pairs")
    teacher = card["teacher"]
    if teacher["model"]:
        lines.append(
            f"teacher {teacher['model']}: {teacher['accepted']}/{teacher['answers']} answers kept, "
            f"{teacher['seconds_per_answer_median']} s per answer (median)"
        )
    lines.append(f"data sha256 {card['data_sha256'][:16]}...; card: card.md")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tutor.train.data_cli", description=__doc__.splitlines()[0]
    )
    _options(parser)
    try:
        return command(parser.parse_args(argv))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
