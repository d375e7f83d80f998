"""What the window saves (the learner's code, settings, runs and hints), and what it says when a disk refuses.

A disk that refuses a save (full, read-only) never costs a result: the report or hint is shown first, then one
sentence says what could not be saved; the save is tried again next time, so the window recovers by itself when
there is room. A damaged progress file that was kept aside is announced in a dialog that says where it is.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from tutor.feedback import Hint
from tutor.runner import TestReport
from tutor.saving import NotSaved
from tutor.session import Session


class Saver:
    """The window's saves, each turning a refusal into one notice (``notify``), not one per keystroke."""

    def __init__(self, session: Session, notify: Callable[[str], None]) -> None:
        self.session, self.notify = session, notify
        self.problem = ""  # why the code could not be saved last time ("" once a save works again)
        self.close_refused = False  # a close was refused once because the code could not be saved

    def code(self, exercise_id: str, text: str) -> bool:
        """Autosave; False when the disk refuses it."""
        try:
            self.session.workspace.save(exercise_id, text)
        except NotSaved as exc:
            if str(exc) != self.problem:
                self.notify(f"{exc} It stays in the editor; saving is tried again as you type.")
            self.problem = str(exc)
            return False
        if self.problem:
            self.problem = ""
            self.notify("Your code is saved again.")
        return True

    def settings(self) -> bool:
        try:
            self.session.settings.save()
        except NotSaved as exc:
            self.notify(str(exc))
            return False
        return True

    def run(self, exercise_id: str, report: TestReport) -> None:
        try:
            self.session.record_run(exercise_id, report)
        except NotSaved as exc:  # the report is on screen; the run is counted and saved with the next one
            self.notify(f"{exc} It is kept and saved later.")

    def hint(self, exercise_id: str, hint: Hint) -> None:
        try:
            self.session.record_hint(exercise_id, hint)  # a cancelled or passing request is not counted
        except NotSaved as exc:  # the hint is on screen, and counted; it is saved with the next event
            self.notify(f"This hint is shown, but {str(exc)[0].lower()}{str(exc)[1:]}")

    def may_close(self, saved: bool) -> bool:
        """Whether the window may close now: a first close with unsaved code is refused, with a warning."""
        if saved or self.close_refused:
            return True
        self.close_refused = True  # the second close goes ahead: the learner has been told
        self.notify(
            f"{self.problem} Copy your code somewhere safe or free some space; close again to quit without saving."
        )
        return False


def recovery_dialog(parent: QWidget, message: str) -> QMessageBox:
    """The damaged progress file was kept aside (or could not be): a dialog that stays until read."""
    dialog = QMessageBox(
        QMessageBox.Icon.Warning, "Progress file", message, QMessageBox.StandardButton.Ok, parent
    )
    dialog.setObjectName("recovery-dialog")
    dialog.open()
    return dialog


def autosave_timer(parent: QWidget, save: Callable[[], object]) -> QTimer:
    """A timer that saves 0.7 s after the last keystroke (start it on every change)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(700)
    timer.timeout.connect(save)
    return timer
