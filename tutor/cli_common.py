"""What every ``tutor`` subcommand module shares: the ``--json`` output, the learner's file, the course with
its warnings, a progress bar and the loaded engine (all through the session). A leaf: it imports no subcommand
module, so each of them (``tutor.cli_*``, ``tutor.grading.cli``) may use it without a cycle."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from tutor.engines.base import Engine
from tutor.errors import UsageError
from tutor.exercises import Exercise, LoadResult
from tutor.files import FileRefused, read_bytes
from tutor.session import Session, exercise_in


def emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    """``data`` as JSON under ``--json``, else ``text``."""
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)


def course(args: argparse.Namespace, session: Session | None = None) -> LoadResult:
    """The course the learner sees plus ``--tasks`` files (``Session.exercises``); a broken exercise is a
    warning on stderr."""
    result = (session or Session()).exercises(args.tasks)
    for error in result.errors:
        print(f"warning: {error}", file=sys.stderr)
    return result


def exercise(args: argparse.Namespace, session: Session | None = None) -> Exercise:
    """The exercise of ``--exercise`` (``UsageError`` naming a few that exist when there is none)."""
    return exercise_in(course(args, session), args.exercise)


LEARNER_FILE_LIMIT = 2**20  # 1 MB: far more than any exercise's program, and never a runaway read


def read_learner_file(path: str) -> str:
    """The learner's file as text. A folder, device or FIFO is refused before it is read (``tutor check
    /dev/zero`` neither grows nor hangs), so is a file over ``LEARNER_FILE_LIMIT``, and non-UTF-8 bytes get a
    clear message, not a traceback."""
    try:
        data = read_bytes(path, LEARNER_FILE_LIMIT, "Python program")
    except FileRefused as exc:
        raise UsageError(str(exc)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8 and try again"
        ) from None


def progress_bar(description: str) -> Callable[[int, int], None]:
    """A byte progress bar on stderr (tqdm), made on the first update."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(
                total=total, unit="B", unit_scale=True, desc=description, file=sys.stderr, leave=False
            )
        bar["bar"].update(done - bar["bar"].n)
        if done >= total:
            bar["bar"].close()

    return update


def load_engine(
    args: argparse.Namespace, session: Session | None = None, keep_on_crash: bool = False
) -> Engine:
    """The engine with a model loaded, both chosen by the session's rules (``Session.load_engine``); notes and
    warnings go to stderr, which engine runs only under ``--verbose``."""
    session = session or Session()
    quiet = args.json or not sys.stderr.isatty()

    def notify(kind: str, text: str) -> None:
        if kind != "engine":
            print(f"{kind}: {text}", file=sys.stderr)
        elif getattr(args, "verbose", False) and not args.json:
            print(text, file=sys.stderr)

    return session.load_engine(
        getattr(args, "model", "") or "",
        getattr(args, "engine", None),
        getattr(args, "threads", None),
        keep_on_crash=keep_on_crash,
        progress=None if quiet else progress_bar("Preparing the default model"),
        notify=notify,
    )


def engine_line(args: argparse.Namespace, name: str, reason: str) -> str:
    """Which engine runs and why: said only under ``--verbose`` (and never in ``--json`` output)."""
    if args.json or not getattr(args, "verbose", False):
        return ""
    return f"engine: {name}" + ("" if reason == "asked for" else f" ({reason})")
