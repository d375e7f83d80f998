"""**Rate hints...** (Teacher menu, teacher mode): blind labelling of a benchmark run's hints in the app.

The same flow as ``tutor bench label`` (``tutor.eval.labels``): one hint at a time with the task, the
learner's code, the first failing test and the reference fix; the four criteria, each Yes or No with its rule
written beside it (``tutor.eval.label_rules``, the one copy of the rules), an optional comment, and
"12 of 80". No system name is ever shown: a question carries none. Each label is written as it is saved, to
``RUN_DIR/labels/NAME.jsonl``; opening the same folder again resumes with the first hint not labelled.
Offered where the school's policy allows Compare hints (``arena.compare_hints``, never in exam mode).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tutor.eval.label_rules import CRITERIA, HGOOD_RULE, QUESTIONS, RULES
from tutor.eval.labels import (
    LabelError,
    LabelSession,
    LabelStore,
    Question,
    build_questions,
    default_labeller,
    failing_test_text,
    load_lookup,
    read_run_rows,
)

CHECKED_STYLE = "QPushButton:checked { background: #2f6fd6; color: white; font-weight: bold; }"


def _text_view(name: str, height: int) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setMinimumHeight(height)
    view.setAccessibleName(name)
    return view


def _label(name: str, bold: bool = False) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    if bold:
        label.setStyleSheet("font-weight: bold")
    return label


class RateHintsDialog(QDialog):
    """One hint at a time; the four Yes/No answers and a comment; stored at once, resumed on the next open."""

    stored = Signal(object)  # the label record just written

    def __init__(
        self,
        parent: QWidget | None,
        run_dir: Path,
        labeller: str,
        questions: list[Question] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rate hints")
        self.resize(1180, 760)
        found = questions if questions is not None else load_questions(run_dir)
        self.session = LabelSession(found, LabelStore(run_dir, labeller))
        self._build()
        self.show_current()

    def _build(self) -> None:
        self.progress = _label("Progress", bold=True)
        self.task = _label("Task")
        self.code = _text_view("Learner's code", 160)
        self.failing = _label("First failing test")
        self.fix = _text_view("Reference fix", 110)
        self.hint = _label("Hint")
        self.hint.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 6px")
        left = QVBoxLayout()
        left.addWidget(self.progress)
        for title, widget in (
            ("Task", self.task),
            ("Learner's code", self.code),
            ("First failing test", self.failing),
            ("Reference fix (teachers only)", self.fix),
            ("The hint to rate", self.hint),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            left.addWidget(box)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(self._build_answers(), 2)

    def _build_answers(self) -> QVBoxLayout:
        right = QVBoxLayout()
        self.groups: dict[str, QButtonGroup] = {}
        self.answer_buttons: dict[str, tuple[QPushButton, QPushButton]] = {}
        for criterion in CRITERIA:
            box = QGroupBox(f"{criterion}: {QUESTIONS[criterion]}")
            grid = QGridLayout(box)
            rule = _label(f"{criterion} rule")
            rule.setText(RULES[criterion])
            grid.addWidget(rule, 0, 0, 1, 3)
            group = QButtonGroup(self)
            pair = []
            for column, (text, value) in enumerate((("Yes", 1), ("No", 0))):
                button = QPushButton(text)
                button.setCheckable(True)
                button.setAccessibleName(f"{criterion} {text}")
                button.setStyleSheet(CHECKED_STYLE)
                group.addButton(button, value)
                grid.addWidget(button, 1, column)
                pair.append(button)
            group.idToggled.connect(lambda *_: self._update_save())
            self.groups[criterion] = group
            self.answer_buttons[criterion] = (pair[0], pair[1])
            right.addWidget(box)
        right.addWidget(QLabel(HGOOD_RULE))
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (optional)")
        self.comment.setAccessibleName("Comment")
        right.addWidget(self.comment)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save and next")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.skip_button = QPushButton("Skip")
        self.skip_button.clicked.connect(self.skip)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for button in (self.save_button, self.skip_button, close):
            buttons.addWidget(button)
        right.addLayout(buttons)
        self.status = _label("Rate hints status")
        right.addWidget(self.status)
        right.addStretch(1)
        return right

    # -- the flow ------------------------------------------------------------------------------------------------
    def answers(self) -> dict[str, bool] | None:
        """The four answers given, or None while one is missing."""
        found = {c: self.groups[c].checkedId() for c in CRITERIA}
        return None if -1 in found.values() else {c: v == 1 for c, v in found.items()}

    def set_answers(self, labels: dict[str, bool]) -> None:
        for criterion, value in labels.items():
            self.answer_buttons[criterion][0 if value else 1].setChecked(True)

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.session.current() is not None and self.answers() is not None)

    def show_current(self) -> None:
        question = self.session.current()
        for group in self.groups.values():
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
        self.comment.clear()
        for button in (*[b for pair in self.answer_buttons.values() for b in pair], self.skip_button):
            button.setEnabled(question is not None)
        if question is None:
            self._show_done()
        else:
            self._show_question(question)
        self._update_save()

    def _show_question(self, question: Question) -> None:
        self.progress.setText(f"Hint {self.session.position()}")
        self.task.setText(question.title + (f"\n{question.description}" if question.description else ""))
        numbered = (f"{n:>3}  {line}" for n, line in enumerate(question.code.splitlines(), start=1))
        self.code.setPlainText("\n".join(numbered))
        self.failing.setText(failing_test_text(question.failing_test))
        self.fix.setPlainText(question.fix)
        self.hint.setText(question.hint)

    def _show_done(self) -> None:
        total = self.session.total
        self.progress.setText(f"{self.session.labelled} of {total} labelled")
        for widget in (self.task, self.failing, self.hint):
            widget.setText("")
        self.code.clear()
        self.fix.clear()
        left = total - self.session.labelled
        self.status.setText(
            "Every hint is labelled. Thank you." if not left else f"{left} skipped: open again to label them."
        )

    def save(self) -> None:
        labels = self.answers()
        if labels is None or self.session.current() is None:
            return
        record = self.session.answer(labels, self.comment.text())
        self.status.setText(f"Saved to {self.session.store.path.name}.")
        self.stored.emit(record)
        self.show_current()

    def skip(self) -> None:
        self.session.skip()
        self.show_current()


def load_questions(run_dir: Path) -> list[Question]:
    return build_questions(read_run_rows(run_dir), load_lookup())


def open_rate_hints(
    window: Any, run_dir: Path | None = None, labeller: str | None = None
) -> RateHintsDialog | None:
    """Ask for a benchmark run folder and a name (unless given), then open the dialog on it."""
    if run_dir is None:
        chosen = QFileDialog.getExistingDirectory(
            window, "A benchmark run folder (tutor bench quality --out)"
        )
        if not chosen:
            return None
        run_dir = Path(chosen)
    if labeller is None:
        name, ok = QInputDialog.getText(
            window, "Rate hints", "Your name (labels are kept per name):", text=default_labeller()
        )
        if not ok or not name.strip():
            return None
        labeller = name
    try:
        dialog = RateHintsDialog(window, run_dir, labeller)
    except LabelError as exc:
        QMessageBox.warning(window, "Rate hints", str(exc))
        return None
    dialog.show()
    window.rate_dialog = dialog
    return dialog


def install_rate_hints(window: Any) -> QAction | None:
    """The main window's hook: a "Rate hints…" action (Teacher menu, teacher mode) where the policy allows
    Compare hints; None elsewhere."""
    if not window.session.policy.compare_allowed:
        return None
    action = QAction("Rate hints…", window)
    action.setToolTip("Teachers: label a benchmark run's hints, blind, by the four criteria")
    action.triggered.connect(lambda: open_rate_hints(window))
    window.rate_action = action
    return action
