"""The desktop window, offscreen, with the real default model and real test runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from tutor.exercises import load_bundled
from tutor.progress import ProgressStore
from ui.main_window import MainWindow

PACK = load_bundled()
WAIT_MS = 120_000


def new_window(qtbot, default_model: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(PACK, model_path=str(default_model))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def window(qtbot, default_model: Path):  # type: ignore[no-untyped-def]
    return new_window(qtbot, default_model)


def open_with_code(qtbot, win: MainWindow, exercise_id: str, code: str) -> None:  # type: ignore[no-untyped-def]
    win.open_exercise(exercise_id)
    win.editor.setPlainText(code)


def run_tests(qtbot, win: MainWindow, press_f5: bool = True):  # type: ignore[no-untyped-def]
    if press_f5:  # shortcuts reach only the active window: make sure it is, first
        win.activateWindow()
        win.editor.setFocus()
        qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(win.tests_shown, timeout=20_000) as blocker:
        if press_f5:
            qtbot.keyClick(win.editor, Qt.Key.Key_F5)
        else:
            win.run_action.trigger()
    return blocker.args[0]


def test_window_is_usable_before_the_model_is_ready(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.isVisible() and window.engine_info is None
    open_with_code(qtbot, window, "factorial", PACK.find("factorial").starter)
    report = run_tests(qtbot, window)
    assert not report.passed
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT_MS)
    assert (
        "Gemma" in window.status_panel.engine_label.text()
        and "native" in window.status_panel.engine_label.text()
    )


def test_f5_shows_results_selects_first_failure_and_marks_its_line(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    open_with_code(qtbot, window, "factorial", PACK.find("factorial").starter)
    report = run_tests(qtbot, window)
    assert window.tests_panel.table.rowCount() == len(report.tests)
    selected = window.tests_panel.table.selectionModel().selectedRows()[0].row()
    assert report.tests[selected] is report.first_failure
    assert window.editor.error_line == 2  # the RecursionError's line
    assert window.tests_panel.table.item(selected, 1).text() == "factorial(0)"
    assert "RecursionError" in window.tests_panel.table.item(selected, 4).text()


def test_syntax_error_is_shown_with_its_line(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    open_with_code(qtbot, window, "greeting", "def greeting(name)\n    return name\n")
    run_tests(qtbot, window)
    assert "SyntaxError" in window.tests_panel.summary.text() and window.editor.error_line == 1


def test_hint_streams_with_stages_and_shows_explanation(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT_MS)
    open_with_code(qtbot, window, "grade_letter", PACK.find("grade_letter").starter)
    stages: list[str] = []
    window.stage_shown.connect(stages.append)
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(window.hint_shown, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.editor, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
        assert window.hint_panel.busy.isVisible() and window.hint_panel.cancel_button.isEnabled()
    timer.stop()
    hint = blocker.args[0]
    assert hint.status == "hint" and window.hint_panel.view.toPlainText() == hint.hint
    assert stages[:3] == ["testing", "repairing", "writing hint"]
    assert window.timings.first_token > 0  # tokens reached the panel while the model wrote
    # the failing test in words reached the panel first, before the repairs and the model's hint
    assert 0 < window.timings.first_text < window.timings.first_token
    # the event loop kept ticking during the whole hint (one tick per 20 ms, allowing for a busy machine)
    assert len(ticks) >= 0.3 * hint.timings["total_s"] / 0.02
    assert not window.hint_panel.explanation.isVisible()
    qtbot.mouseClick(window.hint_panel.explain_button, Qt.MouseButton.LeftButton)
    assert (
        window.hint_panel.explanation.isVisible() and window.hint_panel.explanation.text() == hint.explanation
    )
    assert window.editor.error_line in (2, 4, 6)  # the line the checked repair changes
    assert "tokens/s" in window.status_panel.engine_label.text()


def test_cancel_stops_a_hint_and_a_second_request_is_refused(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT_MS)
    open_with_code(qtbot, window, "factorial", PACK.find("factorial").starter)
    with qtbot.waitSignal(window.stage_shown, timeout=WAIT_MS, check_params_cb=lambda s: s == "repairing"):
        window.request_hint()
    window.request_hint()  # while one runs
    assert (
        "already being written" in window.hint_panel.stage.text()
        or "already" in window.statusBar().currentMessage()
    )
    with qtbot.waitSignal(window.hint_shown, timeout=20_000) as blocker:
        qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert blocker.args[0].status == "cancelled" and "cancelled" in window.hint_panel.stage.text()
    assert not window.hint_running


def test_code_is_autosaved_and_restored_after_restart(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    first = new_window(qtbot, default_model)
    open_with_code(qtbot, first, "unique", "def unique(items):\n    return items  # my attempt\n")
    qtbot.waitUntil(lambda: "my attempt" in (first.workspace.load("unique") or ""), timeout=5000)
    first.close()
    second = new_window(qtbot, default_model)
    assert second.current is not None and second.current.id == "unique"  # last exercise reopened
    assert "my attempt" in second.editor.toPlainText()


def test_reset_asks_first_then_restores_the_starter(qtbot, window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    open_with_code(qtbot, window, "unique", "something else\n")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.reset_action.trigger()
    assert window.editor.toPlainText() == "something else\n"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.reset_action.trigger()
    assert window.editor.toPlainText() == PACK.find("unique").starter.lstrip("\n")


def test_progress_marks_survive_restart(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    first = new_window(qtbot, default_model)
    open_with_code(qtbot, first, "fizzbuzz", PACK.find("fizzbuzz").solution)
    run_tests(qtbot, first, press_f5=False)
    open_with_code(qtbot, first, "unique", PACK.find("unique").starter)
    run_tests(qtbot, first, press_f5=False)
    first.close()
    second = new_window(qtbot, default_model)
    texts = second.exercises_panel.texts()
    assert (
        texts["fizzbuzz"].startswith("✓")
        and texts["unique"].startswith("•")
        and texts["greeting"].startswith("○")
    )


def test_corrupt_progress_database_is_moved_aside_with_a_message(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    path = Path(os.environ["TUTOR_DATA_DIR"]) / "progress.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    win = new_window(qtbot, default_model)
    qtbot.waitUntil(lambda: "could not be read" in win.hint_panel.stage.text(), timeout=3000)
    assert list(path.parent.glob("progress.db.corrupt-*"))
    assert ProgressStore(path).of("x").state == "not started"


def test_keyboard_only_focus_moves(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.editor.setFocus()
    ctrl = Qt.KeyboardModifier.ControlModifier
    for key, widget in (
        (Qt.Key.Key_L, window.exercises_panel.list),
        (Qt.Key.Key_F, window.exercises_panel.filter),
        (Qt.Key.Key_E, window.editor),
    ):
        qtbot.keyClick(QApplication.focusWidget() or window, key, ctrl)
        qtbot.waitUntil(widget.hasFocus, timeout=2000)
    window.exercises_panel.list.setFocus()
    ids = [e.id for e in window.exercises]
    row = ids.index(window.exercises_panel.current_id())
    qtbot.keyClick(window.exercises_panel.list, Qt.Key.Key_Down)
    assert window.exercises_panel.current_id() == ids[row + 1] and window.current.id == ids[row + 1]


def test_filter_and_keyboard_editing(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(window.exercises_panel.filter, "factorial")
    assert window.exercises_panel.visible_ids() == ["factorial"]
    window.editor.setPlainText("")
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "def f():")
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(window.editor, "x = (1)")
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "def f():\n    x = (1)\n        "
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.toPlainText() == "def f():\n    x = (1)\n    "


def test_zoom_is_remembered(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    first = new_window(qtbot, default_model)
    size = first.editor.font().pointSizeF()
    first.zoom_in_action.trigger()
    first.zoom_in_action.trigger()
    assert first.editor.font().pointSizeF() == size + 2 and first.hint_panel.view.font().pointSizeF() > 0
    first.close()
    second = new_window(qtbot, default_model)
    assert second.editor.zoom == 2 and second.editor.font().pointSizeF() == size + 2


def test_dark_palette_changes_the_highlighting(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from pygments.token import Keyword

    light = window.editor.highlighter._formats[Keyword].foreground().color().name()
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Window, QColor("#252525"))
    QApplication.setPalette(palette)
    try:
        qtbot.waitUntil(
            lambda: window.editor.highlighter._formats[Keyword].foreground().color().name() != light,
            timeout=3000,
        )
    finally:
        QApplication.setPalette(QApplication.style().standardPalette())


@pytest.mark.slow
def test_self_test_command_prints_timings_and_exits_zero(tmp_path: Path) -> None:
    tutor = Path(sys.executable).with_name("tutor")
    result = subprocess.run(
        [str(tutor), "app", "--self-test"],
        capture_output=True,
        text=True,
        timeout=400,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["hint_status"] == "hint"
    for key in ("window_shown_s", "test_results_shown_s", "first_hint_token_s", "hint_done_s"):
        assert data[key] > 0
    assert data["window_shown_s"] < data["test_results_shown_s"] < data["hint_done_s"]
    # the failing test in words reached the hint pane before the model's first token
    assert 0 < data["first_text_shown_s"] < data["first_hint_token_s"]
    assert 0 < data["first_text_after_request_s"] < data["hint_done_s"] - data["hint_requested_s"]


@pytest.mark.slow
def test_the_first_command_starts_the_app_on_the_shipped_finetune(installed_models: Path) -> None:
    """As the README's first command leaves it: this machine's data folder, where packaging/install.sh prepared the
    models, and no pin; pip gets no index, so nothing can be fetched here."""
    from tutor.models.catalog import marked_default

    entry = marked_default()
    assert (installed_models / entry.file).is_file(), (
        "run `bash packaging/install.sh`: it prepares the fine-tune"
    )
    tutor = Path(sys.executable).with_name("tutor")
    env = {k: v for k, v in os.environ.items() if k not in ("TUTOR_DATA_DIR", "TUTOR_DEFAULT_MODEL")}
    result = subprocess.run(
        [str(tutor), "app", "--self-test"],
        capture_output=True,
        text=True,
        timeout=400,
        env={**env, "QT_QPA_PLATFORM": "offscreen", "PIP_NO_INDEX": "1"},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["model_file"] == entry.file, (data, result.stderr[-1000:])
    assert data["hint_source"] == "analysis"  # the fine-tune repairs; the analysis text says it
    assert 0 < data["first_text_shown_s"] <= data["hint_done_s"]


def test_no_display_gives_one_line_and_the_cli_equivalent() -> None:
    tutor = Path(sys.executable).with_name("tutor")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([str(tutor), "app"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 3
    assert (
        "No display" in result.stderr
        and "tutor check" in result.stderr
        and len(result.stderr.splitlines()) == 1
    )


def test_exam_mode_is_shown_and_refuses_hints(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    from tutor.policy import Policy

    win = MainWindow(PACK, model_path=str(default_model), policy=Policy(exam_mode=True))
    qtbot.addWidget(win)
    win.show()
    assert win.hint_panel.policy_banner.isVisible() and "Exam mode" in win.hint_panel.policy_banner.text()
    assert not win.hint_action.isEnabled()
    win.request_hint()
    assert "exam mode" in win.hint_panel.stage.text().lower()
    run_tests(qtbot, win)  # tests still run


@pytest.mark.slow
def test_hint_quota_counts_down_and_stops(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    from tutor.policy import Policy

    win = MainWindow(PACK, model_path=str(default_model), policy=Policy(hints_per_exercise=1))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.engine_info is not None, timeout=WAIT_MS)
    open_with_code(qtbot, win, "grade_letter", PACK.find("grade_letter").starter)
    assert win.hint_action.text() == "Get hint (uses 1 of 1 left)" and win.hint_action.isEnabled()
    with qtbot.waitSignal(win.hint_shown, timeout=WAIT_MS):
        win.hint_action.trigger()
    assert win.hint_action.text().startswith("Get hint (same code")  # shown again, free
    win.editor.setPlainText(win.editor.toPlainText() + "\n# changed\n")
    assert win.hint_action.text() == "Get hint (none left)" and not win.hint_action.isEnabled()
    win.request_hint()
    assert "No hints left" in win.hint_panel.stage.text()
    win.open_exercise("factorial")
    assert win.hint_action.text().startswith("Get hint (uses 1 of 1 left")  # the quota is per exercise


def test_broken_policy_is_shown_and_downloads_are_off(qtbot, default_model: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tutor.policy import safe_policy

    win = MainWindow(
        PACK,
        model_path=str(default_model),
        policy=safe_policy(Path("/etc/policy.toml"), "/etc/policy.toml, line 3: unknown key"),
    )
    qtbot.addWidget(win)
    win.show()
    assert "error" in win.hint_panel.policy_banner.text() and not win.hint_action.isEnabled()
    win.open_models()
    assert "turned off" in win.models_dialog.summary.text()
    win.models_dialog.close()


def test_a_window_dropped_without_closing_does_not_abort(tmp_path: Path) -> None:
    """Its model thread is still running: destroying a running QThread makes Qt abort the process."""
    code = (
        "import gc, os, sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
        "from tutor.exercises import load_bundled\nfrom ui.main_window import MainWindow\n"
        "win = MainWindow(load_bundled(), model_path=sys.argv[1])\nwin.show()\napp.processEvents()\n"
        "del win\ngc.collect()\napp.processEvents()\nprint('survived', flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "missing.gguf")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0 and "survived" in result.stdout, result.stderr[-1500:]


def test_results_arriving_after_close_are_dropped(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A hint cancelled by closing the window still reports back; the closed progress store must not be used."""
    from tutor.feedback import Hint

    win = MainWindow(PACK, model_path=str(tmp_path / "missing.gguf"))
    qtbot.addWidget(win)
    win.show()
    open_with_code(qtbot, win, "grade_letter", PACK.find("grade_letter").starter)
    win.close()
    win.model.worker.hint_done.emit(
        Hint(status="hint", hint="Look at the comparison.")
    )  # would raise on close
    win.tests.finished.emit(PACK.find("grade_letter"), run_report("grade_letter"), 0.1)
    assert win.hint_panel.view.toPlainText() == ""


def run_report(exercise_id: str):  # type: ignore[no-untyped-def]
    from tutor.runner import run

    exercise = PACK.find(exercise_id)
    return run(exercise, exercise.starter)
