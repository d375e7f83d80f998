"""Hints in the window (issue 26): the same code asks for no new hint (shown again, free, with a note), the
button says what a hint costs under a quota, a hint is marked stale when the code changes and cleared when the
tests pass. Real window and pipeline; no language model (hints come from the analysis alone)."""

from __future__ import annotations

from pathlib import Path

from tutor.engines.base import CRASHED
from tutor.feedback import Hint
from tutor.policy import Policy
from ui.hint_state import SAME_CODE_NOTE, HintMemory, button_text

from .window_helpers import PACK, quiet_window, run_tests, shoot

STARTER = PACK.find("grade_letter").starter  # type: ignore[union-attr]


def test_button_text_says_the_cost() -> None:
    assert button_text(None, None) == "Get hint"
    assert button_text(None, 9.6) == "Get hint (~10 s)"
    assert button_text(3, None) == "Get hint (uses 1 of 3 left)"
    assert button_text(3, 10.2) == "Get hint (uses 1 of 3 left, ~10 s)"
    assert button_text(0, 10.2) == "Get hint (none left)"
    assert button_text(0, 10.2, same_code=True) == "Get hint (same code: shown again, free)"


def test_memory_keeps_only_real_hints_for_one_exercise_and_code() -> None:
    memory = HintMemory()
    memory.remember("a", "code", Hint(status="cancelled"))
    assert not memory.same("a", "code")
    memory.remember("a", "code", Hint(status="hint", hint="Look at line 2.", notice=CRASHED))
    assert not memory.same("a", "code")  # written while the model had crashed: asking again tries it again
    memory.remember("a", "code", Hint(status="hint", hint="Look at line 2.", timings={"total_s": 4.0}))
    memory.remember("a", "code", Hint(status="hint", hint="Look at line 2.", timings={"total_s": 8.0}))
    assert memory.same("a", "code") and not memory.same("a", "code ") and not memory.same("b", "code")
    assert memory.estimate_s() == 6.0
    memory.forget()
    assert not memory.same("a", "code") and memory.estimate_s() == 6.0  # the timing stays


def ask(qtbot, win) -> Hint:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(win.hint_shown, timeout=60_000) as blocker:
        win.hint_action.trigger()
    hint: Hint = blocker.args[0]
    return hint


def test_same_code_is_free_changed_code_is_stale_and_a_pass_clears(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path, policy=Policy(hints_per_exercise=3))
    win.open_exercise("grade_letter")
    win.editor.setPlainText(STARTER)
    assert win.hint_action.text() == "Get hint (uses 1 of 3 left)"
    first = ask(qtbot, win)
    assert first.status == "hint" and win.hints_left() == 2
    assert win.hint_action.text() == "Get hint (same code: shown again, free)"
    again = ask(qtbot, win)  # no new request: the same hint, not counted
    assert again is first and win.hints_left() == 2 and win.hint_panel.stage.text() == SAME_CODE_NOTE
    assert win.hint_panel.view.toPlainText() == first.hint
    win.editor.setPlainText(STARTER + "# trying something\n")
    assert win.hint_panel.stale_note.isVisible() and not win.hint_panel.view.isEnabled()
    assert win.hint_action.text().startswith("Get hint (uses 1 of 2 left, ~")  # now with the measured time
    assert win.hint_action.iconText().startswith("Get hint (2 left, ~")  # the toolbar's shorter words
    assert win.hint_panel.stage.text() == "Your last hint:"
    shoot(win, "stale-hint")
    win.editor.setPlainText(STARTER)  # back to the code the hint was for: fresh again
    assert not win.hint_panel.stale_note.isVisible()
    run_tests(qtbot, win, PACK.find("grade_letter").solution)  # type: ignore[union-attr]
    assert win.hint_panel.view.toPlainText() == "" and not win.hint_panel.stale_note.isVisible()
    assert not win.hint_memory.same("grade_letter", STARTER)


def test_no_hints_left_still_shows_the_last_one_again(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path, policy=Policy(hints_per_exercise=1))
    win.open_exercise("grade_letter")
    win.editor.setPlainText(STARTER)
    first = ask(qtbot, win)
    assert win.hints_left() == 0 and win.hint_action.isEnabled()  # the same code: free
    assert ask(qtbot, win) is first
    win.editor.setPlainText(STARTER + "\n")
    assert win.hint_action.text() == "Get hint (none left)" and not win.hint_action.isEnabled()
    win.request_hint()
    assert "No hints left" in win.hint_panel.stage.text()
