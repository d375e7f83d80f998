"""The Output pane: what the learner's code printed during each test (per test, capped; nothing of a hidden
test), and "Run program": the whole file run on its own in the sandbox, with a multi-line input box as its
standard input, showing what it printed, its error, or that it waited for more input than was given.

The run happens in a worker thread (``ProgramRunner``, the ``ui.workers`` pattern); the pane only shows.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from tutor.runner import ProgramRun, TestReport, run_program
from tutor.saving import reason
from ui.panels.common import column

PER_TEST_CAP = 2_000  # characters of one test's output shown (the runner caps it too)
READY = "What your program prints appears here. Run tests (F5), or Run program (Ctrl+R) with the input below."
STATUS_WORDS = {
    "ok": "The program finished",
    "error": "The program stopped with an error",
    "timeout": "The program ran too long and was stopped",
    "waiting": "The program waited for more input than you gave",
}


def outputs_text(report: TestReport) -> str:
    """One block per test that printed something: "test 2: greeting('Ada')" and its output."""
    blocks = []
    for number, test in enumerate(report.tests, start=1):
        output = test.output
        if test.hidden:
            if output:
                blocks.append(f"── hidden test {number}: its output is hidden too")
            continue
        if not output:
            continue
        if len(output) > PER_TEST_CAP:
            output = output[:PER_TEST_CAP] + f"\n… (cut: {len(output) - PER_TEST_CAP} more characters)"
        blocks.append(f"── test {number}: {test.call}\n{output.rstrip()}")
    if not blocks:
        return "Your code printed nothing during the tests."
    return "\n".join(blocks)


def describe_run(run: ProgramRun) -> tuple[str, str]:
    """The status line and the text for a ``ProgramRun``."""
    words = STATUS_WORDS.get(run.status, run.status)
    where = f" on line {run.line}" if run.line else ""
    status = f"{words}{where} ({run.duration_s:.2f} s)."
    text = run.stdout or ""
    if run.message:
        text = (text.rstrip("\n") + "\n\n" if text else "") + run.message
    return status, text or "(The program printed nothing.)"


class OutputPane(QWidget):
    """``run_requested(stdin)`` when the learner presses Run program."""

    run_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel(READY)
        self.status.setWordWrap(True)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setAccessibleName("Program output")
        self.input = QPlainTextEdit()
        self.input.setAccessibleName("Program input")
        self.input.setPlaceholderText("Input for Run program: one line per input() call")
        self.input.setMaximumHeight(70)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.output.setFont(fixed)
        self.input.setFont(fixed)
        self.run_button = QPushButton("Run program (Ctrl+R)")
        self.run_button.clicked.connect(lambda: self.run_requested.emit(self.input.toPlainText()))
        row = QHBoxLayout()
        row.addWidget(QLabel("Input:"))
        row.addStretch(1)
        row.addWidget(self.run_button)
        layout = column(self, QLabel("<b>Output</b>"), self.status, self.output)
        layout.addLayout(row)
        layout.addWidget(self.input)

    def clear(self) -> None:
        self.status.setText(READY)
        self.output.clear()

    def show_tests(self, report: TestReport) -> None:
        self.status.setText("What your code printed during each test:")
        self.output.setPlainText(outputs_text(report))

    def running(self) -> None:
        self.run_button.setEnabled(False)
        self.status.setText("Running your program…")
        self.output.clear()

    def show_run(self, run: ProgramRun) -> None:
        self.run_button.setEnabled(True)
        status, text = describe_run(run)
        self.status.setText(status)
        self.output.setPlainText(text)

    def show_failure(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(message)

    def set_font(self, font: QFont) -> None:
        fixed = QFont(self.output.font())
        fixed.setPointSizeF(font.pointSizeF())
        self.output.setFont(fixed)
        self.input.setFont(fixed)


class _RunSignals(QObject):
    finished = Signal(str, object)  # exercise id, ProgramRun
    failed = Signal(str, str)  # exercise id, why nothing ran


class _RunJob(QRunnable):
    def __init__(self, exercise_id: str, code: str, stdin: str, signals: _RunSignals) -> None:
        super().__init__()
        self.exercise_id, self.code, self.stdin, self.signals = exercise_id, code, stdin, signals

    def run(self) -> None:
        """Every run ends in one signal, so Run program never stays disabled."""
        try:
            result = run_program(self.code, self.stdin)
        except OSError as exc:  # e.g. no room for the run's temporary folder
            self.signals.failed.emit(self.exercise_id, f"The program could not be run: {reason(exc)}.")
            return
        except Exception as exc:  # noqa: BLE001 - shown to the learner, never a dead Run button
            traceback.print_exc()
            self.signals.failed.emit(self.exercise_id, f"The program could not be run: {exc}")
            return
        self.signals.finished.emit(self.exercise_id, result)


class ProgramRunner(QObject):
    """Runs the learner's whole file off the UI thread: ``finished(exercise_id, run)`` or ``failed(id, why)``."""

    finished = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _RunSignals()
        self._signals.finished.connect(self.finished)
        self._signals.failed.connect(self.failed)

    def start(self, exercise_id: str, code: str, stdin: str) -> None:
        self._pool.start(_RunJob(exercise_id, code, stdin, self._signals))

    def wait(self) -> None:
        self._pool.waitForDone()
