"""The hint panel: the school's policy banner, the pipeline's stage, streamed tokens, the hint, and the
explanation behind a button (shown only on request)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QTextBrowser, QWidget

from tutor.feedback import Hint
from tutor.policy import Policy
from ui.panels.common import column

READY = "Ask for a hint with Ctrl+H when a test fails."
STAGES = {
    "testing": "Running the tests…",
    "repairing": "Trying repairs…",
    "writing hint": "Writing a hint…",
    "rewriting hint": "Writing a better hint…",
}
BANNER_STYLE = "background: #fff3cd; color: #5c4400; padding: 6px; border-radius: 4px;"
STALE = "This hint is about an earlier version of your code: run the tests or ask again."


class HintPanel(QWidget):
    """``cancel_requested()`` when the learner presses Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.running = False
        self._streamed = self._observed = ""
        self.policy_banner = _label(visible=False)
        self.policy_banner.setStyleSheet(BANNER_STYLE)
        self.policy_banner.setAccessibleName("School policy notice")
        self.stage = _label(READY)
        self.busy = QProgressBar()
        self.busy.setMaximum(0)
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)
        self.stale_note = _label(STALE, visible=False)
        self.stale_note.setStyleSheet(BANNER_STYLE)
        self.stale_note.setAccessibleName("The hint is out of date")
        self.view = QTextBrowser()
        self.view.setAccessibleName("Hint")
        self.explanation = _label(visible=False)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explain_button = QPushButton("Show explanation")
        self.explain_button.setEnabled(False)
        self.explain_button.clicked.connect(self.toggle_explanation)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.explain_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = column(
            self,
            QLabel("<b>Hint</b>"),
            self.policy_banner,
            self.stage,
            self.busy,
            self.stale_note,
            self.view,
            self.explanation,
        )
        layout.addLayout(buttons)

    def show_policy(self, policy: Policy) -> None:
        """The banner for a broken policy or exam mode; hidden otherwise."""
        if policy.error:
            self.policy_banner.setText(
                f"<b>The school's policy has an error</b> ({policy.error}). "
                "Hints and downloads are off until it is fixed."
            )
        elif policy.exam_mode:
            self.policy_banner.setText("<b>Exam mode</b>: hints are off. Tests still run.")
        self.policy_banner.setVisible(bool(policy.error or policy.exam_mode))

    def show_message(self, message: str) -> None:
        """A notice in the stage line, unless a hint is being written there."""
        if not self.running:
            self.stage.setText(message)

    def clear(self) -> None:
        """Forget the last hint (not while one is being written)."""
        if self.running:
            return
        self.view.clear()
        self.explanation.clear()
        self.explanation.setVisible(False)
        self.explain_button.setEnabled(False)
        self.mark_stale(False)
        self.stage.setText(READY)

    def mark_stale(self, stale: bool) -> None:
        """Say the hint shown is about older code (its text greyed), or take that back."""
        self.stale_note.setVisible(stale)
        self.view.setEnabled(not stale)

    def start(self) -> None:
        self.running = True
        self.mark_stale(False)
        self._streamed = self._observed = ""
        self.view.clear()
        self.explanation.setVisible(False)
        self.explain_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.busy.setVisible(True)
        self.stage.setText(STAGES["testing"])

    def cancelling(self) -> None:
        self.stage.setText("Cancelling…")

    def show_stage(self, stage: str) -> None:
        self.stage.setText(STAGES.get(stage, stage))
        if stage == "rewriting hint":
            self._streamed = ""
            self.view.setPlainText(self._observed)

    def show_observation(self, text: str) -> None:
        """What the failing test showed, in words: the first text of a hint, shown while repairs run."""
        if self.running and not self._streamed:
            self._observed = text
            self.view.setPlainText(text)

    def add_token(self, piece: str) -> None:
        """A piece of the model's hint as it streams (the first piece starts with the observation again)."""
        self._streamed += piece
        self.view.setPlainText(self._streamed)

    def show_hint(self, hint: Hint) -> None:
        """The finished hint, a cancelled request, or "nothing to hint at" for a passing program."""
        self.end()
        if hint.status == "cancelled":
            self.stage.setText("Hint cancelled.")
            self.view.clear()
            return
        self.view.setPlainText(hint.hint)
        if hint.status == "passing":
            self.stage.setText("All tests pass: nothing to hint at.")
            return
        origin = (
            "from the model"
            if hint.source == "model"
            else "from your tests and a checked repair"
            if hint.repair_passed
            else "from your tests"
        )
        self.stage.setText(f"Hint ({origin}, {hint.timings.get('total_s', 0):.1f} s):")
        if hint.notice:  # e.g. the engine crashed: say so, once, above the hint
            self.stage.setText(f"{hint.notice} {self.stage.text()}")
        self.explanation.setText(hint.explanation)
        self.explain_button.setEnabled(bool(hint.explanation))

    def show_failure(self, message: str) -> None:
        self.end()
        self.stage.setText(message)

    def end(self) -> None:
        self.running = False
        self.busy.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.explain_button.setText("Show explanation")

    def toggle_explanation(self) -> None:
        visible = not self.explanation.isVisible()
        self.explanation.setVisible(visible)
        self.explain_button.setText("Hide explanation" if visible else "Show explanation")

    def set_font(self, font: QFont) -> None:
        self.view.setFont(font)
        self.explanation.setFont(font)


def _label(text: str = "", visible: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setVisible(visible)
    return label
