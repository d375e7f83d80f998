"""The exercise list: a tree of units ("Loops · 3 / 11 passed") and their exercises (state, title, difficulty,
"Fix the bug" or "Write"), with a search box and a concept filter.

It only shows and reports: ``chosen(exercise_id)`` when the learner picks an exercise; the window decides what
happens then.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHeaderView, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem, QWidget

from tutor.exercises import Exercise, LoadResult
from tutor.progress import ExerciseProgress
from ui.core_api import concepts_of, kind_label, state_of, unit_id, units_of
from ui.panels.common import column

MARKS = {"passed": "✓", "attempted": "•", "not started": "○"}
ALL_CONCEPTS = "All concepts"
ID_ROLE = Qt.ItemDataRole.UserRole


def stars(difficulty: int) -> str:
    return "★" * max(1, min(5, difficulty))


def about(exercise: Exercise) -> str:
    """The line under an exercise's title: its kind, difficulty and concepts."""
    concepts = ", ".join(concepts_of(exercise))
    return f"{kind_label(exercise)} · difficulty {stars(exercise.difficulty)}" + (
        f" · {concepts}" if concepts else ""
    )


class ExerciseList(QWidget):
    """``chosen(exercise_id)`` when the learner picks an exercise (mouse, keyboard or ``select``)."""

    chosen = Signal(str)

    def __init__(self, pack: LoadResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("<b>Exercises</b>")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Search exercises…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Search exercises")
        self.filter.textChanged.connect(self.apply_filter)
        self.concept = QComboBox()
        self.concept.setAccessibleName("Filter by concept")
        self.concept.currentTextChanged.connect(self.apply_filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(3)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for section in (1, 2):
            self.tree.header().setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setAccessibleName("Exercises")
        self.tree.currentItemChanged.connect(self._on_current)
        self.list = self.tree  # the name the window's focus key (Ctrl+L) uses
        self._states: dict[str, ExerciseProgress] = {}
        column(self, self.heading, self.filter, self.concept, self.tree)
        self.set_pack(pack)

    # -- filling ---------------------------------------------------------------------------------------------
    def set_pack(self, pack: LoadResult) -> None:
        """Show another pack's exercises (after an import); emits nothing."""
        self.pack = pack
        self.exercises = list(pack.exercises)
        with QSignalBlocker(self.concept):
            self.concept.clear()
            concepts = sorted({c for e in self.exercises for c in concepts_of(e)})
            self.concept.addItems([ALL_CONCEPTS, *concepts])
        self.fill(self._states)

    def fill(self, states: dict[str, ExerciseProgress]) -> None:
        """One unit row per unit, one row per exercise under it; emits nothing."""
        self._states = dict(states)
        with QSignalBlocker(self.tree):
            self.tree.clear()
            self._units: dict[str, QTreeWidgetItem] = {}
            for unit in units_of(self.pack):
                item = QTreeWidgetItem([unit.title])
                item.setData(0, ID_ROLE, "")
                item.setToolTip(0, unit.summary or unit.title)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self._units[unit.id] = item
            for exercise in self.exercises:
                child = QTreeWidgetItem()
                child.setData(0, ID_ROLE, exercise.id)
                self._units[unit_id(exercise)].addChild(child)
                self._set_mark(child, exercise)
            self.tree.addTopLevelItems([u for u in self._units.values() if u.childCount()])
            for unit_item in self._units.values():
                unit_item.setFirstColumnSpanned(True)
            self.tree.expandAll()
        self._update_progress()
        self.apply_filter()

    def refresh_mark(self, exercise: Exercise, progress: ExerciseProgress) -> None:
        self._states[exercise.id] = progress
        item = self._item(exercise.id)
        if item is not None:
            self._set_mark(item, exercise)
        self._update_progress()

    def _set_mark(self, item: QTreeWidgetItem, exercise: Exercise) -> None:
        state = state_of(self._states.get(exercise.id))
        item.setText(0, f"{MARKS[state]}  {exercise.title}")
        item.setText(1, stars(exercise.difficulty))
        item.setText(2, "Fix" if kind_label(exercise) == "Fix the bug" else "Write")
        concepts = ", ".join(concepts_of(exercise)) or "no concept tags"
        item.setToolTip(
            0,
            f"{exercise.title}: {state}\n{kind_label(exercise)} · difficulty {exercise.difficulty} of 5 · "
            f"{concepts}",
        )
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{exercise.title}, {state}")

    def _update_progress(self) -> None:
        passed_all = 0
        for uid, item in self._units.items():
            children = _children(item)
            total = len(children)
            passed = sum(
                state_of(self._states.get(str(child.data(0, ID_ROLE)))) == "passed" for child in children
            )
            passed_all += passed
            title = next((u.title for u in units_of(self.pack) if u.id == uid), uid)
            item.setText(0, f"{title} · {passed} / {total} passed")
        self.heading.setText(f"<b>Exercises</b> · {passed_all} of {len(self.exercises)} passed")

    # -- choosing and filtering ------------------------------------------------------------------------------
    def select(self, exercise_id: str) -> bool:
        """Make ``exercise_id`` the current row (emits ``chosen``); False when there is no such exercise."""
        item = self._item(exercise_id)
        if item is None:
            return False
        item.setHidden(False)
        self.tree.setCurrentItem(item)
        return True

    def current_id(self) -> str:
        item = self.tree.currentItem()
        return str(item.data(0, ID_ROLE)) if item is not None else ""

    def apply_filter(self, *_: object) -> None:
        """Hide exercises that do not match the search text (title, id, concepts) and the chosen concept."""
        needle = self.filter.text().strip().lower()
        concept = self.concept.currentText()
        by_id = {e.id: e for e in self.exercises}
        for unit in self._units.values():
            shown = 0
            for child in _children(unit):
                exercise = by_id[str(child.data(0, ID_ROLE))]
                tags = concepts_of(exercise)
                text = f"{exercise.title} {exercise.id} {' '.join(tags)}".lower()
                wrong_concept = concept not in ("", ALL_CONCEPTS) and concept not in tags
                hide = bool(needle and needle not in text) or wrong_concept
                child.setHidden(hide)
                shown += not hide
            unit.setHidden(shown == 0)

    def visible_ids(self) -> list[str]:
        return [
            e.id for e in self.exercises if (item := self._item(e.id)) is not None and not item.isHidden()
        ]

    def texts(self) -> dict[str, str]:
        """Each exercise's row text, by id (what a learner reads)."""
        return {e.id: item.text(0) for e in self.exercises if (item := self._item(e.id)) is not None}

    def unit_texts(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def _item(self, exercise_id: str) -> QTreeWidgetItem | None:
        for unit in self._units.values():
            for child in _children(unit):
                if child.data(0, ID_ROLE) == exercise_id:
                    return child
        return None

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is not None and item.data(0, ID_ROLE):
            self.chosen.emit(str(item.data(0, ID_ROLE)))


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
