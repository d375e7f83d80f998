"""The ``tutor`` command: exercises, check, hint, doctor, models, bench, grade, arena, train (``ui.cli`` adds
``app``).

Every command takes ``--tasks FILE`` (JSONL tasks, repeatable) and ``--json``. Errors are one line on stderr and
a non-zero exit, never a traceback: whichever module raises ``tutor.errors.UsageError``, ``main`` prints it as
``tutor: error: <message>`` with exit code 2. ``check`` exits 0 when every test passes and 1 when one fails.

Each command lives in its own module and registers its own arguments (``add_parser(subparsers, common)``):
``tutor.cli_course`` (exercises, next, show, pack), ``tutor.cli_learner`` (check, hint), ``tutor.cli_doctor``,
``tutor.cli_models``, ``tutor.cli_bench`` (with ``bench quality`` and ``bench label``), ``tutor.grading.cli``
(grade), ``tutor.arena.cli`` and ``tutor.train.cli``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tutor import __version__, cli_bench, cli_course, cli_doctor, cli_learner, cli_models
from tutor.cli_bench import SPEED_SUITES
from tutor.engines.blas_guard import steer_openblas
from tutor.errors import UsageError

Extension = Callable[[Any, argparse.ArgumentParser], None]


def common_parser() -> argparse.ArgumentParser:
    """The options every command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--tasks",
        action="append",
        default=[],
        metavar="FILE",
        help="also load exercises from a JSONL task file (repeatable)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument(
        "--verbose", action="store_true", help="say more about what runs (the engine and why it was chosen)"
    )
    return common


def _add_evaluation(sub: Any, suites: Any, common: argparse.ArgumentParser) -> None:
    """``bench quality``, ``bench label``, ``grade``, ``arena`` and ``train``; their modules are imported here,
    not at the top, because they pull in the hint pipeline, which ``tutor check`` and ``tutor exercises`` must
    not pay for."""
    from tutor.arena.cli import add_parser as add_arena  # heavy: the hint pipeline
    from tutor.bench.quality.cli import add_parser as add_quality  # heavy: the hint pipeline
    from tutor.bench.quality.label_cli import add_parser as add_label  # heavy: the hint pipeline
    from tutor.grading.cli import add_parser as add_grade  # heavy: the hint pipeline
    from tutor.train.cli import add_parser as add_train  # heavy: the hint pipeline

    add_quality(suites, common)
    add_label(suites, common)
    add_grade(sub, common)
    add_arena(sub, common)
    add_train(sub, common)


def build_parser(extend: Extension | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``extend(subparsers, common)`` lets the desktop layer add its own commands."""
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="tutor", description="An offline Python tutor with hints from a local model."
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_course.add_parser(sub, common)  # exercises, next, show, pack
    cli_learner.add_parser(sub, common)  # check, hint
    cli_doctor.add_parser(sub, common)
    cli_models.add_parser(sub, common)
    suites = cli_bench.add_parser(sub, common)
    _add_evaluation(sub, suites, common)
    if extend:
        extend(sub, common)
    return parser


def main(argv: Sequence[str] | None = None, extend: Extension | None = None) -> int:
    steer_openblas()  # before anything imports numpy: its OpenBLAS on CPUs without AVX2
    parser = build_parser(extend)
    args, unknown = parser.parse_known_args(argv)
    if unknown and getattr(args, "suite", None) in SPEED_SUITES:
        args.bench_options = [*unknown, *args.bench_options]  # the suite's own options, checked by its parser
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.func(args))
    except UsageError as exc:  # the one handler: whichever command's module raised it
        print(f"tutor: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tutor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
