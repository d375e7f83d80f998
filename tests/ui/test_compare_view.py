"""The "Compare hints" mode: two anonymised hints written off the UI thread, in random order; votes stored."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QThread

from tutor.arena.votes import code_sha
from tutor.eval.systems import open_source, parse_system
from tutor.exercises import load_bundled
from tutor.policy import Policy
from tutor.progress import ProgressStore
from ui.compare_view import CompareHintsDialog

PACK = load_bundled()
BUGGY_FACTORIAL = (
    "def factorial(n):\n    result = 1\n    for i in range(1, n):\n        result *= i\n    return result\n"
)


class AnalysisUnderTwoNames:
    """Both contestants are the real analysis source (no model), under two names; records the threads used."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        source = open_source(parse_system("analysis"))
        original = source.hint

        def hint(exercise, code):  # type: ignore[no-untyped-def]
            self.threads.append(threading.current_thread())
            return original(exercise, code)

        source.hint = hint  # type: ignore[method-assign]
        return source


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.db")


def test_two_hints_are_written_off_the_ui_thread_and_a_vote_is_stored(qtbot, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    factory = AnalysisUnderTwoNames()
    dialog = CompareHintsDialog(None, store, ["left", "right"], factory=factory, rng=random.Random(5))
    qtbot.addWidget(dialog)
    dialog.show()
    exercise = PACK.find("factorial")
    assert exercise is not None
    with qtbot.waitSignal(dialog.pair_shown, timeout=60_000) as shown:
        assert dialog.compare(exercise, BUGGY_FACTORIAL)
        assert dialog.busy and not dialog.vote_buttons["A"].isEnabled()
        assert not dialog.compare(exercise, BUGGY_FACTORIAL)  # one request at a time
    pair = shown.args[0]
    assert {pair.system_a, pair.system_b} == {"left", "right"}
    assert factory.threads and all(t is not threading.main_thread() for t in factory.threads)
    assert dialog.views[0].text() == pair.hint_a and "factorial" in pair.hint_a.lower() + pair.hint_b.lower()
    assert "left" not in dialog.views[0].text() + dialog.views[1].text()  # anonymised
    assert dialog.vote_buttons["both bad"].isEnabled()
    dialog.vote_buttons["B"].click()
    [vote] = store.votes()
    assert (vote.exercise, vote.system_a, vote.system_b, vote.vote) == (
        "factorial",
        pair.system_a,
        pair.system_b,
        "B",
    )
    assert vote.code_sha == code_sha(BUGGY_FACTORIAL) and vote.hint_b == pair.hint_b
    assert pair.system_a in dialog.status.text() and not dialog.vote_buttons["A"].isEnabled()
    dialog.shutdown()


def test_pairs_and_their_order_are_random(qtbot, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    dialog = CompareHintsDialog(
        None, store, ["x", "y", "z"], factory=AnalysisUnderTwoNames(), rng=random.Random(0)
    )
    qtbot.addWidget(dialog)
    draws = [dialog.draw() for _ in range(60)]
    assert all(a != b for a, b in draws)
    assert set(draws) == {(a, b) for a in "xyz" for b in "xyz" if a != b}
    dialog.shutdown()


def test_compare_needs_two_systems(qtbot, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    dialog = CompareHintsDialog(None, store, ["analysis", "analysis"], factory=AnalysisUnderTwoNames())
    qtbot.addWidget(dialog)
    assert not dialog.compare(PACK.exercises[0], "")
    assert "two hint sources" in dialog.status.text()
    dialog.shutdown()
    assert isinstance(dialog.thread_, QThread) and dialog.thread_.isFinished()


def test_the_window_offers_compare_hints_only_when_the_policy_allows(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    closed = MainWindow(PACK, model_path=str(default_model), policy=Policy())
    qtbot.addWidget(closed)
    assert getattr(closed, "compare_action", None) is None
    closed.close()
    allowed = MainWindow(
        PACK,
        model_path=str(default_model),
        policy=Policy(compare_hints=True, compare_systems=["analysis", "default,k=0"]),
    )
    qtbot.addWidget(allowed)
    assert allowed.compare_action.text() == "Compare hints…"
    allowed.close()
    exam = MainWindow(PACK, model_path=str(default_model), policy=Policy(compare_hints=True, exam_mode=True))
    qtbot.addWidget(exam)
    assert getattr(exam, "compare_action", None) is None
    exam.close()
