"""The named engine contract (``tutor.engines.base``): what each engine says it can do, ``close`` twice, and the
answer scores of the process engine against the native engine in this process (with the real default model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tutor.engines.base import (
    BaseEngine,
    Capabilities,
    Engine,
    EngineError,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    ProgressCallback,
    Prompt,
)
from tutor.engines.native import NativeEngine
from tutor.engines.process import ProcessEngine

GREEDY = GenerationParams(max_tokens=8, temperature=0.0, seed=1)
JUDGE_PROMPT = "Question: is 7 a prime number? Answer yes or no.\nAnswer:"
ANSWERS = (" yes", " no")


class Minimal(BaseEngine):
    """An engine with only the required part: the optional part is ``BaseEngine``'s."""

    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None:
        return None

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        return Generation(iter(["x"]), GenerationStats())

    def cancel(self) -> None:
        return None

    def info(self) -> EngineInfo:
        return EngineInfo(name="minimal")


def test_a_base_engine_names_no_capability_and_refuses_the_optional_calls() -> None:
    engine: Engine = Minimal()
    assert engine.capabilities() == Capabilities(batch=False, answer_scores=False, process=False)
    assert engine.process_stats() == {}
    with pytest.raises(EngineError):
        engine.generate_many("p", [GREEDY])
    with pytest.raises(EngineError):
        engine.answer_logprobs("p", ANSWERS)
    engine.close()
    engine.close()


@pytest.mark.slow
def test_the_native_engine_can_batch_and_score_and_closes_twice(default_model: Path) -> None:
    native = NativeEngine()
    native.load(default_model)
    assert native.capabilities() == Capabilities(batch=True, answer_scores=True, process=False)
    assert native.process_stats() == {}
    assert native.generate("def add(a, b):", GREEDY).collect()
    native.close()
    assert not native.loaded
    native.close()  # nothing left to free: no error
    with pytest.raises(EngineError, match="No model is loaded"):
        native.generate("def add(a, b):", GREEDY).collect()
    native.load(default_model)  # a later load starts afresh
    assert native.generate("def add(a, b):", GREEDY).collect()
    native.close()


@pytest.mark.slow
def test_the_process_engine_can_batch_score_and_report_and_closes_twice(default_model: Path) -> None:
    outside = ProcessEngine()
    outside.load(default_model)
    assert outside.capabilities() == Capabilities(batch=True, answer_scores=True, process=True)
    assert outside.process_stats()["pid"] == outside.pid
    outside.close()
    assert outside.pid is None and outside.process_stats() == {}
    outside.close()  # no process left: no error


@pytest.mark.slow
def test_answer_scores_through_the_process_match_the_native_engine(default_model: Path) -> None:
    # like for like: both engines fresh (no KV cache reused from earlier calls) and on one thread each, so the
    # same arithmetic runs on both sides of the process boundary
    native = NativeEngine(threads=1)
    native.load(default_model)
    try:
        inside = native.answer_logprobs(JUDGE_PROMPT, ANSWERS)
    finally:
        native.close()
    outside = ProcessEngine(threads=1)
    outside.load(default_model)
    try:
        got = outside.answer_logprobs(JUDGE_PROMPT, ANSWERS)
        chat = outside.answer_logprobs([{"role": "user", "content": JUDGE_PROMPT}], ANSWERS)
    finally:
        outside.close()
    assert set(got) == set(inside) == set(ANSWERS)
    for answer in ANSWERS:
        assert got[answer] < 0 and abs(got[answer] - inside[answer]) < 1e-2, (got, inside)
    assert set(chat) == set(ANSWERS)  # messages cross the boundary as for ``generate``


@pytest.mark.parametrize("make", [NativeEngine, ProcessEngine])
def test_optional_calls_before_a_load_say_no_model_is_loaded(make: Callable[[], Engine]) -> None:
    engine = make()
    with pytest.raises(EngineError, match="No model is loaded"):
        engine.answer_logprobs(JUDGE_PROMPT, ANSWERS)
    engine.close()
    engine.close()
