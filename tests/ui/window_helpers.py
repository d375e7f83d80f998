"""A real window for the issue 25/26 tests, with no language model: the model file is a bad one, so the model
fails at once and hints come from the analysis alone (as tests/ui/test_bad_disks.py does). And ``shoot``: a
screenshot under ``$TUTOR_SCREENSHOTS`` when that is set (docs/screenshots/ was made this way)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from tutor.exercises import LoadResult, load_bundled
from tutor.policy import Policy
from tutor.runner import TestReport
from ui.main_window import MainWindow

PACK = load_bundled()


def quiet_window(
    qtbot, tmp_path: Path, policy: Policy | None = None, pack: LoadResult | None = None
) -> MainWindow:  # type: ignore[no-untyped-def]
    bad_model = tmp_path / "bad.gguf"
    bad_model.write_bytes(b"not a model")
    win = MainWindow(pack or PACK, model_path=str(bad_model), policy=policy or Policy())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model_failed, timeout=30_000)
    return win


def run_tests(qtbot, win: MainWindow, code: str | None = None) -> TestReport:  # type: ignore[no-untyped-def]
    if code is not None:
        win.editor.setPlainText(code)
    with qtbot.waitSignal(win.tests_shown, timeout=30_000) as blocker:
        win.run_action.trigger()
    report: TestReport = blocker.args[0]
    return report


def shoot(widget: QWidget, name: str) -> None:
    folder = os.environ.get("TUTOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()  # pending layout requests first (a button's new text)
        widget.grab().save(str(Path(folder) / f"{name}.png"))
