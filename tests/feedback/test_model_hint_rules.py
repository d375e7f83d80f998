"""When the model writes the hint, and how the learner reads it: only after a validated repair, and after the failing
test in words (with scripted engines, so the rules are tested whatever a small model writes)."""

from __future__ import annotations

from tutor.engines.base import Generation, GenerationParams, GenerationStats, Grammar, Prompt
from tutor.feedback import HintPipeline, PipelineConfig, prompts
from tutor.feedback.fallback import with_observation
from tutor.runner import TestResult

from .test_repair_search import EXERCISE, NOT_ONE_TOKEN, FixingEngine

FAILURE = TestResult(
    call="largest([1, 5])", status="fail", expected="5", got="1", message="Expected 5, got 1.", line=None
)


class NoFixEngine(FixingEngine):
    """Answers repair requests with the learner's own code (no candidate), and hint requests as FixingEngine."""

    def __init__(self) -> None:
        super().__init__()
        self.hint_calls = 0

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        if prompts.FIXED_CLOSE in params.stop:
            return Generation(iter([NOT_ONE_TOKEN + "```\n"]), GenerationStats(completion_tokens=10))
        self.hint_calls += 1
        return super().generate(prompt, params, grammar)


def test_a_model_hint_follows_the_failing_test_in_words_and_streams_so() -> None:
    pieces: list[str] = []
    hint = HintPipeline(FixingEngine(), PipelineConfig(repairs=1), on_token=pieces.append).run(  # type: ignore[arg-type]
        EXERCISE, NOT_ONE_TOKEN
    )
    assert hint.source == "model" and hint.repair_passed
    call = hint.failing_test["call"] if hint.failing_test else ""
    assert hint.hint.startswith(f"For {call} your function returns "), hint.hint
    assert hint.hint.endswith("Which numbers does the loop on line 3 visit?")
    assert "".join(pieces) == hint.hint  # the learner sees the same text grow as they get at the end


def test_without_a_validated_repair_the_model_writes_no_hint() -> None:
    engine = NoFixEngine()
    hint = HintPipeline(engine, PipelineConfig(repairs=1)).run(EXERCISE, NOT_ONE_TOKEN)  # type: ignore[arg-type]
    assert not hint.repair_passed and hint.source == "analysis"
    assert engine.hint_calls == 0 and "hint_calls" not in hint.tokens
    asked = NoFixEngine()
    config = PipelineConfig(repairs=1, model_hint_needs_repair=False)
    again = HintPipeline(asked, config).run(EXERCISE, NOT_ONE_TOKEN)  # type: ignore[arg-type]
    assert asked.hint_calls >= 1 and again.tokens["hint_calls"] >= 1


def test_the_observation_is_left_out_where_the_hint_names_the_call_or_it_would_break_the_avoid_list() -> None:
    question = "Which numbers does the loop on line 3 visit?"
    assert with_observation(question, FAILURE, None, NOT_ONE_TOKEN, ()) == (
        f"For largest([1, 5]) your function returns 1, but the test expects 5. {question}"
    )
    naming = f"Try largest([1, 5]) by hand. {question}"
    assert with_observation(naming, FAILURE, None, NOT_ONE_TOKEN, ()) == naming
    assert with_observation(question, FAILURE, None, NOT_ONE_TOKEN, ("expects",)) == question
