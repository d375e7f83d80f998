"""The "Grade a folder..." dialog grades in a worker thread, shows progress, opens the report; the site policy
shows or hides it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMainWindow, QToolBar

from tutor.exercises import load_bundled
from tutor.policy import Policy
from ui.grade_dialog import GradeDialog, install_grade_action

from .window_helpers import shoot


def test_grades_a_folder_in_the_background_and_opens_the_report(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exercises = load_bundled().exercises
    exercise = next(e for e in exercises if e.solution)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.py").write_text(exercise.solution or "")
    (folder / "bea.py").write_text(f"def {exercise.entry}(*args):\n    return None\n")
    (folder / "cal.py").write_text("def broken(:\n")
    opened: list[QUrl] = []
    dialog = GradeDialog(exercises, Policy(), open_url=opened.append)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.source.setText(str(folder))
    dialog.exercise.setCurrentIndex(dialog.exercise.findData(exercise.id))
    with qtbot.waitSignal(dialog.graded, timeout=120_000) as blocker:
        dialog.start_button.click()
        assert (
            not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
        )  # the UI is not blocked
    ok, report = blocker.args
    assert ok, report
    assert Path(report) == tmp_path / "class-grades" / "report.html" and Path(report).is_file()
    assert opened and opened[0].toLocalFile() == report
    grades = {g.student: g for g in dialog.run_result.grades}
    assert (
        grades["ada"].percent == 100
        and grades["bea"].percent < 100
        and grades["cal"].status == "syntax error"
    )
    assert "3 students graded" in dialog.status.text() and dialog.start_button.isEnabled()


def test_missing_folder_is_a_one_line_message(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = GradeDialog(load_bundled().exercises, Policy(), open_url=lambda url: None)
    qtbot.addWidget(dialog)
    dialog.source.setText(str(tmp_path / "nowhere"))
    with qtbot.waitSignal(dialog.graded) as blocker:
        dialog.start_button.click()
    assert blocker.args[0] is False and "Choose the submissions" in dialog.status.text()


def test_site_policy_shows_or_hides_the_action(qtbot) -> None:  # type: ignore[no-untyped-def]
    exercises = load_bundled().exercises
    for allowed in (True, False):
        window = QMainWindow()
        qtbot.addWidget(window)
        toolbar = QToolBar()
        window.addToolBar(toolbar)
        action = install_grade_action(window, exercises, Policy(grading_allowed=allowed))
        assert (action is not None) is allowed
        assert any(a.text() == "Grade a folder…" for a in toolbar.actions()) is allowed


def test_a_rubric_with_a_typo_is_refused_with_its_file_and_line(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    submissions = tmp_path / "class"
    submissions.mkdir()
    (submissions / "ada.py").write_text("def fizzbuzz(n):\n    return str(n)\n")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[tests]\npoints = [2, 1]\nhiden = [2]\n")
    dialog = GradeDialog(load_bundled().exercises, Policy(), open_url=lambda url: None)
    qtbot.addWidget(dialog)
    dialog.exercise.setCurrentIndex(dialog.exercise.findData("fizzbuzz"))
    dialog.source.setText(str(submissions))
    dialog.rubric.setText(str(rubric))
    dialog.resize(720, 420)
    dialog.show()
    with qtbot.waitSignal(dialog.graded) as blocker:
        dialog.start_button.click()
    shown = dialog.status.text()
    assert (
        blocker.args[0] is False and "rubric.toml, line 3" in shown and "hiden" in shown and "hidden" in shown
    )
    assert not (tmp_path / "class-grades").exists()  # nothing graded, nothing written
    shoot(dialog, "refused-rubric")
