"""``tutor train data``: build the hint model's training set (JSONL + data card) from real bug/fix pairs.

``add_parser(subparsers)`` adds ``data`` to the ``tutor train`` command's subparsers; ``command(args)`` runs it.
Before ``tutor train`` is registered it also runs as ``python -m tutor.train.data_cli [options]``. Errors are one
line on stderr, exit 2. A stopped build resumes: the teacher's answers are cached in ``OUT/teacher-cache.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutor.eval.build import DEFAULT_DATASETS
from tutor.eval.splits import TestItemLeak

CACHE_FILE = "teacher-cache.jsonl"


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
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print the data card as JSON")


def command(args: argparse.Namespace) -> int:
    from tutor.engines.base import EngineError
    from tutor.train.teacher import TeacherError

    try:
        card = build(args)
    except (_Refused, TestItemLeak, TeacherError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(
            f"error: the teacher model stopped ({exc}); run the same command again to resume", file=sys.stderr
        )
        return 2
    if args.json:
        print(json.dumps(card, indent=2))
    else:
        print(_summary(card))
    return 0


class _Refused(RuntimeError):
    pass


def build(args: argparse.Namespace) -> dict[str, Any]:
    from tqdm import tqdm

    from tutor.session import model_refusal
    from tutor.train.assembly import assemble
    from tutor.train.card import write_dataset
    from tutor.train.sources import collect

    if refusal := model_refusal():  # the data holds hints; the school's policy decides (tutor.session)
        raise _Refused(refusal)
    if args.max_per_source is not None and args.max_per_source < 1:
        raise _Refused("--max-per-source must be 1 or more")
    if not 0 <= args.dev_fraction < 1:
        raise _Refused("--dev-fraction must be from 0 to below 1")
    started = time.perf_counter()
    teacher, engine = _teacher(args)
    try:
        with tqdm(desc="bug/fix pairs", unit="pair", file=sys.stderr) as bar:

            def tick(source: str) -> None:
                bar.set_postfix_str(source, refresh=False)
                bar.update(1)

            datasets = args.datasets if args.datasets.is_dir() else None
            collected = collect(datasets, args.max_per_source, args.seed, progress=tick)
        with tqdm(total=len(collected.pairs), desc="examples", unit="pair", file=sys.stderr) as bar:
            built = assemble(
                collected.pairs,
                collected.exercises,
                teacher,
                args.teacher_limit,
                args.seed,
                args.dev_fraction,
                on_pair=lambda: bar.update(1),
            )
    finally:
        if engine is not None:
            _close(engine)
    meta = {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "tutor train data " + shlex.join(_argv(args)),
        "seed": args.seed,
        "max_per_source": args.max_per_source,
        "teacher_limit": args.teacher_limit,
        "dev_fraction": args.dev_fraction,
        "candidates_run": collected.tried,
        "notes": _short_notes(collected.notes),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    return write_dataset(args.out, built, collected.pairs, meta)


def _teacher(args: argparse.Namespace) -> tuple[Any, Any]:
    from tutor.engines.base import EngineError
    from tutor.engines.select import choose, make_engine
    from tutor.models.choice import ModelRefused
    from tutor.session import authorize_model
    from tutor.train.teacher import Teacher, TeacherError, find_teacher

    try:
        model = find_teacher(args.teacher)
    except TeacherError as exc:
        raise _Refused(str(exc)) from None
    if model is None:
        if args.teacher not in ("auto", "none"):
            raise _Refused(f"no teacher model {args.teacher!r}")
        return None, None
    if args.teacher_limit == 0:  # no new calls: the cached answers only, no model loaded
        return Teacher(None, model.id, args.out / CACHE_FILE), None
    try:
        path = authorize_model(model.path)  # the school's policy: exam mode, allowed models (tutor.session)
    except ModelRefused as exc:
        raise _Refused(f"the teacher {model.id}: {exc}") from None
    engine = make_engine(choose("native"), threads=args.threads)
    try:
        print(f"loading the teacher {model.id} ...", file=sys.stderr)
        engine.load(path)
    except EngineError as exc:
        raise _Refused(f"the teacher {model.id} does not load: {exc}") from None
    return Teacher(engine, model.id, args.out / CACHE_FILE), engine


def _close(engine: Any) -> None:
    close = getattr(engine, "close", None) or getattr(engine, "unload", None)
    if close is not None:
        close()


def _argv(args: argparse.Namespace) -> list[str]:
    words = ["--out", str(args.out), "--teacher", args.teacher, "--seed", str(args.seed)]
    for flag, value in (("--max-per-source", args.max_per_source), ("--teacher-limit", args.teacher_limit)):
        if value is not None:
            words += [flag, str(value)]
    if args.dev_fraction != 0.1:
        words += ["--dev-fraction", str(args.dev_fraction)]
    return words


def _short_notes(notes: list[str]) -> list[str]:
    """Notes with the many 'left out' lines of one source counted, not listed."""
    left: dict[str, int] = {}
    kept = []
    for note in notes:
        if ": left out " in note or note.endswith("no mutants"):
            source = note.split(":")[0]
            left[source] = left.get(source, 0) + 1
        else:
            kept.append(note)
    return kept + [
        f"{source}: {count} candidates left out (see the build's checks)" for source, count in left.items()
    ]


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
    return command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
