"""The "Compare hints" mode: two anonymised hints for the current exercise and code, side by side in random order;
the teacher votes A, B, tie or both bad, and the vote goes into the progress database (the hint arena's teacher
votes). Shown only when the school's policy turns it on (``[arena] compare_hints``).

The two hints are written by a ``CompareWorker`` in its own ``QThread`` (each hint source loads its own model
there, once), so the window never blocks; the worker never touches widgets, it emits signals.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from tutor.arena.votes import code_sha
from tutor.eval.systems import open_source, parse_system
from tutor.exercises import Exercise
from tutor.policy import DEFAULT_COMPARE_SYSTEMS
from tutor.progress import ProgressStore, Vote

SourceFactory = Callable[[str], Any]  # system name -> an object with hint(exercise, code) and close()
CHOICES = (("A", "A is better"), ("B", "B is better"), ("tie", "Tie"), ("both bad", "Both bad"))


def open_system(name: str) -> Any:
    return open_source(parse_system(name))


@dataclass
class HintPair:
    exercise: Exercise
    code: str
    system_a: str
    system_b: str
    hint_a: str
    hint_b: str


class CompareWorker(QObject):
    """Writes the two hints; lives in its own thread. Sources are opened once and kept."""

    done = Signal(object)  # HintPair
    failed = Signal(str)

    def __init__(self, factory: SourceFactory) -> None:
        super().__init__()
        self._factory = factory
        self._sources: dict[str, Any] = {}

    @Slot(object, str, str, str)
    def compare(self, exercise: Exercise, code: str, system_a: str, system_b: str) -> None:
        try:
            texts = [self._source(name).hint(exercise, code).hint for name in (system_a, system_b)]
            self.done.emit(HintPair(exercise, code, system_a, system_b, texts[0], texts[1]))
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, never a crash
            traceback.print_exc()
            self.failed.emit(f"The hints could not be written: {exc}")

    def _source(self, name: str) -> Any:
        if name not in self._sources:
            self._sources[name] = self._factory(name)
        return self._sources[name]

    def cancel(self) -> None:
        """Thread-safe: ask every loaded model to stop its current generation."""
        for source in list(self._sources.values()):
            engine = getattr(source, "engine", None)
            if engine is not None:
                engine.cancel()

    @Slot()
    def close_sources(self) -> None:
        for source in self._sources.values():
            source.close()
        self._sources.clear()


class CompareHintsDialog(QDialog):
    """Two hints as "Hint A" and "Hint B"; which system wrote which is shown only after the vote."""

    _request = Signal(object, str, str, str)
    pair_shown = Signal(object)  # HintPair
    voted = Signal(object)  # Vote

    def __init__(
        self,
        parent: QWidget | None,
        store: ProgressStore,
        systems: list[str] | None = None,
        factory: SourceFactory = open_system,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare hints")
        self.resize(900, 380)
        self.store = store
        self.systems = list(dict.fromkeys(systems or DEFAULT_COMPARE_SYSTEMS))
        self.rng = rng or random.Random()
        self.pair: HintPair | None = None
        self.busy = False
        self._build()
        self.thread_ = QThread()
        self.thread_.setObjectName("compare-hints")
        self.worker = CompareWorker(factory)
        self.worker.moveToThread(self.thread_)
        self._request.connect(self.worker.compare)
        self.worker.done.connect(self._show_pair)
        self.worker.failed.connect(self._show_failure)
        self.thread_.start()

    def _build(self) -> None:
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Compare hints status")
        self.views: list[QLabel] = []
        boxes = QHBoxLayout()
        for title in ("Hint A", "Hint B"):
            view = QLabel()
            view.setWordWrap(True)
            view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            view.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            view.setMinimumHeight(140)
            view.setAccessibleName(title)
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(view)
            boxes.addWidget(box)
            self.views.append(view)
        buttons = QHBoxLayout()
        self.vote_buttons: dict[str, QPushButton] = {}
        for choice, text in CHOICES:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, c=choice: self.vote(c))
            buttons.addWidget(button)
            self.vote_buttons[choice] = button
        buttons.addStretch(1)
        self.again_button = QPushButton("Another pair")
        self.again_button.clicked.connect(self._again)
        buttons.addWidget(self.again_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Which hint would help the student more? The hints come from two different sources, "
                "in random order; you see which after voting."
            )
        )
        layout.addLayout(boxes)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._set_voting(False)

    # -- requests ------------------------------------------------------------------------------------------------
    def compare(self, exercise: Exercise, code: str) -> bool:
        """Start writing two hints for this exercise and code; False (with a message) when it cannot."""
        if len(self.systems) < 2:
            self.status.setText(
                "Comparing needs two hint sources: ask for [arena] systems in the school's policy."
            )
            return False
        if self.busy:
            self.status.setText("Two hints are already being written…")
            return False
        self.busy, self.pair = True, None
        self._last = (exercise, code)
        first, second = self.draw()
        for view in self.views:
            view.setText("…")
        self._set_voting(False)
        self.again_button.setEnabled(False)
        self.status.setText(f"Writing two hints for {exercise.title}… (you can keep working meanwhile)")
        self._request.emit(exercise, code, first, second)
        return True

    def draw(self) -> tuple[str, str]:
        """Two different systems at random, in random order (the first is shown as Hint A)."""
        first, second = self.rng.sample(self.systems, 2)
        return first, second

    def _again(self) -> None:
        if getattr(self, "_last", None):
            self.compare(*self._last)

    def _show_pair(self, pair: HintPair) -> None:
        self.busy, self.pair = False, pair
        self.views[0].setText(pair.hint_a or "(no hint)")
        self.views[1].setText(pair.hint_b or "(no hint)")
        self._set_voting(True)
        self.again_button.setEnabled(True)
        self.status.setText(f"{pair.exercise.title}: vote A, B, tie or both bad.")
        self.pair_shown.emit(pair)

    def _show_failure(self, message: str) -> None:
        self.busy = False
        self.again_button.setEnabled(True)
        self.status.setText(message)

    def vote(self, choice: str) -> Vote | None:
        pair = self.pair
        if pair is None:
            return None
        vote = Vote(
            exercise=pair.exercise.id,
            code_sha=code_sha(pair.code),
            system_a=pair.system_a,
            system_b=pair.system_b,
            vote=choice,
            hint_a=pair.hint_a,
            hint_b=pair.hint_b,
        )
        self.store.record_vote(vote)
        self.pair = None
        self._set_voting(False)
        self.status.setText(
            f"Vote saved ({choice}). Hint A was from {pair.system_a}, hint B from {pair.system_b}."
        )
        self.voted.emit(vote)
        return vote

    def _set_voting(self, enabled: bool) -> None:
        for button in self.vote_buttons.values():
            button.setEnabled(enabled)

    def shutdown(self) -> None:
        """Stop the worker thread (the window is closing)."""
        self.worker.cancel()
        self.thread_.quit()
        self.thread_.wait(60_000)
        self.worker.close_sources()


class _CloseWatcher(QObject):
    def __init__(self, window: QMainWindow, dialog_of: Callable[[], CompareHintsDialog | None]) -> None:
        super().__init__(window)
        self._dialog_of = dialog_of

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close:
            dialog = self._dialog_of()
            if dialog is not None:
                dialog.shutdown()
        return False


def install_compare_hints(window: Any) -> QAction | None:
    """The main window's hook: a "Compare hints" toolbar action when the policy allows it (else nothing)."""
    if not window.session.policy.compare_allowed:
        return None
    action = QAction("Compare hints…", window)
    action.setToolTip("Teachers: compare two anonymised hints for this code and vote")
    toolbar = window.findChild(QToolBar)
    (toolbar or window).addAction(action)
    state: dict[str, CompareHintsDialog] = {}

    def open_dialog() -> None:
        if window.current is None:
            return
        if "dialog" not in state:
            state["dialog"] = CompareHintsDialog(
                window, window.session.progress, window.session.policy.compare_systems
            )
        dialog = state["dialog"]
        dialog.show()
        dialog.raise_()
        if not dialog.busy:
            dialog.compare(window.current, window.editor.toPlainText())

    action.triggered.connect(open_dialog)
    window.installEventFilter(_CloseWatcher(window, lambda: state.get("dialog")))
    window.compare_action = action
    window.compare_dialog_of = lambda: state.get("dialog")
    return action
