"""The hint pipeline end to end with the real default model, on bundled exercises and real student programs."""

from __future__ import annotations

import random
import threading

import pytest

from tutor.engines.base import BaseEngine
from tutor.engines.native import NativeEngine
from tutor.exercises import Exercise, load_bundled, load_tasks
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.feedback.guard import check_hint
from tutor.runner import run

from ..conftest import DATASETS, dataset_rows

PACK = load_bundled()
QUICK = PipelineConfig(repairs=2)


class NoModel(BaseEngine):
    """An engine that must not be called."""

    def info(self):  # type: ignore[no-untyped-def]
        from tutor.engines.base import EngineInfo

        return EngineInfo(name="none")

    def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the model was called")

    def cancel(self) -> None:
        pass

    def load(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        pass


def test_passing_code_returns_passing_without_the_model() -> None:
    exercise = PACK.find("fizzbuzz")
    hint = HintPipeline(NoModel()).run(exercise, exercise.solution)  # type: ignore[arg-type]
    assert hint.status == "passing"


def test_syntax_error_gets_a_hint_without_the_model() -> None:
    hint = HintPipeline(NoModel()).run(PACK.find("fizzbuzz"), "def fizzbuzz(n)\n    return n\n")  # type: ignore[arg-type]
    assert hint.status == "hint" and "line 1" in hint.hint


def assert_well_formed_and_leak_free(hint, exercise: Exercise, code: str, reference: str | None) -> None:  # type: ignore[no-untyped-def]
    assert hint.status == "hint"
    assert hint.source in ("model", "analysis")
    assert 5 <= len(hint.hint.split()) <= 80, hint.hint
    verdict = check_hint(hint.hint, reference, code, exercise.avoid)
    leaks = [r for r in verdict.reasons if r.startswith("contains")]
    assert leaks == [], (hint.hint, leaks)
    for stage in ("repairs_s", "total_s"):
        assert hint.timings[stage] > 0
    # the model is asked for a hint exactly when a repair passed (PipelineConfig.model_hint_needs_repair)
    assert (hint.tokens.get("hint_calls", 0) >= 1) == hint.repair_passed, (hint.repair_passed, hint.tokens)


@pytest.mark.slow
@pytest.mark.parametrize(
    "exercise_id", ["grade_letter", "factorial", "sum_of_evens", "greeting", "countdown"]
)
def test_bundled_starters_get_leak_free_hints(engine: NativeEngine, exercise_id: str) -> None:
    exercise = PACK.find(exercise_id)
    hint = HintPipeline(engine, QUICK).run(exercise, exercise.starter)
    assert_well_formed_and_leak_free(hint, exercise, exercise.starter, exercise.solution)
    assert (
        hint.failing_test and hint.failing_test["call"] == run(exercise, exercise.starter).first_failure.call
    )


@pytest.mark.slow
def test_a_one_token_bug_is_repaired_and_located(engine: NativeEngine) -> None:
    exercise = PACK.find("grade_letter")
    hint = HintPipeline(engine, QUICK).run(exercise, exercise.starter)
    assert hint.repair_passed and hint.repair_distance is not None and hint.repair_distance <= 3
    assert "line 2" in hint.hint or "line 4" in hint.hint or "line 6" in hint.hint or hint.source == "model"


@pytest.mark.slow
@pytest.mark.parametrize("index", range(4))
def test_quixbugs_buggy_programs_get_leak_free_hints(engine: NativeEngine, index: int) -> None:
    tasks = load_tasks(DATASETS / "quixbugs.tasks.jsonl")
    programs = dataset_rows("quixbugs.programs.jsonl")
    names = [
        "quixbugs/gcd",
        "quixbugs/bitcount",
        "quixbugs/get_factors",
        "quixbugs/is_valid_parenthesization",
    ]
    exercise = tasks.find(names[index])
    buggy = next(p["code"] for p in programs if p["task"] == exercise.id and p["label"] == "buggy")
    fixed = next(p["code"] for p in programs if p["task"] == exercise.id and p["label"] == "fixed")
    hint = HintPipeline(engine, QUICK).run(exercise, buggy)
    assert_well_formed_and_leak_free(hint, exercise, buggy, fixed)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(4))
def test_refactory_student_programs_get_leak_free_hints(engine: NativeEngine, index: int) -> None:
    tasks = load_tasks(DATASETS / "refactory.tasks.jsonl")
    wrong = [p for p in dataset_rows("refactory.programs.jsonl") if p["label"] == "wrong"]
    program = random.Random(index).choice(wrong)
    exercise = tasks.find(program["task"])
    references = [
        p["code"]
        for p in dataset_rows("refactory.programs.jsonl")
        if p["task"] == exercise.id and p["label"] == "reference"
    ]
    hint = HintPipeline(engine, QUICK).run(exercise, program["code"])
    if hint.status == "passing":
        pytest.skip("this 'wrong' program passes the visible tests (see the datasets' README)")
    assert_well_formed_and_leak_free(hint, exercise, program["code"], references[0] if references else None)


@pytest.mark.slow
def test_cancel_stops_the_pipeline(engine: NativeEngine) -> None:
    exercise = PACK.find("factorial")
    stages: list[str] = []
    pipeline = HintPipeline(engine, PipelineConfig(repairs=3), on_stage=stages.append)
    pipeline.on_stage = lambda stage: (
        stages.append(stage),
        stage == "repairing" and threading.Timer(0.3, pipeline.cancel).start(),
    )
    hint = pipeline.run(exercise, exercise.starter)
    assert hint.status == "cancelled"
    assert hint.timings["total_s"] < 5


@pytest.mark.slow
def test_hint_tokens_stream_to_the_listener(engine: NativeEngine) -> None:
    pieces: list[str] = []
    stages: list[str] = []
    exercise = PACK.find("sum_of_evens")
    hint = HintPipeline(
        engine, PipelineConfig(repairs=1), on_stage=stages.append, on_token=pieces.append
    ).run(exercise, exercise.starter)
    assert stages[:3] == ["testing", "repairing", "writing hint"]
    assert len(pieces) > 3
    streamed = "".join(pieces)
    assert "Explanation:" not in streamed and "Hint:" not in streamed  # only the hint text itself streams
    if hint.source == "model":
        assert streamed.strip() == hint.hint


def test_streamed_draft_stops_at_a_leak() -> None:
    from tutor.feedback.pipeline import _GuardedStream

    shown: list[str] = []
    stream = _GuardedStream(shown.append, "def f(n):\n    return total + n\n", ())
    for piece in ["Explanation: x\n", "Hint: Why ", "not write ", "return total", " + n there?"]:
        stream.feed(piece)
    assert "".join(shown) == "Why not write " and stream.blocked
