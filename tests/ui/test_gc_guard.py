"""Qt WebEngine objects collected by Python's garbage collector in a worker thread trap the whole process
(SIGTRAP or SIGSEGV, the intermittent crash of the UI tests); with the GUI-thread collector they die in the GUI thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ui.web.engine import web_root

ROOT = Path(__file__).resolve().parents[2]

# a browser engine left to the garbage collector (no close()), then a worker thread that allocates enough to
# trigger automatic collection, as the model thread or the test runner's pool do in the app
PROBE = """
import gc, sys, threading
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
if sys.argv[1] == "guarded":
    from ui import gc_guard
    gc_guard.install()
from ui.web.engine import BrowserEngine
engine = BrowserEngine()
loop = QEventLoop(); QTimer.singleShot(3000, loop.quit); loop.exec()
assert engine._flags["ready"].is_set(), "the engine page did not load"
del engine
def allocate():
    junk = []
    for i in range(200_000):
        junk.append([i])
threading.Thread(target=allocate).start()
loop = QEventLoop(); QTimer.singleShot(1500, loop.quit); loop.exec()
print("survived", flush=True)
"""

pytestmark = pytest.mark.skipif(
    not (web_root() / "index.html").is_file(), reason="the engine page is not built"
)


def run_probe(mode: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )


def test_without_the_guard_a_worker_thread_collection_traps() -> None:
    result = run_probe("unguarded")
    # Chromium's CHECK traps (SIGTRAP) or the page's teardown off the UI thread faults (SIGSEGV)
    assert result.returncode in (-signal.SIGTRAP, -signal.SIGSEGV), (result.returncode, result.stderr[-2000:])


def test_with_the_guard_the_process_survives() -> None:
    result = run_probe("guarded")
    assert result.returncode == 0 and "survived" in result.stdout, (result.returncode, result.stderr[-2000:])
