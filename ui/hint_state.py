"""Hints in the window (issue 26): asking, cancelling, streaming, and three honest rules.

- The same code asks for no new hint: the last hint for this exercise and this exact code is shown again, free
  (not counted against the quota), with a note saying so.
- The hint button says what a hint costs when a quota applies: "Get hint (uses 1 of 3 left, ~10 s)" (the time
  is the median of the hints measured in this session; none is promised before one is measured).
- A hint is marked stale when the code changes, and cleared when the tests pass.

``HintMemory`` is the plain state; ``HintFlow`` is the window's part (a mixin of ``MainWindow``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutor.engines.base import CRASH_NOTICE
from tutor.feedback import Hint

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from tutor.exercises import Exercise
    from tutor.runner import TestReport
    from tutor.session import Session
    from ui.editor import CodeEditor
    from ui.panels.hint import HintPanel

SAME_CODE_NOTE = "Your code has not changed since this hint, so here it is again (free: it was not counted)."


@dataclass
class HintMemory:
    """The last hint shown, the code it was for, and how long hints took."""

    exercise_id: str = ""
    code: str = ""
    hint: Hint | None = None
    stale: bool = False
    durations: list[float] = field(default_factory=list)

    def remember(self, exercise_id: str, code: str, hint: Hint) -> None:
        """Keep ``hint`` to show again, free, for the same code; not one written while the model had failed
        (its notice says so), so that asking again tries the restarted model."""
        if hint.status != "hint" or hint.notice.startswith(CRASH_NOTICE):
            return
        self.exercise_id, self.code, self.hint, self.stale = exercise_id, code, hint, False
        seconds = hint.timings.get("total_s", 0.0)
        if seconds > 0:
            self.durations.append(seconds)

    def same(self, exercise_id: str, code: str) -> bool:
        return self.hint is not None and exercise_id == self.exercise_id and code == self.code

    def forget(self) -> None:
        self.exercise_id, self.code, self.hint, self.stale = "", "", None, False

    def estimate_s(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None


def button_text(left: int | None, estimate_s: float | None, same_code: bool = False) -> str:
    """The hint button's words: what the next hint costs (quota and time), or that it is free."""
    if same_code:
        return "Get hint (same code: shown again, free)"
    time = f"~{max(1, round(estimate_s))} s" if estimate_s else ""
    if left is None:
        return f"Get hint ({time})" if time else "Get hint"
    if left == 0:
        return "Get hint (none left)"
    return f"Get hint (uses 1 of {left} left{', ' + time if time else ''})"


def short_text(text: str) -> str:
    """The toolbar's shorter words for ``button_text``: "Get hint (2 left, ~10 s)", "Get hint (free)"."""
    return text.replace("uses 1 of ", "").replace("same code: shown again, free", "free")


class HintFlow:
    """The window's hint actions. Expects the attributes ``MainWindow`` builds."""

    session: Session
    current: Exercise | None
    editor: CodeEditor
    hint_panel: HintPanel
    hint_action: QAction
    hint_memory: HintMemory
    engine_info: Any
    model_failed: bool
    model: Any
    status_panel: Any
    timings: Any
    saver: Any
    last_report_code: str
    _hint_exercise: str
    _hint_code: str = ""
    _closed: bool
    hint_shown: Any
    stage_shown: Any
    first_text_shown: Any

    if TYPE_CHECKING:  # the window's own parts

        @property
        def last_report(self) -> TestReport | None: ...
        def show_notice(self, message: str) -> None: ...
        def statusBar(self) -> Any: ...  # noqa: N802
        def _now(self) -> float: ...

    def hints_left(self) -> int | None:
        return None if self.current is None else self.session.hints_left(self.current.id)

    def _same_code(self) -> bool:
        current = self.current
        return current is not None and self.hint_memory.same(current.id, self.editor.toPlainText())

    def _update_hint_action(self) -> None:
        left = self.hints_left()
        current = self.current
        same = self._same_code()
        allowed = not self.session.hint_refusal(current.id) if current else self.session.policy.hints_allowed
        self.hint_action.setEnabled(allowed or same)
        text = button_text(left, self.hint_memory.estimate_s(), same)
        self.hint_action.setText(text)
        self.hint_action.setIconText(short_text(text))  # the toolbar's button; the menu has the whole text

    def _on_code_changed_for_hint(self) -> None:
        """Mark the hint on screen stale (or fresh again, when the code is back to what it was for)."""
        memory = self.hint_memory
        if memory.hint is None or self.current is None or memory.exercise_id != self.current.id:
            return
        stale = memory.code != self.editor.toPlainText()
        if stale != memory.stale:
            memory.stale = stale
            self.hint_panel.mark_stale(stale)
            if not self.hint_panel.running:
                self.hint_panel.stage.setText(
                    "Your last hint:" if stale else "Your last hint (for this code):"
                )
            self._update_hint_action()

    def _on_tests_passed_for_hint(self) -> None:
        self.hint_memory.forget()
        self.hint_panel.clear()
        self._update_hint_action()

    def request_hint(self) -> None:
        if self.current is None:
            return
        if self.hint_panel.running:
            self.show_notice("A hint is already being written. Wait for it, or press Cancel (Esc).")
            return
        code = self.editor.toPlainText()
        if self.hint_memory.same(self.current.id, code) and self.hint_memory.hint is not None:
            self._show_again(self.hint_memory.hint)
            return
        refusal = self.session.hint_refusal(self.current.id)
        if refusal:
            self.show_notice(refusal[0].upper() + refusal[1:] + ".")
            return
        if self.engine_info is None and not self.model_failed:
            self.show_notice(
                f"The model is still being prepared ({self.status_panel.model_progress.value()}%). "
                "You can keep editing and running tests meanwhile."
            )
            return
        report = self.last_report if self.last_report is not None and code == self.last_report_code else None
        self.timings.hint_started, self.timings.first_token, self.timings.first_text = self._now(), 0.0, 0.0
        self.hint_panel.start()
        self._hint_exercise = self.current.id
        self._hint_code = code
        self.model.hint(self.current, code, report)

    def _show_again(self, hint: Hint) -> None:
        self.hint_panel.show_hint(hint)
        self.hint_panel.mark_stale(False)
        self.hint_panel.stage.setText(SAME_CODE_NOTE)
        self.hint_shown.emit(hint)

    def cancel_hint(self) -> None:
        if self.hint_panel.running:
            self.model.cancel()
            self.hint_panel.cancelling()

    def _on_stage(self, stage: str) -> None:
        self.hint_panel.show_stage(stage)
        self.stage_shown.emit(stage)

    def _on_observation(self, text: str) -> None:
        if not self.timings.first_text:
            self.timings.first_text = self._now()
        self.hint_panel.show_observation(text)
        self.first_text_shown.emit(text)

    def _on_token(self, piece: str) -> None:
        if not self.timings.first_token:
            self.timings.first_token = self._now()
        if not self.timings.first_text:
            self.timings.first_text = self.timings.first_token
        self.hint_panel.add_token(piece)

    def _on_hint_done(self, hint: Hint) -> None:
        if self._closed:
            return
        self.hint_panel.show_hint(hint)
        self.saver.hint(self._hint_exercise, hint)
        self.hint_memory.remember(self._hint_exercise, self._hint_code, hint)
        self._on_code_changed_for_hint()  # the code may have changed while the hint was written
        self._update_hint_action()
        self.timings.hint_done = self._now()
        if hint.notice:  # e.g. the engine crashed: say so, once, in the status bar too
            self.statusBar().showMessage(hint.notice, 8000)
        if hint.status == "hint":
            self.status_panel.set_speed(
                hint.tokens.get("hint_completion", 0), hint.timings.get("hint_model_s", 0.0)
            )
            if hint.line:
                self.editor.mark_error_line(hint.line)
        self.hint_shown.emit(hint)
