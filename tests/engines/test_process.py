"""The native engine in its own process, with the real default model: the same tokens, streaming, cancel, grammars
and prefix reuse as in process; a crash of the process (SIGSEGV, SIGABRT, SIGKILL) ends the request with
``EngineCrashed`` and the next request runs in a fresh process."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.engines.base import CRASHED, EngineCrashed, EngineError, GenerationParams, Grammar
from tutor.engines.native import NativeEngine
from tutor.engines.process import ProcessEngine
from tutor.feedback.prompts import HINT_GRAMMAR, parse_hint

pytestmark = pytest.mark.slow
GREEDY = GenerationParams(max_tokens=24, temperature=0.0, seed=1)


@pytest.fixture(scope="module")
def outside(default_model: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine()
    engine.load(default_model)
    yield engine
    engine.close()


@pytest.fixture
def fresh(default_model: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine()
    engine.load(default_model)
    yield engine
    engine.close()


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_runs_in_a_child_process_named_engine(outside: ProcessEngine) -> None:
    pid = outside.pid
    assert pid is not None and pid != os.getpid()
    assert "engine" in command_line(pid)
    info = outside.info()
    assert (
        info.name == "native" and info.model_name == "Gemma 3 270m" and info.details["process"]["pid"] == pid
    )
    stats = outside.process_stats()
    assert stats["pid"] == pid and stats["loaded"] is True
    assert outside.render([{"role": "user", "content": "hi"}]) == "hi\n\n"
    assert outside.count_tokens("def add(a, b):") > 3


def test_same_tokens_and_counts_as_in_process(outside: ProcessEngine, engine: NativeEngine) -> None:
    prompt = "def is_even(n):\n"
    theirs = engine.generate(prompt, GREEDY)
    expected = list(theirs)
    ours = outside.generate(prompt, GREEDY)
    pieces = list(ours)
    assert pieces == expected and ours.text == theirs.text
    assert ours.stats.completion_tokens == len(pieces) == theirs.stats.completion_tokens
    assert ours.stats.prompt_tokens == theirs.stats.prompt_tokens
    assert ours.stats.finish == "length" and 0 < ours.stats.first_token_s < ours.stats.total_s
    assert ours.stats.tokens_per_s > 0


def test_top_log_probabilities_cross_the_boundary(outside: ProcessEngine, engine: NativeEngine) -> None:
    params = GenerationParams(max_tokens=3, temperature=0.0, repeat_penalty=1.0, logprobs=5)
    here = engine.generate("The capital of France is", params)
    there = outside.generate("The capital of France is", params)
    assert there.collect() == here.collect()
    assert len(there.stats.top_logprobs) == there.stats.completion_tokens >= 1
    first_here, first_there = here.stats.top_logprobs[0], there.stats.top_logprobs[0]
    best = max(first_here, key=lambda piece: first_here[piece])
    assert max(first_there, key=lambda piece: first_there[piece]) == best
    assert first_there[best] == pytest.approx(first_here[best], abs=0.05)


def test_cancel_from_another_thread_stops_mid_stream(outside: ProcessEngine) -> None:
    generation = outside.generate(
        "Once upon a time", GenerationParams(max_tokens=400, temperature=0.7, seed=3)
    )
    count = 0
    for _ in generation:
        count += 1
        if count == 5:
            threading.Thread(target=outside.cancel).start()
    assert generation.stats.finish == "cancelled" and count < 30


def test_a_stream_left_unread_does_not_leak_into_the_next(outside: ProcessEngine) -> None:
    expected = outside.generate("The capital of France is", GREEDY).collect()
    abandoned = iter(
        outside.generate("Once upon a time", GenerationParams(max_tokens=300, temperature=0.7, seed=2))
    )
    next(abandoned), next(abandoned)
    del abandoned  # the caller stops reading, as the pipeline does when a one-token repair is found
    assert outside.generate("The capital of France is", GREEDY).collect() == expected


def test_grammars_cross_the_boundary(outside: ProcessEngine) -> None:
    text = outside.generate(
        "Why does my loop never stop?\n",
        GenerationParams(max_tokens=80, temperature=1.0, seed=0),
        HINT_GRAMMAR,
    ).collect()
    assert text.startswith("Explanation: ") and "`" not in text
    if text.endswith("\n"):
        assert parse_hint(text).hint
    schema = {"type": "object", "properties": {"line": {"type": "integer"}}, "required": ["line"]}
    data = outside.generate(
        "Which line is wrong? Answer in JSON.\n",
        GenerationParams(max_tokens=40, temperature=0.0),
        Grammar(json_schema=schema),
    ).collect()
    assert isinstance(json.loads(data)["line"], int)


def test_shared_prefix_is_reused_in_the_child(outside: ProcessEngine) -> None:
    shared = "Exercise: add two numbers.\n" * 20
    outside.generate(shared + "First question?\n", GenerationParams(max_tokens=4, temperature=0.0)).collect()
    second = outside.generate(shared + "Second question?\n", GenerationParams(max_tokens=4, temperature=0.0))
    second.collect()
    assert second.stats.prompt_tokens_reused > 100


def test_engine_errors_cross_as_engine_errors_and_the_process_lives_on(outside: ProcessEngine) -> None:
    pid = outside.pid
    with pytest.raises(EngineError, match="context") as caught:
        outside.generate("word " * 5000, GREEDY).collect()
    assert not isinstance(caught.value, EngineCrashed) and outside.pid == pid


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT, signal.SIGKILL])
def test_a_crash_mid_generation_raises_engine_crashed_and_the_next_request_restarts(
    fresh: ProcessEngine, sig: signal.Signals
) -> None:
    first = fresh.pid
    assert first is not None
    generation = fresh.generate("Once upon a time", GenerationParams(max_tokens=300, temperature=0.7, seed=1))
    with pytest.raises(EngineCrashed) as caught:
        for count, _ in enumerate(generation):
            if count == 3:
                os.kill(first, sig)
    assert str(caught.value) == CRASHED and sig.name in caught.value.detail
    assert fresh.pid is None
    again = fresh.generate("The capital of France is", GREEDY)
    assert again.collect() and again.stats.finish == "length"
    assert fresh.pid not in (None, first) and fresh.restarts == 1 and fresh.last_restart_s > 0
    assert fresh.info().details["process"]["pid"] == fresh.pid


def _from_a_cold_cache(*engines: NativeEngine | ProcessEngine) -> None:
    """Both batch caches emptied: a prompt already cached is batched differently (other rounding)."""
    for engine in engines:
        engine.generate_many("\n", [GenerationParams(max_tokens=1, temperature=0.0)])


def test_batched_candidates_cross_the_boundary(outside: ProcessEngine, engine: NativeEngine) -> None:
    params = [GenerationParams(max_tokens=20, temperature=0.8, seed=seed) for seed in (1, 2, 3)]
    _from_a_cold_cache(engine, outside)
    here = engine.generate_many("def is_even(n):\n", params)
    there = outside.generate_many("def is_even(n):\n", params)
    assert [g.text for g in there] == [g.text for g in here] and len({g.text for g in there}) > 1
    for ours, theirs in zip(there, here, strict=True):
        assert ours.stats.completion_tokens == theirs.stats.completion_tokens > 0
        assert ours.stats.prompt_tokens == theirs.stats.prompt_tokens and ours.stats.total_s > 0
    started = time.monotonic()
    long = [GenerationParams(max_tokens=400, temperature=0.8, seed=seed) for seed in (1, 2, 3)]
    stopped = outside.generate_many("Once upon a time", long, lambda: time.monotonic() - started > 0.5)
    assert all(g.stats.finish == "cancelled" and g.stats.completion_tokens < 300 for g in stopped)


def test_a_crash_in_a_batch_raises_engine_crashed_and_the_next_batch_runs(fresh: ProcessEngine) -> None:
    first = fresh.pid
    assert first is not None
    long = [GenerationParams(max_tokens=400, temperature=0.8, seed=seed) for seed in (1, 2, 3)]
    threading.Timer(0.5, os.kill, (first, signal.SIGSEGV)).start()
    with pytest.raises(EngineCrashed) as caught:
        fresh.generate_many("Once upon a time", long)
    assert "SIGSEGV" in caught.value.detail
    again = fresh.generate_many("The capital of France is", [GREEDY, GREEDY])
    assert all(g.text and g.stats.finish == "length" for g in again)
    assert fresh.pid not in (None, first) and fresh.restarts == 1


def test_closing_ends_the_process(default_model: Path) -> None:
    engine = ProcessEngine()
    engine.load(default_model)
    pid = engine.pid
    assert pid is not None
    engine.close()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() and engine.pid is None


def test_bad_files_get_the_in_process_messages(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="not found"):
        ProcessEngine().load(tmp_path / "nope.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\0" * 64)
    engine = ProcessEngine()
    try:
        with pytest.raises(EngineError, match="corrupt or incomplete"):
            engine.load(junk)
    finally:
        engine.close()
