"""The school's site policy: where it is read from, what each key does, and broken policy files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.policy import load_policy, parse_policy

from .conftest import venv_tutor

PACK = load_bundled()


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.toml"

    def write(text: str) -> Path:
        path.write_text(text)
        monkeypatch.setenv("TUTOR_POLICY", str(path))
        return path

    return write


def tutor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*venv_tutor(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_no_policy_means_open_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUTOR_POLICY", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr("tutor.policy.site_config_dir", lambda: tmp_path / "site")
    policy = load_policy()
    assert policy.path is None and policy.downloads and policy.hints_allowed and policy.hints_left(5) is None


def test_precedence_env_then_beside_the_executable_then_site(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site, portable, env = tmp_path / "site", tmp_path / "app", tmp_path / "env"
    for folder, quota in ((site, 1), (portable, 2), (env, 3)):
        folder.mkdir()
        (folder / "policy.toml").write_text(f"[hints]\nper_exercise = {quota}\n")
    monkeypatch.setattr("tutor.policy.site_config_dir", lambda: site)
    monkeypatch.setattr(sys, "executable", str(portable / "tutor"))
    monkeypatch.setenv("TUTOR_POLICY", str(env / "policy.toml"))
    assert load_policy().hints_per_exercise == 3
    monkeypatch.delenv("TUTOR_POLICY")
    assert load_policy().hints_per_exercise == 2
    (portable / "policy.toml").unlink()
    policy = load_policy()
    assert policy.hints_per_exercise == 1 and policy.sources["hints.per_exercise"].endswith("line 2")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[hints]\nexam_mode = true\nper_exercice = 3\n", 3, "unknown key hints.per_exercice"),
        ('[models]\ndownloads = "no"\n', 2, "models.downloads must be true or false"),
        ("[hints]\nper_exercise = -1\n", 2, "0 (no limit) or more"),
        ("[hints]\navoid = [1, 2]\n", 2, "list of text"),
        ("[hints\nexam_mode = true\n", 1, "not valid TOML"),
        ("[marks]\nstrict = true\n", 1, "unknown section [marks]"),
    ],
)
def test_broken_policies_name_file_and_line_and_turn_hints_and_downloads_off(
    policy_file,
    text: str,
    line: int,
    words: str,  # type: ignore[no-untyped-def]
) -> None:
    path = policy_file(text)
    policy = load_policy()
    assert str(path) in policy.error and f"line {line}" in policy.error and words in policy.error
    assert not policy.hints_allowed and not policy.downloads


def test_cli_refuses_hints_and_downloads_under_a_broken_policy(policy_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = policy_file("[hints]\nexam_mode = maybe\n")
    code = tmp_path / "code.py"
    code.write_text(PACK.find("grade_letter").starter)
    hint = tutor("hint", str(code), "-e", "grade_letter")
    assert hint.returncode == 2 and str(path) in hint.stderr and "fixed" in hint.stderr
    download = tutor("models", "download", "qwen2.5-coder-0.5b-instruct-q4km")
    assert download.returncode == 2 and "turned off" in download.stderr
    doctor = json.loads(tutor("doctor", "--json").stdout)["policy"]
    assert doctor["file"] == str(path) and "line 2" in doctor["error"]


def test_exam_mode_refuses_hints_but_tests_run(policy_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    policy_file("[hints]\nexam_mode = true\n")
    code = tmp_path / "code.py"
    code.write_text(PACK.find("grade_letter").starter)
    assert tutor("check", str(code), "-e", "grade_letter").returncode == 1
    hint = tutor("hint", str(code), "-e", "grade_letter")
    assert hint.returncode == 2 and "exam mode" in hint.stderr


@pytest.mark.slow
def test_quota_counts_down_and_stops(policy_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    policy_file(f'[hints]\nper_exercise = 1\n[data]\nprogress_dir = "{tmp_path / "lab"}"\n')
    code = tmp_path / "code.py"
    code.write_text(PACK.find("grade_letter").starter)
    first = tutor("hint", str(code), "-e", "grade_letter", "--repairs", "0", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["hints_left"] == 0
    assert (tmp_path / "lab" / "progress.db").is_file()  # progress stored where the school said
    second = tutor("hint", str(code), "-e", "grade_letter")
    assert second.returncode == 2 and "no hints left" in second.stderr


@pytest.mark.slow
def test_avoid_list_words_are_never_shown(engine) -> None:  # type: ignore[no-untyped-def]
    exercise = PACK.find("grade_letter")
    shown: list[str] = []
    plain = HintPipeline(engine, PipelineConfig(repairs=0)).run(exercise, exercise.starter)
    assert "comparison" in plain.hint  # without the avoid-list the analysis hint names the comparison
    hint = HintPipeline(
        engine, PipelineConfig(repairs=0, avoid=("comparison", "boundary")), on_token=shown.append
    ).run(exercise, exercise.starter)
    for text in (hint.hint, hint.explanation, "".join(shown)):
        assert "comparison" not in text.lower() and "boundary" not in text.lower()
    assert hint.status == "hint" and len(hint.hint.split()) >= 5


def test_allowed_models_and_shared_folders(policy_file, tmp_path: Path, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    share = tmp_path / "share"
    share.mkdir()
    (share / "lab.gguf").symlink_to(default_model)
    policy_file(f'[models]\nallowed = ["lab.gguf"]\nshared_folders = ["{share}"]\ndownloads = false\n')
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data")}
    listed = json.loads(tutor("models", "list", "--json", env=env).stdout)["models"]
    assert [(m["id"], m["source"], m["read_only"]) for m in listed] == [("shared:lab.gguf", "shared", True)]
    assert tutor("models", "use", "shared:lab.gguf", env=env).returncode == 0
    other = tmp_path / "other.gguf"
    other.symlink_to(default_model)
    assert tutor("models", "import", str(other), env=env).returncode == 0
    refused = tutor("models", "use", "other", env=env)
    assert refused.returncode == 2 and "not among the models your school allows" in refused.stderr
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    hint = tutor("hint", str(code), "-e", "grade_letter", "--model", str(other), env=env)
    assert hint.returncode == 2 and "not among the models" in hint.stderr


def test_policy_mirror_endpoint_is_used_for_downloads(
    policy_file, tmp_path: Path, default_model: Path
) -> None:  # type: ignore[no-untyped-def]
    from .models.hub_server import HubServer

    with HubServer({"acme/tiny-GGUF/tiny.gguf": default_model}) as hub:
        policy_file(f'[models]\nhf_endpoint = "{hub.endpoint}"\n')
        env = {"TUTOR_DATA_DIR": str(tmp_path), "HF_ENDPOINT": "http://127.0.0.1:9"}  # the policy wins
        result = tutor("models", "download", "hf://acme/tiny-GGUF/tiny.gguf", "--json", env=env)
        assert result.returncode == 0, result.stderr
        assert any("resolve" in path for _, path, _ in hub.requests)


def test_parse_records_where_each_value_came_from(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('# lab policy\n[models]\ndownloads = false\n\n[hints]\navoid = ["sorted"]\n')
    policy = parse_policy(path)
    assert policy.sources["models.downloads"] == f"{path}, line 3"
    assert policy.sources["hints.avoid"] == f"{path}, line 6"
    assert policy.sources["hints.exam_mode"].startswith("default")
