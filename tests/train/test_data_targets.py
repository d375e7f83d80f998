"""Hint targets: the teacher's answer is kept only when the guard accepts it and it agrees with the analysis;
otherwise the analysis text, in the hint grammar's shape. Teacher answers come from the on-disk cache here
(the path a resumed build takes); one slow test asks the real default model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tutor.engines.native import NativeEngine
from tutor.exercises import Exercise
from tutor.train.assembly import build_examples
from tutor.train.examples import Example
from tutor.train.sources import Pair, first_failure
from tutor.train.teacher import (
    ANSWER_SHAPE,
    NOT_SOCRATIC,
    Teacher,
    TeacherError,
    analysis_answer,
    not_socratic,
    teacher_reasons,
)

from .data_support import evens_pair, sum_of_evens

GOOD = (
    "Explanation: The check on line 4 keeps the odd numbers, so the total adds up the wrong ones.\n"
    "Hint: When your loop reaches the number 2, does the check on line 4 let it into the total?\n"
)
LEAKING = (
    "Explanation: The loop adds the odd numbers.\n"
    "Hint: Change the check so that it reads if n % 2 == 0 and the sum is right.\n"
)
LEAKING_IN_GRAMMAR = (  # the fixed program's line, written without the characters the grammar forbids
    "Explanation: The comparison on line 4 is wrong.\nHint: Why not write for n in numbers and then return total.\n"
)
WRONG_LINE = (
    "Explanation: The loop on line 3 visits the numbers in the wrong order.\n"
    "Hint: Which numbers does the loop on line 3 visit first for this input?\n"
)


def test_the_rule_on_real_strings() -> None:
    pair = evens_pair()
    exercise = sum_of_evens()

    def reasons(text: str) -> list[str]:
        return teacher_reasons(text, exercise, pair.code, pair.fix, pair.failure)

    assert reasons(GOOD) == []
    assert any(r.startswith("contains") for r in reasons(LEAKING))
    assert any(r.startswith("contains a line of the fixed program") for r in reasons(LEAKING_IN_GRAMMAR))
    wrong = reasons(WRONG_LINE)
    assert "names line 3, the fix changes line 4" in wrong and "points at the wrong line" in wrong
    vague = (
        "Explanation: Something is off in the program.\nHint: Could you look at your program again, please?\n"
    )
    assert "names neither the changed line nor the kind of change" in reasons(vague)
    assert "does not have the hint format (cut off?)" in reasons(GOOD.replace("\nHint:", " Hint:"))
    # what the guard lets through but the prompt does not ask for: an instruction, the fix's new code in words
    instruction = GOOD.replace("Hint: When your loop", "Hint: Make sure that when your loop").replace(
        "total?", "total."
    )
    assert reasons(instruction) == [f"{NOT_SOCRATIC}the hint is not a question"]
    code, fix = "def f(n):\n    return sum(range(0))\n", "def f(n):\n    return sum(range(n + 1))\n"
    assert not_socratic("Should the range on line 2 go up to n + 1 instead?", code, fix) == [
        f"{NOT_SOCRATIC}the hint spells out the fix ('n+1')"
    ]
    assert not_socratic("Which numbers does the range on line 2 give you for this input?", code, fix) == []


def test_rejected_answers_are_replaced_by_the_analysis_text_and_a_good_one_is_kept(tmp_path: Path) -> None:
    pair = evens_pair()
    exercises = {pair.task: sum_of_evens()}
    analysis_text = analysis_answer(exercises[pair.task], pair.code, pair.fix, pair.failure)
    assert ANSWER_SHAPE.fullmatch(analysis_text) and "line 4" in analysis_text
    for answer, expected_target in ((LEAKING, "analysis"), (WRONG_LINE, "analysis"), (GOOD, "teacher:t")):
        cache = tmp_path / f"{expected_target}-{len(answer)}.jsonl"
        _cache_answer(cache, pair, exercises, answer)
        teacher = Teacher(None, "t", cache)  # no model loaded: every answer comes from the cache
        examples, stats, _ = build_examples([pair], exercises, teacher)
        hint = next(e for e in examples if e.kind == "hint")
        assert hint.target_source == expected_target
        assert hint.answer == (GOOD if expected_target != "analysis" else analysis_text)
        assert (stats.cached, stats.asked, stats.accepted) == (1, 0, int(expected_target != "analysis"))
        assert stats.accepted_by_guard_and_facts == int(expected_target != "analysis")
        repair = next(e for e in examples if e.kind == "repair")
        assert repair.answer == pair.fix and repair.context == hint.context


def test_without_a_teacher_every_hint_is_the_analysis_text() -> None:
    pair = evens_pair()
    examples, stats, guard_ok = build_examples([pair], {pair.task: sum_of_evens()})
    hint = next(e for e in examples if e.kind == "hint")
    assert hint.target_source == "analysis" and hint.change.startswith("Check the number on line 4")
    assert guard_ok == 1 and stats.to_json()["answers"] == 0


def test_a_teacher_with_no_model_uses_its_cache_and_refuses_a_new_call(tmp_path: Path) -> None:
    pair = evens_pair()
    exercises = {pair.task: sum_of_evens()}
    teacher = Teacher(None, "t", tmp_path / "cache.jsonl")
    examples, stats, _ = build_examples([pair], exercises, teacher, teacher_limit=0)
    assert stats.asked == 0 and next(e for e in examples if e.kind == "hint").target_source == "analysis"
    with pytest.raises(TeacherError, match="no model loaded"):
        build_examples([pair], exercises, teacher)


def _cache_answer(cache: Path, pair: Pair, exercises: dict[str, Exercise], answer: str) -> None:
    from tutor.feedback import analysis, prompts

    context = prompts.shared_context(exercises[pair.task], pair.code, pair.failure)
    change = analysis.describe_change(pair.code, pair.fix)
    key = Example("hint", pair.source, pair.task, context, "", pair.fix, change).id
    cache.write_text(json.dumps({"key": f"t/{key}", "text": answer, "seconds": 1.0}) + "\n")


@pytest.mark.slow
def test_the_default_model_as_teacher_and_a_resumed_build(engine: NativeEngine, tmp_path: Path) -> None:
    pair = evens_pair()
    exercise = sum_of_evens()
    code = pair.fix.replace("total += n", "total += 1")
    failure = first_failure(exercise, code)
    assert failure is not None
    second = replace(pair, name="b", code=code, failure=failure)
    cache = tmp_path / "cache.jsonl"
    teacher = Teacher(engine, "default", cache)
    examples, stats, _ = build_examples([pair, second], {pair.task: exercise}, teacher, teacher_limit=2)
    assert stats.asked == 2 and len(stats.seconds) == 2
    assert len(cache.read_text().splitlines()) == 2
    for hint in (e for e in examples if e.kind == "hint"):
        source = pair if hint.fixed == pair.fix and pair.code in hint.context else second
        if hint.target_source == "teacher:default":
            assert teacher_reasons(hint.answer, exercise, source.code, source.fix, source.failure) == []
        else:
            assert hint.answer == analysis_answer(exercise, source.code, source.fix, source.failure)
    again, resumed, _ = build_examples(
        [pair, second], {pair.task: exercise}, Teacher(engine, "default", cache)
    )
    assert resumed.asked == 0 and resumed.cached == 2 and again == examples
