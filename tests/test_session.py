"""The session's rules, without Qt: where progress lives, which model and engine, and when a hint may be given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tutor.engines.base import EngineError
from tutor.engines.process import ProcessEngine
from tutor.feedback import Hint
from tutor.policy import Policy, safe_policy
from tutor.progress import ProgressStore
from tutor.session import ModelChoice, Session, model_file
from tutor.settings import Settings


def session(tmp_path: Path, policy: Policy | None = None, settings: Settings | None = None) -> Session:
    return Session(
        policy=policy or Policy(),
        settings=settings or Settings(),
        progress=ProgressStore(tmp_path / "progress.db"),
    )


def test_progress_and_code_go_where_the_policy_says(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    s = Session(policy=Policy(progress_dir=str(lab)), settings=Settings())
    s.workspace.save("greeting", "x = 1\n")
    s.progress.record_hint("greeting")
    assert (lab / "progress.db").is_file() and s.workspace.folder == lab / "code"
    assert s.workspace.load("greeting") == "x = 1\n"
    s.close()


def test_nothing_is_opened_until_it_is_used(tmp_path: Path) -> None:
    s = Session(policy=Policy(progress_dir=str(tmp_path / "lab")), settings=Settings())
    assert s.engine_choice().name == "native"
    assert not (tmp_path / "lab").exists()  # `tutor check` and `tutor doctor` open no progress database


def test_without_a_policy_folder_the_user_data_dir_is_used() -> None:
    s = Session(policy=Policy(), settings=Settings())
    assert s.progress.path == Path(os.environ["TUTOR_DATA_DIR"]) / "progress.db"
    s.close()


def test_hints_follow_exam_mode_a_broken_policy_and_the_quota(tmp_path: Path) -> None:
    assert "exam mode" in session(tmp_path, Policy(exam_mode=True)).hint_refusal("greeting")
    broken = session(tmp_path, safe_policy(Path("/etc/p.toml"), "/etc/p.toml, line 2: unknown key"))
    assert "fixed" in broken.hint_refusal("greeting") and "line 2" in broken.hint_refusal("greeting")
    s = session(tmp_path, Policy(hints_per_exercise=2))
    assert s.hint_refusal("greeting") == "" and s.hints_left("greeting") == 2
    assert s.record_hint("greeting", Hint(status="hint", hint="Look at the loop.")) == 1
    assert s.record_hint("greeting", Hint(status="hint", hint="Look again.")) == 0
    assert s.hint_refusal("greeting") == "no hints left for greeting (your school allows 2 per exercise)"
    assert s.hints_left("factorial") == 2  # the quota is per exercise


def test_only_hints_given_count_against_the_quota(tmp_path: Path) -> None:
    s = session(tmp_path, Policy(hints_per_exercise=1))
    assert s.record_hint("greeting", Hint(status="cancelled")) == 1
    assert s.record_hint("greeting", Hint(status="passing", hint="All tests pass.")) == 1
    assert s.progress.of("greeting").hints == 0
    assert session(tmp_path).hints_left("greeting") is None  # no quota: no limit


def test_model_rule_requested_then_saved_then_embedded(tmp_path: Path, default_model: Path) -> None:
    saved = tmp_path / "saved.gguf"
    saved.symlink_to(default_model)
    s = session(tmp_path, settings=Settings(model_path=str(saved)))
    assert s.choose_model(str(default_model)) == ModelChoice(path=str(default_model))
    assert s.choose_model() == ModelChoice(path=str(saved))
    assert session(tmp_path).choose_model() == ModelChoice(path="")  # the embedded model


def test_a_gone_or_forbidden_model_is_refused_with_a_fallback(tmp_path: Path, default_model: Path) -> None:
    gone = session(tmp_path, settings=Settings(model_path=str(tmp_path / "deleted.gguf")))
    choice = gone.choose_model()
    assert choice.path == "" and "deleted.gguf is not there" in choice.refused
    assert choice.notice().startswith("The chosen model") and choice.notice().endswith(
        "using the built-in model."
    )
    allowed = Policy(allowed_models=["qwen2.5-coder-0.5b-instruct-q4km"])
    other = tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"  # the allowed model's name, other bytes
    other.write_bytes(b"GGUF" + bytes(20))
    refused = session(tmp_path, allowed).choose_model(str(other))
    assert refused.path == "" and "not among the models your school allows" in refused.refused
    assert session(tmp_path, allowed).choose_model(str(default_model)).path == str(default_model)  # embedded


def test_the_schools_default_model_is_found_in_its_shared_folder(tmp_path: Path, default_model: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "lab.gguf").symlink_to(default_model)
    choice = session(tmp_path, Policy(default_model="lab.gguf", shared_folders=[share])).choose_model()
    assert choice.path == str(share / "lab.gguf") and "school's default model" in choice.note


def test_a_model_bigger_than_the_free_memory_gets_a_warning(tmp_path: Path) -> None:
    huge = tmp_path / "huge.gguf"
    with huge.open("wb") as handle:  # sparse: a terabyte that takes no disk space
        handle.truncate(2**40)
    choice = session(tmp_path).choose_model(str(huge))
    assert choice.path == str(huge) and "only" in choice.warning and "GB are free" in choice.warning
    assert choice.warning.rstrip(".") in choice.notice()
    assert session(tmp_path).ram_warning("") == ""


def test_auto_means_native_and_a_saved_engine_is_used_unless_one_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tutor.engines.select._browser", {})  # as in a process without the desktop layer
    choice = session(tmp_path).engine_choice()
    assert choice.name == "native" and "auto means native" in choice.reason
    assert session(tmp_path, settings=Settings(engine="native")).engine_choice().reason == "asked for"
    saved_browser = session(tmp_path, settings=Settings(engine="browser"))
    with pytest.raises(EngineError, match="Qt WebEngine"):  # no browser engine registered in this process
        saved_browser.engine_choice()
    assert saved_browser.engine_choice("native").name == "native"
    with pytest.raises(EngineError, match="unknown engine"):
        session(tmp_path).engine_choice("gpu")
    engine = session(tmp_path).make_engine(threads=1)
    # native means llama.cpp in its own process (tutor.engines.process); nothing starts before a model is loaded
    assert isinstance(engine, ProcessEngine) and engine.info().threads == 1 and engine.info().name == "native"


def test_the_pipeline_gets_the_schools_avoid_list(tmp_path: Path) -> None:
    s = session(tmp_path, Policy(avoid=["sorted", "set("]))
    assert s.pipeline_config().avoid == ("sorted", "set(") and s.pipeline_config(repairs=0).repairs == 0


def test_one_check_before_any_model_runs(tmp_path: Path, default_model: Path) -> None:
    from tutor.models.choice import ModelRefused

    assert session(tmp_path).authorize_model(default_model) == default_model
    with pytest.raises(ModelRefused, match="exam mode"):
        session(tmp_path, Policy(exam_mode=True)).authorize_model(default_model)
    with pytest.raises(ModelRefused, match="fixed"):
        session(tmp_path, safe_policy(Path("/etc/p.toml"), "/etc/p.toml, line 2: bad")).authorize_model(
            default_model
        )


def test_model_file_is_the_path_or_the_embedded_model(tmp_path: Path) -> None:
    assert model_file(str(tmp_path / "x.gguf")) == tmp_path / "x.gguf"


def test_using_a_model_saves_it_unless_the_policy_forbids_it(tmp_path: Path, default_model: Path) -> None:
    from tutor.models.choice import ModelNotAllowed

    s = session(tmp_path, settings=Settings.load())
    s.use_model(str(default_model))
    assert Settings.load().model_path == str(default_model) and s.choose_model().path == str(default_model)
    s.settings.zoom = 3
    s.settings.save()  # a later save of other settings keeps the model (one settings object per session)
    assert Settings.load().model_path == str(default_model)
    lab = session(
        tmp_path, Policy(allowed_models=["qwen2.5-coder-0.5b-instruct-q4km"]), settings=Settings.load()
    )
    other = tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"  # the allowed model's name, other bytes
    other.write_bytes(b"GGUF" + bytes(20))
    with pytest.raises(ModelNotAllowed, match="not among the models"):
        lab.use_model(str(other))
    lab.use_model("")
    assert Settings.load().model_path == ""
