"""What the window does with the course as a whole: the next exercise after a pass, resetting all progress
(after a confirmation), and reloading the list after a pack import. Functions of the window, so that
``ui/main_window.py`` stays small."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from tutor.course import next_exercise
from tutor.exercises import LoadResult
from tutor.saving import NotSaved

RESET_QUESTION = (
    'Reset all progress?\n\nEvery exercise goes back to "not started" and the hint counts start again. '
    "Your code is kept. A backup of the progress file is kept beside it."
)


def go_next(window: Any) -> str:
    """Open the next exercise that is not passed; its id, or "" (with a notice) when every exercise passed."""
    current = window.current.id if window.current is not None else None
    found = next_exercise(window.exercises, window.session.progress.all(), current)
    if found is None:
        window.show_notice("Every exercise is passed. Well done!")
        return ""
    window.open_exercise(found.id)
    return str(found.id)


def reset_all_progress(window: Any) -> bool:
    """Ask, then reset; True when progress was reset. Nothing changes when the learner says no or it fails."""
    answer = QMessageBox.question(window, "Reset all progress", RESET_QUESTION)
    if answer != QMessageBox.StandardButton.Yes:
        return False
    try:
        backup = window.session.progress.reset_all()
    except NotSaved as exc:
        window.show_notice(f"Progress was not reset: {exc}")
        return False
    window.exercises_panel.fill(window.session.progress.all())
    window.hint_memory.forget()
    window.hint_panel.clear()
    window._update_hint_action()
    kept = f" A copy of the old progress is in {backup}." if backup else ""
    window.show_notice(f"All progress was reset.{kept}")
    return True


def show_pack(window: Any, pack: LoadResult) -> None:
    """Show a (re)loaded course in the list, keeping the learner's place when it is still there."""
    window.exercises = pack.exercises
    window.pack = pack
    window.exercises_panel.set_pack(pack)
    window.exercises_panel.fill(window.session.progress.all())
    current = window.current.id if window.current is not None else ""
    if not window.exercises_panel.select(current) and pack.exercises:
        window.exercises_panel.select(pack.exercises[0].id)
