"""How many model repairs the pipeline asks for: at temperature 0 the k requests are one greedy generation, made
once (with the real default model), and a passing model repair ends the search (with an engine that answers every
repair request with a fix, so the control flow is tested whatever a small model writes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tutor.engines.base import (
    BaseEngine,
    Capabilities,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    Prompt,
)
from tutor.engines.native import NativeEngine
from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig, prompts
from tutor.runner import passes

PACK = load_bundled()
# a bug no one-token edit fixes (the loop skips the last element), so only a model repair can pass
EXERCISE = PACK.find("largest")
NOT_ONE_TOKEN = "def largest(numbers):\n    best = numbers[0]\n    for n in numbers[:-1]:\n        if n > best:\n            best = n\n    return best\n"
FIXES = [
    "def largest(numbers):\n    best = numbers[0]\n    for n in numbers:\n        if n > best:\n            best = n\n    return best\n",
    "def largest(numbers):\n    return max(numbers)\n",
]


class FixingEngine(BaseEngine):
    """Answers repair requests with a fix (the next of ``FIXES``), and hint requests with a fixed sentence."""

    def __init__(self) -> None:
        self.repair_calls = 0

    def info(self) -> EngineInfo:
        return EngineInfo(name="fixing")

    def load(self, *args: object, **kwargs: object) -> None:
        pass

    def cancel(self) -> None:
        pass

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        if prompts.FIXED_CLOSE in params.stop:
            text = FIXES[self.repair_calls % len(FIXES)] + "```\n"
            self.repair_calls += 1
        else:
            text = "Explanation: The loop on line 3 stops early.\nHint: Which numbers does the loop on line 3 visit?\n"

        def pieces() -> Iterator[str]:
            yield text

        return Generation(pieces(), GenerationStats(completion_tokens=10))


@pytest.fixture(autouse=True)
def _the_bug_needs_a_model() -> None:
    assert not passes(EXERCISE, NOT_ONE_TOKEN, "")
    assert all(passes(EXERCISE, fix, "") for fix in FIXES)


@pytest.mark.parametrize(("until_pass", "calls"), [(True, 1), (False, 3)])
def test_a_passing_model_repair_ends_the_search(until_pass: bool, calls: int) -> None:
    engine = FixingEngine()
    config = PipelineConfig(repairs=3, repair_until_pass=until_pass)
    hint = HintPipeline(engine, config).run(EXERCISE, NOT_ONE_TOKEN)  # type: ignore[arg-type]
    assert engine.repair_calls == calls
    assert hint.repair_passed and hint.repair_source == "model"
    # with all three, the closest passing candidate (the loop fix, not the max() rewrite) is still chosen
    assert hint.line == 3


class BatchingEngine(FixingEngine):
    """Also answers the k repairs as one batch (as the native engine does, in or out of process)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def capabilities(self) -> Capabilities:
        return Capabilities(batch=True)

    def generate_many(
        self, prompt: Prompt, params: list[GenerationParams], stop: Callable[[], bool] | None = None
    ) -> list[Generation]:
        self.batches.append(len(params))
        generations = [self.generate(prompt, p) for p in params]
        for generation in generations:
            generation.collect()
        return generations


@pytest.mark.parametrize(("temperature", "batches", "calls"), [(0.8, [3], 3), (0.0, [], 1)])
def test_batched_sampled_repairs_are_one_batch_and_a_greedy_one_is_made_once(
    temperature: float, batches: list[int], calls: int
) -> None:
    engine = BatchingEngine()
    config = PipelineConfig(repairs=3, repair_temperature=temperature, repair_batch=True)
    hint = HintPipeline(engine, config).run(EXERCISE, NOT_ONE_TOKEN)  # type: ignore[arg-type]
    assert engine.batches == batches and engine.repair_calls == calls
    assert hint.repair_passed and hint.repair_source == "model" and hint.line == 3  # the closest of the batch


@pytest.mark.slow
def test_at_temperature_zero_the_k_repairs_are_one_generation(engine: NativeEngine) -> None:
    config = PipelineConfig(repairs=3, repair_temperature=0.0, repair_until_pass=False, hint_max_tokens=24)
    hint = HintPipeline(engine, config).run(EXERCISE, NOT_ONE_TOKEN)
    assert hint.tokens["repair_calls"] == 1
    assert hint.status == "hint" and hint.hint
