"""The teacher's "Grade a folder..." dialog: pick the submissions, the exercise and an optional rubric, grade in a
worker thread (the window never blocks), follow the progress, and open ``report.html`` at the end.

Shown only when the site policy allows grading (``grading.allowed``); ``install_grade_action`` is the one-line
hook into the main window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from tutor.engines.base import Engine
from tutor.exercises import Exercise
from tutor.grading.rubric import RubricError, load_rubric
from tutor.policy import Policy
from tutor.session import Session

_STAGES = {
    "run": "Running tests",
    "judge": "Rubric questions (model)",
    "feedback": "Feedback (model, per group)",
    "report": "Writing the report",
}


class _GradeWorker(QObject):
    progress = Signal(str, int, int)
    finished = Signal(object)  # GradeRun
    failed = Signal(str)

    def __init__(self, request: Any, use_model: bool, policy: Policy) -> None:
        super().__init__()
        self.request, self.use_model, self.policy = request, use_model, policy
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        from tutor.grading.grader import grade  # heavy: matplotlib (the reports) and the hint pipeline

        try:
            if self.use_model:
                self.request.engine = _load_engine(self.policy)
            self.finished.emit(grade(self.request, self.progress.emit, self.cancel.is_set))
        except Exception as exc:  # noqa: BLE001 - shown in the dialog in one line, never a crash of the app
            self.failed.emit(str(exc) or type(exc).__name__)


def _load_engine(policy: Policy) -> Engine:
    """The model for feedback and judged items, loaded the one way every front door loads one
    (``Session.load_engine``: the learner's or the school's model, the policy's refusal and allowed list, the
    saved engine; native llama.cpp runs in its own process, so a crash never ends the app). A refusal is a
    ``UsageError``, shown in the dialog in one line."""
    return Session(policy=policy).load_engine()


class GradeDialog(QDialog):
    graded = Signal(bool, str)  # ok, the report's path or the error (``done`` is QDialog's own slot)

    def __init__(
        self,
        exercises: Sequence[Exercise],
        policy: Policy,
        parent: QWidget | None = None,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Grade a folder")
        self.exercises, self.policy, self.open_url = list(exercises), policy, open_url
        self._thread: QThread | None = None
        self._worker: _GradeWorker | None = None
        self.run_result: Any = None
        self._build()

    def _build(self) -> None:
        self.source = QLineEdit()
        self.source.setPlaceholderText(
            "a folder of .py files (or one folder per student), a .zip or a .jsonl"
        )
        self.exercise = QComboBox()
        for exercise in self.exercises:
            self.exercise.addItem(f"{exercise.title} ({exercise.id})", exercise.id)
        self.rubric = QLineEdit()
        self.rubric.setPlaceholderText("optional: a TOML rubric")
        self.out = QLineEdit()
        self.out.setPlaceholderText("default: beside the submissions, NAME-grades")
        self.use_model = QCheckBox(
            "Write feedback with the local model (slower; once per group of similar mistakes)"
        )
        form = QFormLayout()
        form.addRow(
            "Submissions",
            self._with_buttons(self.source, [("Folder…", self._pick_folder), ("File…", self._pick_file)]),
        )
        form.addRow("Exercise", self.exercise)
        form.addRow("Rubric", self._with_buttons(self.rubric, [("File…", self._pick_rubric)]))
        form.addRow("Output folder", self.out)
        form.addRow("", self.use_model)
        self.status = QLabel(
            "Student code stays on this computer: it runs in the sandbox, one program at a time per core."
        )
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.start_button = QPushButton("Grade")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(720, 300)

    def _with_buttons(self, field: QLineEdit, buttons: list[tuple[str, Callable[[], None]]]) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        for text, slot in buttons:
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        return box

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Submissions folder")
        if folder:
            self.source.setText(folder)

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Submissions", "", "Submissions (*.zip *.jsonl)")
        if path:
            self.source.setText(path)

    def _pick_rubric(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Rubric", "", "Rubric (*.toml)")
        if path:
            self.rubric.setText(path)

    # -- grading ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        from tutor.grading.grader import GradeRequest  # heavy: matplotlib (the reports) and the hint pipeline

        source = Path(self.source.text().strip())
        exercise = next((e for e in self.exercises if e.id == self.exercise.currentData()), None)
        if not self.source.text().strip() or not source.exists():
            self._fail("Choose the submissions: a folder, a .zip or a .jsonl file that exists.")
            return
        if exercise is None:
            self._fail("Choose the exercise the submissions answer.")
            return
        try:
            rubric = load_rubric(
                Path(self.rubric.text().strip()) if self.rubric.text().strip() else None, len(exercise.tests)
            )
        except RubricError as exc:
            self._fail(str(exc))
            return
        out = (
            Path(self.out.text().strip())
            if self.out.text().strip()
            else source.with_name(f"{source.stem}-grades")
        )
        request = GradeRequest(source, exercise, out, rubric, avoid=tuple(self.policy.avoid))
        self._worker = _GradeWorker(request, self.use_model.isChecked(), self.policy)
        self._thread = QThread(self)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.status.setText(
            "Loading the model…" if self.use_model.isChecked() else "Reading the submissions…"
        )
        self._thread.start()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()
            self.status.setText("Stopping after the programs that are running now…")

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.status.setText(f"{_STAGES.get(stage, stage)}: {done} of {total}")

    @Slot(object)
    def _on_finished(self, run: Any) -> None:
        from tutor.grading.wording import plural  # heavy: tutor.feedback loads the hint pipeline

        self._stop_thread()
        self.run_result = run
        data = run.summary()
        report = run.files["report_html"]
        self.status.setText(
            f"{plural(data['students'], 'student')} graded, mean {data['mean_percent']}%, "
            f"{plural(data['groups'], 'failure group')}. Report: {report}"
        )
        self.open_url(QUrl.fromLocalFile(report))
        self.graded.emit(True, report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self._fail(message)

    def _fail(self, message: str) -> None:
        self.status.setText(f"Could not grade: {message}")
        self.graded.emit(False, message)

    def _stop_thread(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setVisible(False)
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        super().closeEvent(event)


def install_grade_action(
    window: QMainWindow, exercises: Sequence[Exercise], policy: Policy
) -> QAction | None:
    """Add "Grade a folder…" to the window's toolbar when the site policy allows grading; returns the action."""
    if not policy.grading_allowed:
        return None
    action = QAction("Grade a folder…", window)
    action.setToolTip("Teachers: grade a class's submissions and open the report")
    action.triggered.connect(lambda: _open(window, exercises, policy))
    toolbars = window.findChildren(QToolBar)
    (toolbars[0] if toolbars else window).addAction(action)
    window.grade_action = action  # type: ignore[attr-defined]
    return action


def _open(window: QMainWindow, exercises: Sequence[Exercise], policy: Policy) -> None:
    dialog = GradeDialog(exercises, policy, window)
    dialog.show()
    window.grade_dialog = dialog  # type: ignore[attr-defined]
