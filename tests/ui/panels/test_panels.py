"""The main window's panels on their own: what each shows for real test reports and hints, and what it signals."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from tutor.engines.base import EngineInfo
from tutor.exercises import load_bundled
from tutor.feedback import Hint
from tutor.policy import Policy
from tutor.runner import run
from ui.panels.hint import READY, HintPanel
from ui.panels.status import StatusPanel
from ui.panels.tests import TestsPanel

PACK = load_bundled()


def test_tests_panel_selects_the_first_failure_and_points_at_its_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = TestsPanel()
    qtbot.addWidget(panel)
    lines: list[object] = []
    panel.line_chosen.connect(lines.append)
    factorial = PACK.find("factorial")
    report = run(factorial, factorial.starter)
    panel.show_report(report)
    selected = panel.table.selectionModel().selectedRows()[0].row()
    assert report.tests[selected] is report.first_failure and lines[-1] == report.first_failure.line == 2
    assert f"of {len(report.tests)} tests pass" in panel.summary.text()
    panel.show_report(run(factorial, factorial.solution))
    assert "All tests pass" in panel.summary.text() and lines[-1] is None
    panel.show_report(run(factorial, "def factorial(n)\n    return 1\n"))
    assert "no test could run" in panel.summary.text() and lines[-1] == 1
    panel.clear()
    assert panel.table.rowCount() == 0 and panel.report is None


def test_hint_panel_streams_then_shows_the_hint_and_hides_the_explanation(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = HintPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.start()
    assert panel.running and panel.busy.isVisible() and panel.cancel_button.isEnabled()
    panel.show_message("a notice")  # a notice never overwrites the stage while a hint is written
    assert panel.stage.text() == "Running the tests…"
    for piece in ("Look ", "at the ", "loop."):
        panel.add_token(piece)
    assert panel.view.toPlainText() == "Look at the loop."
    panel.show_stage("rewriting hint")
    assert panel.view.toPlainText() == "" and "better hint" in panel.stage.text()
    hint = Hint(
        status="hint",
        hint="Check the loop's last value.",
        explanation="range stops early.",
        source="analysis",
        repair_passed=True,
        timings={"total_s": 1.5},
    )
    panel.show_hint(hint)
    assert not panel.running and not panel.busy.isVisible() and not panel.explanation.isVisible()
    assert "checked repair" in panel.stage.text() and panel.view.toPlainText() == hint.hint
    qtbot.mouseClick(panel.explain_button, Qt.MouseButton.LeftButton)
    assert panel.explanation.isVisible() and panel.explanation.text() == hint.explanation
    panel.show_hint(Hint(status="cancelled"))
    assert panel.stage.text() == "Hint cancelled." and panel.view.toPlainText() == ""
    panel.clear()
    assert panel.stage.text() == READY


def test_hint_panel_banner_follows_the_policy(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = HintPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_policy(Policy(exam_mode=True))
    assert panel.policy_banner.isVisible() and "Exam mode" in panel.policy_banner.text()
    panel.show_policy(Policy())
    assert not panel.policy_banner.isVisible()


def test_status_panel_shows_the_engine_its_speed_and_the_choice(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    status = StatusPanel(window.statusBar(), "native")
    assert status.engine_choice.currentData() == "native"
    status.set_speed(10, 1.0)  # no engine yet: nothing to add a speed to
    assert status.engine_label.text() == "Model: preparing…"
    status.show_ready(EngineInfo(name="native", model_name="Gemma", backend="cpu", threads=2))
    status.set_speed(30, 2.0)
    assert status.engine_label.text().endswith("Model: Gemma · 15.0 tokens/s")
    with qtbot.waitSignal(status.engine_chosen) as blocker:
        status.engine_choice.setCurrentIndex(status.engine_choice.findData("browser"))
    assert blocker.args == ["browser"]
