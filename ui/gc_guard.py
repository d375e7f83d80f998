"""Garbage collection in the GUI thread only.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a threshold is crossed. A
Qt object caught in a reference cycle (a widget holding a bound method of itself, the browser engine and its
bridge) is then destroyed in that thread: a model worker, the test runner's pool. Qt WebEngine's Chromium CHECKs
that its objects die on the UI thread and traps (SIGTRAP), which took the whole app down at random moments. So
the app turns automatic collection off and collects from a timer in the GUI thread, generation by generation, as
Python itself would (pyqtgraph's ``GarbageCollector`` does the same for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Create once, in the GUI thread, after the ``QApplication``; keep a reference for the app's lifetime."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count has passed its threshold, like the automatic collector."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()


_installed: list[GuiThreadCollector] = []


def install() -> GuiThreadCollector:
    """Idempotent: the one collector of this process (the app, a headless command with the browser engine)."""
    if not _installed:
        _installed.append(GuiThreadCollector())
    return _installed[0]
