"""The exercise list of issue 25: units in course order with their progress, each exercise's state, difficulty
and kind, search and concept filter, "Next exercise" after a pass, the learner's place kept, and Reset all
progress behind a confirmation. Real window, real runner, no model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from tutor.settings import Settings
from ui.exercise_list import ALL_CONCEPTS, ExerciseList

from .window_helpers import PACK, quiet_window, run_tests, shoot


def test_units_are_rows_in_course_order_with_progress(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ExerciseList(PACK)
    qtbot.addWidget(panel)
    titles = [u.title for u in PACK.units if any(e.unit == u.id for e in PACK.exercises)]
    units = panel.unit_texts()
    assert [t.split(" · ")[0] for t in units] == titles  # units without exercises are not shown
    assert units[0] == "Output and variables · 0 / 11 passed" and units[2] == "Conditions · 0 / 13 passed"
    assert f"0 of {len(PACK.exercises)} passed" in panel.heading.text()
    factorial = panel._item("factorial")
    assert factorial is not None and factorial.parent().text(0).startswith("Recursion")
    assert factorial.text(0) == "○  Factorial, recursively" and factorial.text(1) == "★★"
    assert factorial.text(2) == "Fix" and panel._item("palindrome").text(2) == "Write"  # type: ignore[union-attr]
    assert "Fix the bug" in factorial.toolTip(0) and "difficulty 2 of 5" in factorial.toolTip(0)


def test_search_and_concept_filter(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ExerciseList(PACK)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.filter, "recursively")  # titles and concepts, in course order
    assert panel.visible_ids()[2:4] == ["factorial", "digit_sum"] and len(panel.visible_ids()) == 6
    assert {PACK.find(i).unit for i in panel.visible_ids()} == {"recursion"}  # type: ignore[union-attr]
    panel.filter.clear()
    panel.concept.setCurrentText("accumulator")
    shown = panel.visible_ids()
    assert shown[:3] == ["sum_up_to", "sum_of_evens", "running_total"]
    assert all("accumulator" in PACK.find(i).concepts for i in shown)  # type: ignore[union-attr]
    assert [
        t.split(" · ")[0]
        for t, item in zip(panel.unit_texts(), _units(panel), strict=True)
        if not item.isHidden()
    ] == ["Loops", "Strings"]
    qtbot.keyClicks(panel.filter, "running")
    assert panel.visible_ids() == ["running_total"]
    panel.filter.clear()
    panel.concept.setCurrentText(ALL_CONCEPTS)
    assert len(panel.visible_ids()) == len(PACK.exercises)


def _units(panel: ExerciseList) -> list:  # type: ignore[type-arg]
    return [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]


def test_a_pass_updates_the_unit_and_next_exercise_opens_the_next_one(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("fizzbuzz")
    assert not win.tests_panel.next_button.isVisible()
    report = run_tests(qtbot, win, PACK.find("fizzbuzz").solution)  # type: ignore[union-attr]
    assert report.passed and win.tests_panel.next_button.isVisible()
    texts = win.exercises_panel.texts()
    assert (
        texts["fizzbuzz"].startswith("✓")
        and win.exercises_panel.unit_texts()[2] == "Conditions · 1 / 13 passed"
    )
    assert f"1 of {len(PACK.exercises)} passed" in win.exercises_panel.heading.text()
    shoot(win, "unit-view")
    win.tests_panel.next_button.click()
    assert win.current is not None and win.current.id == "grade_letter"
    assert not win.tests_panel.next_button.isVisible()
    report = run_tests(qtbot, win, "def grade_letter(score):\n    return 'A'\n")
    assert not report.passed and win.exercises_panel.texts()["grade_letter"].startswith("•")
    win.next_action.trigger()  # the menu's Next exercise: the first one after this that is not passed
    assert win.current.id == "largest_of_three"


def test_the_learners_place_is_kept_between_runs(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = quiet_window(qtbot, tmp_path)
    first.open_exercise("digit_sum")
    first.close()
    assert Settings.load().last_exercise == "digit_sum"
    second = quiet_window(qtbot, tmp_path)
    assert second.current is not None and second.current.id == "digit_sum"
    assert second.exercises_panel.current_id() == "digit_sum"


def test_reset_all_progress_asks_first_and_keeps_a_backup(qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("fizzbuzz")
    run_tests(qtbot, win, PACK.find("fizzbuzz").solution)  # type: ignore[union-attr]
    questions: list[str] = []

    def answer(button: QMessageBox.StandardButton):  # type: ignore[no-untyped-def]
        return lambda _parent, _title, text, *a, **k: questions.append(text) or button

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    win.reset_progress_action.trigger()
    assert "Reset all progress?" in questions[0] and win.session.progress.of("fizzbuzz").state == "passed"
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    win.reset_progress_action.trigger()
    assert win.session.progress.of("fizzbuzz").state == "not started"
    assert win.exercises_panel.texts()["fizzbuzz"].startswith("○")
    assert win.exercises_panel.unit_texts()[2] == "Conditions · 0 / 13 passed"
    assert list(win.session.progress.path.parent.glob("progress.db.backup-*"))
    assert "reset" in win.statusBar().currentMessage()
    assert win.editor.toPlainText() == PACK.find("fizzbuzz").solution  # type: ignore[union-attr]  # code is kept
