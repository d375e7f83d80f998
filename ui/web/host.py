"""Running a headless ``tutor`` command that may need the browser engine: Qt WebEngine must live in the main
thread, so the command runs in a worker thread while the main thread runs the Qt event loop. The browser engine
is registered with ``tutor.engines.select`` and created (once) in the GUI thread on first use."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from tutor.engines.base import EngineError
from tutor.engines.select import register_browser

PROBE_TIMEOUT_S = 20.0


def prepare_environment() -> None:
    """Offscreen when there is no display; Chromium's sandbox off as root (it refuses to start otherwise)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.*=false;*.warning=false")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--log-level=3 --disable-logging")


def _gui_caller() -> tuple[Callable[[Callable[[], Any]], Any], Callable[[Callable[[], None]], None]]:
    """``(in_gui, post)``: ``in_gui(function)`` runs ``function`` in the GUI thread (called from any other thread)
    and returns its result; ``post(job)`` queues ``job`` to the GUI thread without waiting."""
    from PySide6.QtCore import QObject, Qt, Signal, Slot

    class GuiCaller(QObject):
        call = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.call.connect(self.run, Qt.ConnectionType.QueuedConnection)

        @Slot(object)
        def run(self, job: Callable[[], None]) -> None:
            job()

    caller = GuiCaller()

    def in_gui(function: Callable[[], Any]) -> Any:
        done, box = threading.Event(), {}

        def job() -> None:
            try:
                box["value"] = function()
            except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
                box["error"] = exc
            finally:
                done.set()

        caller.call.emit(job)
        done.wait()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    return in_gui, caller.call.emit


def run_with_browser_engine(command: Callable[[], int]) -> int:
    """Run ``command`` in a worker thread with a Qt event loop (and the browser engine on call) in this thread."""
    prepare_environment()
    from PySide6.QtWidgets import (
        QApplication,  # heavy: Qt, only for the commands that need the browser engine
    )

    from ui import gc_guard  # heavy: Qt

    app = QApplication.instance() or QApplication(sys.argv[:1])
    gc_guard.install()  # Qt WebEngine's objects must die in the GUI thread (ui/gc_guard.py)
    in_gui, post = _gui_caller()
    shared: dict[str, Any] = {}

    def engine() -> Any:
        if "engine" not in shared:
            from ui.web.engine import BrowserEngine  # heavy: Qt WebEngine

            shared["engine"] = in_gui(BrowserEngine)
        return shared["engine"]

    register_browser(engine, lambda: engine().probe(timeout=PROBE_TIMEOUT_S))
    result: dict[str, int] = {}

    def work() -> None:
        try:
            result["code"] = command()
        except SystemExit as exc:
            result["code"] = exc.code if isinstance(exc.code, int) else 1
        finally:
            post(app.quit)  # queued to the GUI thread (this thread has no event loop)

    thread = threading.Thread(target=work, name="tutor-command")
    thread.start()
    app.exec()
    thread.join()
    if "engine" in shared:
        shared["engine"].close()
    return result.get("code", 1)


def register_in_app() -> None:
    """In the desktop app (GUI thread): a browser engine is made here, on demand, when the session chooses it."""

    def engine() -> Any:
        try:
            from ui.web.engine import BrowserEngine  # heavy: Qt WebEngine, made on demand
        except ImportError as exc:
            raise EngineError(f"Qt WebEngine is not installed ({exc})") from None
        return BrowserEngine()

    def probe() -> dict[str, Any]:
        page = engine()
        try:
            return dict(page.probe(timeout=PROBE_TIMEOUT_S))
        finally:
            page.close()

    register_browser(engine, probe)
