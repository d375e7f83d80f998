"""The Output pane of issue 26: what the code printed during each test (nothing of a hidden test), and Run
program with an input box, in the sandbox, in a worker thread: its output, its error, and a program that waits
for more input than it was given. Real window, real runner, no model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tutor.runner import TestReport, TestResult
from ui.output_pane import PER_TEST_CAP, outputs_text

from .window_helpers import quiet_window, run_tests, shoot

PRINTS = 'def greeting(name):\n    print("got", repr(name))\n    return "Hello, " + name.strip() + "!"\n'
ASKS = 'name = input("Your name: ")\ncolour = input("Colour: ")\nprint("Hello", name, "- you like", colour)\n'


def test_each_tests_output_is_shown_and_hidden_tests_stay_hidden(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("greeting")
    report = run_tests(qtbot, win, PRINTS)
    text = win.output_pane.output.toPlainText()
    visible = [t for t in report.tests if not t.hidden]
    assert any(t.hidden for t in report.tests) and all(t.output == "" for t in report.tests if t.hidden)
    for number, test in enumerate(report.tests, start=1):
        if not test.hidden:
            assert f"── test {number}: {test.call}\ngot " in text
    assert text.count("── test") == len(visible) and "hidden test" not in text
    table = win.tests_panel.table
    hidden_rows = [r for r in range(table.rowCount()) if table.item(r, 1).text().startswith("hidden test")]
    assert len(hidden_rows) == sum(t.hidden for t in report.tests)
    for row in hidden_rows:  # only whether it passed: no input, no expected value, no message
        assert table.item(row, 2).text() == table.item(row, 3).text() == ""
        assert table.item(row, 4).text() in ("passed", "failed")


def test_output_is_capped_per_test() -> None:
    report = TestReport(tests=[TestResult("f(1)", "pass", output="x" * (PER_TEST_CAP + 50))])
    text = outputs_text(report)
    assert (
        "x" * PER_TEST_CAP in text and "x" * (PER_TEST_CAP + 1) not in text and "50 more characters" in text
    )
    assert (
        outputs_text(TestReport(tests=[TestResult("f(1)", "pass")]))
        == "Your code printed nothing during the tests."
    )


def run_program(qtbot, win, code: str, stdin: str):  # type: ignore[no-untyped-def]
    win.editor.setPlainText(code)
    win.output_pane.input.setPlainText(stdin)
    with qtbot.waitSignal(win.program_shown, timeout=30_000) as blocker:
        qtbot.mouseClick(win.output_pane.run_button, Qt.MouseButton.LeftButton)
        assert not win.output_pane.run_button.isEnabled()  # while it runs
    assert win.output_pane.run_button.isEnabled()
    return blocker.args[0]


def test_run_program_with_input(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("greeting")
    run = run_program(qtbot, win, ASKS, "Ada\nblue\n")
    shown = win.output_pane.output.toPlainText()
    assert run.status == "ok" and shown == "Your name: Ada\nColour: blue\nHello Ada - you like blue\n"
    assert win.output_pane.status.text().startswith("The program finished")
    shoot(win, "output-pane-run")


def test_run_program_says_when_it_waits_for_more_input(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("greeting")
    run = run_program(qtbot, win, ASKS, "Ada\n")
    assert run.status == "waiting"
    assert win.output_pane.status.text().startswith("The program waited for more input than you gave")
    assert "it was given 1 line" in win.output_pane.output.toPlainText()


def test_run_program_shows_an_error_with_its_line_and_ctrl_r_runs(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("greeting")
    win.editor.setPlainText('print("before")\nprint(1 / 0)\n')
    win.activateWindow()
    win.editor.setFocus()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(win.program_shown, timeout=30_000) as blocker:
        qtbot.keyClick(win.editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].status == "error"
    status, text = win.output_pane.status.text(), win.output_pane.output.toPlainText()
    assert status.startswith("The program stopped with an error on line 2")
    assert text.startswith("before\n") and "ZeroDivisionError" in text
