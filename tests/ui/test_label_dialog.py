"""The app's Rate hints dialog (issue 23): stores each label, resumes, never shows a system name (every widget's
text is walked), and is offered in the Teacher menu, in teacher mode, only where Compare hints is allowed."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from tests.bench.quality.label_helpers import SYSTEMS, make_run
from tutor.eval.label_rules import RULES
from tutor.eval.labels import read_label_file
from tutor.policy import Policy
from ui.label_dialog import RateHintsDialog, open_rate_hints

from .test_menus import menus
from .window_helpers import quiet_window, shoot


def texts(widget: QWidget) -> str:
    """Every text a person could see or hear in ``widget`` and its children."""
    found = [widget.windowTitle(), widget.toolTip(), widget.accessibleName()]
    for child in widget.findChildren(QWidget):
        found += [child.toolTip(), child.accessibleName(), child.accessibleDescription()]
        if isinstance(child, (QLabel, QAbstractButton, QLineEdit)):
            found.append(child.text())
        if isinstance(child, QLineEdit):
            found.append(child.placeholderText())
        if isinstance(child, QPlainTextEdit):
            found.append(child.toPlainText())
        if isinstance(child, QGroupBox):
            found.append(child.title())
    return "\n".join(found)


def answer(dialog: RateHintsDialog, values: str, comment: str = "") -> None:
    for criterion, value in zip(dialog.answer_buttons, values, strict=True):
        dialog.answer_buttons[criterion][0 if value == "y" else 1].click()
    dialog.comment.setText(comment)


def test_rate_hints_stores_resumes_and_shows_no_system_name(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = make_run(tmp_path / "run")
    dialog = RateHintsDialog(None, run, "ann")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.progress.text() == "Hint 1 of 5"
    assert all(rule in texts(dialog) for rule in RULES.values())  # the rules beside the buttons
    assert dialog.fix.toPlainText() and dialog.code.toPlainText().startswith("  1  ")
    assert not dialog.save_button.isEnabled()
    answer(dialog, "yyny", "gives the fix away")
    assert dialog.save_button.isEnabled()
    if os.environ.get("TUTOR_SCREENSHOTS"):
        shoot(dialog, "rate-hints")
    shown = []
    with qtbot.waitSignal(dialog.stored) as blocker:
        shown.append(texts(dialog))
        dialog.save_button.click()
    assert (
        blocker.args[0]["labels"]["HConceal"] is False and blocker.args[0]["comment"] == "gives the fix away"
    )
    assert dialog.progress.text() == "Hint 2 of 5" and dialog.answers() is None and not dialog.comment.text()
    shown.append(texts(dialog))
    dialog.close()
    again = RateHintsDialog(None, run, "ann")  # resumes where ann stopped
    qtbot.addWidget(again)
    assert again.progress.text() == "Hint 2 of 5"
    again.skip()
    for _ in range(3):
        shown.append(texts(again))
        answer(again, "yyyy")
        again.save_button.click()
    assert again.progress.text() == "4 of 5 labelled" and "1 skipped" in again.status.text()
    shown.append(texts(again))
    assert not any(system in text for text in shown for system in SYSTEMS)
    stored = read_label_file(run / "labels" / "ann.jsonl")
    assert len(stored) == 4 and [r["HGood"] for r in stored] == [False, True, True, True]
    assert len({(r["item"], r["hint_sha256"]) for r in stored}) == 4


def test_rate_hints_in_the_teacher_menu_where_compare_hints_is_allowed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    closed = quiet_window(qtbot, tmp_path)
    assert getattr(closed, "rate_action", None) is None
    closed.close()
    win = quiet_window(qtbot, tmp_path, policy=Policy(compare_hints=True))
    assert "Rate hints…" not in menus(win)["Teacher"]  # teacher mode off
    win.teacher_mode_action.trigger()
    assert "Rate hints…" in menus(win)["Teacher"]
    dialog = open_rate_hints(win, make_run(tmp_path / "run"), "bob")
    assert dialog is not None and dialog.isVisible() and dialog.progress.text() == "Hint 1 of 5"
    dialog.close()
    win.close()
    exam = quiet_window(qtbot, tmp_path, policy=Policy(compare_hints=True, exam_mode=True))
    assert getattr(exam, "rate_action", None) is None
    exam.close()
