"""The native engine with the real default model: streaming, cancel, grammars, prefix reuse, bad files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tutor.engines.base import EngineError, GenerationParams, Grammar
from tutor.engines.native import NativeEngine
from tutor.feedback.prompts import HINT_GRAMMAR, parse_hint

pytestmark = pytest.mark.slow
GREEDY = GenerationParams(max_tokens=24, temperature=0.0, seed=1)


def test_info_is_read_from_the_runtime(engine: NativeEngine) -> None:
    info = engine.info()
    assert info.name == "native" and info.backend == "cpu" and info.threads >= 1
    assert info.model_name == "Gemma 3 270m" and info.details["architecture"] == "gemma3"
    assert info.chat_template is False  # a base model: our own prompt format is used
    assert engine.render([{"role": "user", "content": "hi"}]) == "hi\n\n"


def test_streams_tokens_and_counts_them(engine: NativeEngine) -> None:
    generation = engine.generate("def add(a, b):\n", GREEDY)
    pieces = list(generation)
    assert len(pieces) >= 5 and "".join(pieces) == generation.text
    assert generation.stats.completion_tokens == len(pieces)
    assert generation.stats.finish == "length" and generation.stats.tokens_per_s > 0


def test_greedy_generation_is_deterministic(engine: NativeEngine) -> None:
    assert (
        engine.generate("The capital of France is", GREEDY).collect()
        == engine.generate("The capital of France is", GREEDY).collect()
    )


def test_cancel_stops_mid_stream(engine: NativeEngine) -> None:
    generation = engine.generate(
        "Once upon a time", GenerationParams(max_tokens=400, temperature=0.7, seed=3)
    )
    count = 0
    for _ in generation:
        count += 1
        if count == 5:
            threading.Thread(target=engine.cancel).start()
    assert generation.stats.finish == "cancelled" and count < 20


def test_gbnf_grammar_keeps_output_on_format(engine: NativeEngine) -> None:
    for seed in range(3):
        params = GenerationParams(max_tokens=80, temperature=1.0, seed=seed)
        text = engine.generate("Why does my loop never stop?\n", params, HINT_GRAMMAR).collect()
        if text.endswith("\n"):
            parsed = parse_hint(text)
            assert parsed.explanation and parsed.hint
        assert text.startswith("Explanation: ") and "`" not in text


def test_json_schema_grammar(engine: NativeEngine) -> None:
    import json

    schema = {"type": "object", "properties": {"grade": {"type": "integer"}}, "required": ["grade"]}
    text = engine.generate(
        "Grade this answer from 0 to 10 as JSON:\n",
        GenerationParams(max_tokens=20, temperature=0),
        Grammar(json_schema=schema),
    ).collect()
    assert isinstance(json.loads(text)["grade"], int)


def test_shared_prompt_prefix_reuses_the_kv_cache(engine: NativeEngine) -> None:
    prefix = "Exercise: add two numbers. Student program: def add(a, b): return a - b\n" * 4
    engine.generate(prefix + "Question one?", GenerationParams(max_tokens=2, temperature=0)).collect()
    second = engine.generate(prefix + "Question two?", GenerationParams(max_tokens=2, temperature=0))
    second.collect()
    assert second.stats.prompt_tokens_reused >= second.stats.prompt_tokens - 6


def test_missing_corrupt_and_truncated_models_give_clear_errors(tmp_path: Path, default_model: Path) -> None:
    with pytest.raises(EngineError, match="not found"):
        NativeEngine().load(tmp_path / "nope.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"this is not a model" * 100)
    with pytest.raises(EngineError, match="corrupt or incomplete"):
        NativeEngine().load(junk)
    truncated = tmp_path / "truncated.gguf"
    with default_model.open("rb") as src:
        truncated.write_bytes(src.read(5_000_000))
    with pytest.raises(EngineError, match="corrupt or incomplete"):
        NativeEngine().load(truncated)


def test_prompt_longer_than_the_context_is_refused(default_model: Path) -> None:
    small = NativeEngine(context_length=256)
    small.load(default_model)
    with pytest.raises(EngineError, match="context"):
        small.generate("word " * 400, GenerationParams(max_tokens=8)).collect()


def test_a_model_with_a_chat_template_uses_it(chat_model: Path) -> None:
    chat = NativeEngine()
    chat.load(chat_model)
    assert chat.info().chat_template is True
    text = chat.render([{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Why?"}])
    assert "<start_of_turn>user\nWhy?<end_of_turn>" in text and text.rstrip().endswith("<start_of_turn>model")
    generation = chat.generate(
        [{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=8, temperature=0)
    )
    assert generation.collect() and generation.stats.prompt_tokens > 5


def test_pipeline_uses_chat_messages_with_a_chat_model(chat_model: Path) -> None:
    from tutor.exercises import load_bundled
    from tutor.feedback import HintPipeline, PipelineConfig

    chat = NativeEngine()
    chat.load(chat_model)
    exercise = load_bundled().find("sum_of_evens")
    hint = HintPipeline(chat, PipelineConfig(repairs=1)).run(exercise, exercise.starter)
    assert hint.status == "hint" and hint.engine["chat_template"] is True and hint.tokens["repair_calls"] >= 0
