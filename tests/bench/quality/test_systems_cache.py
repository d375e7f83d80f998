"""System names (parse, canonical name, errors) and the (system, item) cache (resume, damaged lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.eval.cache import GenerationCache, item_key
from tutor.eval.systems import SystemError, parse_system, parse_systems


def test_systems_list_with_engines_and_settings() -> None:
    systems = parse_systems(
        "analysis, default ,qwen2.5-coder-0.5b@native,k=1,qwen2.5-coder-1.5b-instruct-q4km@browser"
    )
    assert [s.name for s in systems] == [
        "analysis",
        "default",
        "qwen2.5-coder-0.5b-instruct-q4km,k=1",
        "qwen2.5-coder-1.5b-instruct-q4km@browser",
    ]
    assert [s.family for s in systems] == ["", "gemma", "qwen", "qwen"]
    assert systems[2].repairs == 1 and systems[3].engine == "browser"
    assert all(
        parse_system(s.name) == s for s in systems
    )  # the canonical name parses back to the same system


def test_the_embedded_base_is_its_own_system_beside_the_default(default_model: Path) -> None:
    """`default` is whatever the catalog ships as the default (a fine-tune when it marks one); the base Gemma keeps
    its catalog id, so a benchmark can compare the two."""
    base = parse_system("gemma3-270m-q4km")
    assert (
        base.name == "gemma3-270m-q4km"
        and base.family == "gemma"
        and parse_system("default").name == "default"
    )
    assert base.model_path().read_bytes()[:4] == b"GGUF"


def test_gguf_path_system(tmp_path: Path) -> None:
    system = parse_system(f"{tmp_path}/Llama-3.2-1B.Q4_K_M.gguf,k=0")
    assert system.repairs == 0 and system.family == "llama"
    with pytest.raises(SystemError, match="not found"):
        system.model_path()


@pytest.mark.parametrize(
    "text, message",
    [
        ("qwen2.5-coder", "ambiguous"),
        ("gpt-4o", "unknown system"),
        ("default@gpu", "unknown engine"),
        ("k=3,default", "before any system"),
        ("default,k=99", "0 to 10"),
        ("default,temp=1", "unknown setting"),
        ("default,default", "listed twice"),
        ("analysis@browser", "no engine"),
        ("", "no systems"),
    ],
)
def test_bad_systems_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(SystemError, match=message) as info:
        parse_systems(text)
    assert "\n" not in str(info.value)


def test_cache_resumes_and_survives_a_cut_line(tmp_path: Path) -> None:
    key = item_key("greeting", "no_comma", "def greeting(name): ...")
    cache = GenerationCache(tmp_path)
    cache.put("analysis", key, {"hint": "first"})
    cache.put("analysis", key, {"hint": "second"})  # the last record wins
    cache.put("default", key, {"hint": "other"})
    with cache.path.open("a") as handle:
        handle.write('{"system": "default", "item": "x", "rec')  # a crash in the middle of a write
    again = GenerationCache(tmp_path)
    assert again.get("analysis", key) == {"hint": "second"} and ("default", key) in again
    assert len(again) == 2 and again.skipped_lines == 1
    assert [s for s, _, _ in again.records("default")] == ["default"]


def test_item_key_changes_with_the_code() -> None:
    assert item_key("t", "n", "a = 1") != item_key("t", "n", "a = 2")
    assert item_key("t", "n", "a = 1") == item_key("t", "n", "a = 1")


def test_hint_analysis_setting_keeps_the_model_repairs_and_drops_its_hint_call(tmp_path: Path) -> None:
    """`hint=analysis`: the fine-tune's repairs with the analysis text (issue 24's fallback configuration)."""
    from tutor.eval.systems import HintSource, _NoModel

    system = parse_system(f"{tmp_path}/ft.gguf,k=1,hint=analysis")
    assert system.hint == "analysis" and system.repairs == 1
    assert system.name == f"{tmp_path}/ft.gguf,k=1,hint=analysis" and parse_system(system.name) == system
    config = HintSource(system, _NoModel()).config
    assert config.model_repairs and not config.model_hint
    plain = HintSource(parse_system(f"{tmp_path}/ft.gguf"), _NoModel()).config
    assert plain.model_repairs and plain.model_hint
    with pytest.raises(SystemError, match="hint must be one of"):
        parse_system(f"{tmp_path}/ft.gguf,hint=teacher")
    with pytest.raises(SystemError, match="takes no engine and no settings"):
        parse_system("analysis,hint=analysis")
