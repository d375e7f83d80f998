"""The ``tutor`` console script: the core commands of ``tutor.cli`` plus ``tutor app`` (the desktop window).

Qt is imported only when the window is opened, so the headless commands stay fast and work without Qt's
system libraries.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from tutor import cli as core_cli
from tutor.settings import Settings
from ui.web.host import run_with_browser_engine


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def cmd_app(args: argparse.Namespace) -> int:
    if not _has_display():
        print(
            "No display here, so the window cannot open; the same loop on the command line is: "
            "tutor check FILE --exercise ID, then tutor hint FILE --exercise ID",
            file=sys.stderr,
        )
        return 3
    from ui.app import run_app  # heavy: Qt, only when the window opens

    return run_app(args)


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    app = sub.add_parser("app", parents=[common], help="open the desktop app")
    app.add_argument("--exercise", "-e", help="open this exercise first")
    app.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, run the learner loop on a known-buggy program, print JSON timings, exit",
    )
    app.add_argument(
        "--screenshots", metavar="DIR", help="with --self-test: save screenshots of the window in DIR"
    )
    app.add_argument("--model", help="a GGUF file to use instead of the embedded default model")
    app.set_defaults(func=cmd_app)


def needs_browser_engine(argv: Sequence[str]) -> bool:
    """``doctor`` (it probes the page), and ``hint`` when the browser engine is asked for with ``--engine browser``
    or, without ``--engine``, by the saved engine setting (``auto`` means native: see ``tutor.session``)."""
    if not argv or argv[0] not in ("hint", "doctor") or "-h" in argv or "--help" in argv:
        return False
    if argv[0] == "doctor":
        return True
    engine = ""
    for index, arg in enumerate(argv):
        if arg == "--engine" and index + 1 < len(argv):
            engine = argv[index + 1]
        elif arg.startswith("--engine="):
            engine = arg.split("=", 1)[1]
    if not engine:
        engine = Settings.load().engine
    return engine == "browser"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if needs_browser_engine(args) and _web_engine_available():
        return run_with_browser_engine(lambda: core_cli.main(args, extend=add_commands))
    return core_cli.main(args, extend=add_commands)


def _web_engine_available() -> bool:
    try:
        import PySide6.QtWebEngineCore  # noqa: F401
    except ImportError:
        return False
    from ui.web.engine import web_root  # heavy: Qt WebEngine

    return (web_root() / "index.html").is_file()


if __name__ == "__main__":
    sys.exit(main())
