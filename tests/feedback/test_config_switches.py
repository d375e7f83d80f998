"""``PipelineConfig.model_hint`` / ``model_repairs`` (what the benchmark's ``analysis`` system and grading use):
with them off the hint is the analysis hint, ``HintPipeline.analysis_hint``, and ``Hint.repair_code`` is the
chosen repair."""

from __future__ import annotations

import pytest

from tutor.engines.native import NativeEngine
from tutor.exercises import Exercise, load_bundled
from tutor.feedback import HintPipeline, PipelineConfig, analysis
from tutor.feedback.hint import Hint
from tutor.runner import passes, run

from .test_pipeline import NoModel

PACK = load_bundled()
_FOUND = PACK.find("largest")
assert _FOUND is not None
EXERCISE: Exercise = _FOUND
# a one-token bug (the comparison faces the wrong way): the one-token search repairs it without a model
ONE_TOKEN = "def largest(numbers):\n    best = numbers[0]\n    for n in numbers:\n        if n < best:\n            best = n\n    return best\n"


def expected_analysis(exercise: Exercise, code: str, hint: Hint) -> Hint:
    failure = run(exercise, code).first_failure
    assert failure is not None
    fixed = hint.repair_code
    change = analysis.describe_change(code, fixed) if fixed else ""
    return HintPipeline.analysis_hint(failure, change, fixed, code, tuple(exercise.avoid))


def test_with_no_model_calls_the_hint_is_the_analysis_hint_of_the_one_token_repair() -> None:
    config = PipelineConfig(model_hint=False, model_repairs=False, mutation_budget_s=3.0)
    hint = HintPipeline(NoModel(), config).run(EXERCISE, ONE_TOKEN)  # NoModel fails the test if called
    assert hint.status == "hint" and hint.source == "analysis"
    assert hint.repair_passed and hint.repair_source == "one-token edit"
    assert hint.repair_code is not None and passes(EXERCISE, hint.repair_code, "")
    assert hint.hint == expected_analysis(EXERCISE, ONE_TOKEN, hint).hint
    assert "repair_calls" not in hint.tokens and "hint_calls" not in hint.tokens


@pytest.mark.slow
@pytest.mark.parametrize(
    "config",
    [
        PipelineConfig(model_hint=False, mutation_budget_s=3.0),
        PipelineConfig(model_repairs=False, model_hint=False, mutation_budget_s=3.0),
    ],
    ids=["model repairs, no model hint", "no model at all"],
)
def test_with_the_model_hint_off_the_real_model_gives_the_analysis_hint(
    engine: NativeEngine, config: PipelineConfig
) -> None:
    hint = HintPipeline(engine, config).run(EXERCISE, ONE_TOKEN)
    assert hint.status == "hint" and hint.source == "analysis" and "hint_calls" not in hint.tokens
    if not config.model_repairs:  # (with them on, a one-token repair may end the search before the first)
        assert "repair_calls" not in hint.tokens
    assert hint.repair_code is not None and passes(EXERCISE, hint.repair_code, "")
    expected = expected_analysis(EXERCISE, ONE_TOKEN, hint)
    assert (hint.hint, hint.explanation) == (expected.hint, expected.explanation)


@pytest.mark.slow
def test_repair_code_is_the_chosen_repair_with_the_model_on(engine: NativeEngine) -> None:
    hint = HintPipeline(engine, PipelineConfig(repairs=1)).run(EXERCISE, ONE_TOKEN)
    assert hint.repair_passed and hint.repair_code is not None
    assert passes(EXERCISE, hint.repair_code, "")
