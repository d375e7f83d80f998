"""The exercise list with its filter box and progress marks (solved, attempted, new)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from tutor.exercises import Exercise
from tutor.progress import ExerciseProgress
from ui.panels.common import column

MARKS = {"solved": "✓", "attempted": "•", "new": " "}


class ExercisesPanel(QWidget):
    """``chosen(exercise_id)`` when the learner picks an exercise (mouse, keyboard or ``select``)."""

    chosen = Signal(str)

    def __init__(self, exercises: list[Exercise], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exercises = exercises
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter exercises…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter exercises")
        self.filter.textChanged.connect(self.apply_filter)
        self.list = QListWidget()
        self.list.setAccessibleName("Exercises")
        self.list.currentItemChanged.connect(self._on_current)
        column(self, QLabel("<b>Exercises</b>"), self.filter, self.list)

    def fill(self, states: dict[str, ExerciseProgress]) -> None:
        """One row per exercise with its mark; emits nothing."""
        with QSignalBlocker(self.list):
            self.list.clear()
            for exercise in self.exercises:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, exercise.id)
                self._set_mark(item, exercise, states.get(exercise.id))
                self.list.addItem(item)

    def refresh_mark(self, exercise: Exercise, progress: ExerciseProgress) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == exercise.id:
                self._set_mark(item, exercise, progress)

    def select(self, exercise_id: str) -> bool:
        """Make ``exercise_id`` the current row (emits ``chosen``); False when there is no such exercise."""
        ids = [e.id for e in self.exercises]
        if exercise_id not in ids:
            return False
        self.list.setCurrentRow(ids.index(exercise_id))
        return True

    def apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, exercise in enumerate(self.exercises):
            haystack = f"{exercise.title} {exercise.topic} {exercise.id}".lower()
            self.list.item(row).setHidden(bool(needle) and needle not in haystack)

    @staticmethod
    def _set_mark(item: QListWidgetItem, exercise: Exercise, progress: ExerciseProgress | None) -> None:
        state = progress.state if progress is not None else "new"
        item.setText(f"{MARKS[state]}  {exercise.title}")
        item.setToolTip(f"{exercise.title} ({exercise.topic or 'exercise'}): {state}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{exercise.title}, {state}")

    def _on_current(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
