"""The school's site policy: where it is read from, what each key does, and broken policy files."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.models.choice import ModelNotAllowed, ModelRefused
from tutor.policy import Policy, load_policy, merge_policies, parse_policy, safe_policy
from tutor.session import Session
from tutor.settings import Settings

from .conftest import ROOT, venv_tutor

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
    monkeypatch.setattr("tutor.policy.UNIX_SITE_DIR", tmp_path / "etc")
    monkeypatch.setattr("tutor.policy.site_config_dir", lambda: tmp_path / "site")
    policy = load_policy()
    assert policy.path is None and policy.downloads and policy.hints_allowed and policy.hints_left(5) is None


def test_every_policy_file_applies_and_the_strictest_quota_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    system, portable, env = tmp_path / "etc", tmp_path / "app", tmp_path / "env"
    for folder, quota in ((system, 2), (portable, 3), (env, 1)):
        folder.mkdir()
        (folder / "policy.toml").write_text(f"[hints]\nper_exercise = {quota}\n")
    monkeypatch.setattr("tutor.policy.UNIX_SITE_DIR", system)
    monkeypatch.setattr(sys, "executable", str(portable / "tutor"))
    monkeypatch.setenv("TUTOR_POLICY", str(env / "policy.toml"))
    policy = load_policy()
    assert policy.hints_per_exercise == 1 and policy.sources["hints.per_exercise"].startswith(str(env))
    assert policy.files == [system / "policy.toml", portable / "policy.toml", env / "policy.toml"]
    monkeypatch.delenv("TUTOR_POLICY")
    assert load_policy().hints_per_exercise == 2  # the system file's, stricter than the portable one's
    (system / "policy.toml").unlink()
    policy = load_policy()
    assert policy.hints_per_exercise == 3 and policy.sources["hints.per_exercise"].endswith("line 2")


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


def tiny_gguf(path: Path, tag: bytes = b"") -> Path:
    """A GGUF file with a valid, empty header (no tensors): any model that is not the embedded one."""
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0) + bytes(8) + tag)  # data starts at 32
    return path


ALLOWED_ID = "qwen2.5-coder-0.5b-instruct-q4km"  # a catalog model: the policy allows its pinned sha256
ALLOWED_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def test_allowed_models_are_checked_by_sha256_not_by_name(
    policy_file, tmp_path: Path, default_model: Path
) -> None:  # type: ignore[no-untyped-def]
    share = tmp_path / "share"
    share.mkdir()
    (share / "lab.gguf").symlink_to(default_model)  # the embedded model's content: always allowed
    renamed = tiny_gguf(share / ALLOWED_FILE)  # another model renamed to the allowed catalog file's name
    policy_file(f'[models]\nallowed = ["{ALLOWED_ID}"]\nshared_folders = ["{share}"]\ndownloads = false\n')
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data")}
    listed = json.loads(tutor("models", "list", "--json", env=env).stdout)["models"]
    assert {m["id"] for m in listed} >= {"shared:lab.gguf", f"shared:{ALLOWED_FILE}"}
    assert tutor("models", "use", "shared:lab.gguf", env=env).returncode == 0
    refused = tutor("models", "use", f"shared:{ALLOWED_FILE}", env=env)
    assert refused.returncode == 2 and "not among the models your school allows" in refused.stderr
    assert "sha256" in refused.stderr
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    hint = tutor("hint", str(code), "-e", "grade_letter", "--model", str(renamed), env=env)
    assert hint.returncode == 2 and "not among the models" in hint.stderr
    other = tiny_gguf(tmp_path / "other.gguf", b"other")
    hint = tutor("hint", str(code), "-e", "grade_letter", "--model", str(other), env=env)
    assert hint.returncode == 2 and "not among the models" in hint.stderr


def test_an_allowed_sha256_lets_that_content_in_under_any_name(policy_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tutor.models.checksum import sha256_of

    model = tiny_gguf(tmp_path / "lab.gguf")
    policy_file(f'[models]\nallowed = ["{sha256_of(model).upper()}"]\n')
    session = Session(settings=Settings())
    assert session.authorize_model(model) == model
    renamed = tmp_path / "anything.gguf"
    model.rename(renamed)
    assert session.authorize_model(renamed) == renamed
    with pytest.raises(ModelNotAllowed, match="not among the models"):
        session.authorize_model(tiny_gguf(tmp_path / "lab.gguf", b"changed"))


def test_a_file_name_alone_in_the_allowed_list_is_an_error(policy_file) -> None:  # type: ignore[no-untyped-def]
    path = policy_file('[hints]\nper_exercise = 2\n[models]\nallowed = ["lab.gguf"]\n')
    policy = load_policy()
    assert str(path) in policy.error and "line 4" in policy.error and "'lab.gguf'" in policy.error
    assert "sha256" in policy.error and not policy.hints_allowed and not policy.downloads


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


# -- a lab machine: a system policy the learner cannot switch off ------------------------------------------------
LAB_BOOT = (
    "import pathlib, sys\n"
    "import tutor.policy\n"
    "tutor.policy.UNIX_SITE_DIR = pathlib.Path(sys.argv[1])  # /etc/xdg/offline-tutor on a real machine\n"
    "from tutor.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def lab_tutor(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The ``tutor`` command on a machine whose system policy folder is ``site`` (the real command line, with
    only the fixed system folder moved, which no environment variable can do)."""
    return subprocess.run(
        [sys.executable, "-c", LAB_BOOT, str(site), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A system policy in exam mode with downloads and grading off, and a learner's laxer file in TUTOR_POLICY."""
    site = tmp_path / "etc"
    site.mkdir()
    (site / "policy.toml").write_text(
        "[hints]\nexam_mode = true\nper_exercise = 2\n[models]\ndownloads = false\n[grading]\nallowed = false\n"
    )
    lax = tmp_path / "mine.toml"
    lax.write_text(
        "[hints]\nexam_mode = false\nper_exercise = 0\n[models]\ndownloads = true\n"
        "[grading]\nallowed = true\n[arena]\ncompare_hints = true\n"
    )
    monkeypatch.setenv("TUTOR_POLICY", str(lax))
    return site


def test_tutor_policy_pointing_to_a_laxer_file_changes_nothing(lab: Path, tmp_path: Path) -> None:
    code = tmp_path / "code.py"
    code.write_text(PACK.find("grade_letter").starter)
    hint = lab_tutor(lab, "hint", str(code), "-e", "grade_letter")
    assert hint.returncode == 2 and "exam mode" in hint.stderr
    download = lab_tutor(lab, "models", "download", "qwen2.5-coder-0.5b-instruct-q4km")
    assert download.returncode == 2 and "turned off" in download.stderr
    grade = lab_tutor(lab, "grade", str(tmp_path), "-e", "grade_letter", "--no-model")
    assert grade.returncode == 2 and "grading.allowed" in grade.stderr
    doctor = json.loads(lab_tutor(lab, "doctor", "--json", "--engine", "native").stdout)["policy"]
    assert doctor["file"] == str(lab / "policy.toml") and str(tmp_path / "mine.toml") in doctor["files"]
    assert doctor["hints.exam_mode"].startswith("True") and doctor["models.downloads"].startswith("False")
    assert doctor["hints.per_exercise"].startswith("2 ") and doctor["grading.allowed"].startswith("False")


@pytest.mark.parametrize("xdg", ["/nonexistent", "learner"])
def test_xdg_config_dirs_cannot_hide_the_system_policy(lab: Path, tmp_path: Path, xdg: str) -> None:
    if xdg == "learner":  # a folder of the learner's with a laxer policy.toml where XDG would look
        (tmp_path / "xdg" / "offline-tutor").mkdir(parents=True)
        (tmp_path / "xdg" / "offline-tutor" / "policy.toml").write_text("[hints]\nexam_mode = false\n")
        xdg = str(tmp_path / "xdg")
    code = tmp_path / "code.py"
    code.write_text(PACK.find("grade_letter").starter)
    hint = lab_tutor(
        lab, "hint", str(code), "-e", "grade_letter", env={"XDG_CONFIG_DIRS": xdg, "TUTOR_POLICY": ""}
    )
    assert hint.returncode == 2 and "exam mode" in hint.stderr


def test_the_system_folder_ignores_xdg_config_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.policy import system_policy_paths

    monkeypatch.setenv("XDG_CONFIG_DIRS", "/nonexistent")
    expected = (
        Path("/etc/xdg/offline-tutor/policy.toml")
        if os.name == "posix" and sys.platform != "darwin"
        else system_policy_paths()[0][0]
    )
    assert system_policy_paths()[0][0] == expected


@pytest.mark.parametrize(
    "command",
    [
        ["bench", "quality", "--systems", "analysis", "--set", "basics", "--limit", "1"],
        ["bench", "--json"],
        ["bench", "repairs", "--rounds", "1"],
        ["arena", "run", "--systems", "analysis,default", "--set", "basics", "--limit", "1"],
        ["train", "data", "--teacher", "none", "--max-per-source", "1"],
        ["grade", "SUBMISSIONS", "-e", "grade_letter"],
        ["doctor", "--json", "--engine", "native", "--generate", "4"],
    ],
    ids=["bench-quality", "bench", "bench-repairs", "arena", "train-data", "grade", "doctor-generate"],
)
def test_every_command_that_runs_a_model_is_refused_in_exam_mode(tmp_path: Path, command: list[str]) -> None:
    site = tmp_path / "etc"
    site.mkdir()
    (site / "policy.toml").write_text("[hints]\nexam_mode = true\n[grading]\nallowed = true\n")
    out = tmp_path / "out"
    args = [str(tmp_path) if word == "SUBMISSIONS" else word for word in command]
    args += (
        []
        if command[0] in ("grade", "doctor", "bench") and command[:2] != ["bench", "quality"]
        else ["--out", str(out)]
    )
    result = lab_tutor(site, *args)
    if command[0] == "doctor":
        assert "exam mode" in json.loads(result.stdout)["generation"]["error"]
    else:
        assert result.returncode == 2 and "exam mode" in result.stderr, result.stderr
    assert not (out / "train.jsonl").exists() and not any(out.glob("**/*.jsonl"))


def test_a_disallowed_model_is_refused_by_every_front_door(tmp_path: Path) -> None:
    site = tmp_path / "etc"
    site.mkdir()
    (site / "policy.toml").write_text(f'[models]\nallowed = ["{ALLOWED_ID}"]\n[grading]\nallowed = true\n')
    renamed = tiny_gguf(tmp_path / ALLOWED_FILE)  # not the allowed model, only its name
    (tmp_path / "alice.py").write_text("def grade_letter(score):\n    return 'A'\n")
    out = tmp_path / "out"
    commands = [
        ["bench", "quality", "--systems", f"{renamed}", "--set", "basics", "--limit", "1", "--out", str(out)],
        ["bench", "repairs", "--model", str(renamed), "--rounds", "1"],
        [
            "arena",
            "run",
            "--systems",
            f"analysis,{renamed}",
            "--set",
            "basics",
            "--limit",
            "1",
            "--out",
            str(out),
        ],
        ["train", "data", "--teacher", str(renamed), "--max-per-source", "1", "--out", str(out)],
        ["grade", str(tmp_path), "-e", "grade_letter", "--model", str(renamed), "--out", str(out)],
        ["hint", str(tmp_path / "alice.py"), "-e", "grade_letter", "--model", str(renamed)],
    ]
    for command in commands:
        result = lab_tutor(site, *command)
        assert result.returncode == 2 and "not among the models your school allows" in result.stderr, (
            command,
            result.stderr,
        )
    doctor = json.loads(
        lab_tutor(
            site, "doctor", "--json", "--engine", "native", "--model", str(renamed), "--generate", "4"
        ).stdout
    )
    assert "not among the models" in doctor["generation"]["error"]


def test_the_arena_judge_must_be_an_allowed_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.arena.core import load_judge
    from tutor.errors import UsageError

    monkeypatch.setattr("tutor.policy.UNIX_SITE_DIR", tmp_path)
    (tmp_path / "policy.toml").write_text(f'[models]\nallowed = ["{ALLOWED_ID}"]\n')
    with pytest.raises(UsageError, match="not among the models your school allows"):
        load_judge(str(tiny_gguf(tmp_path / ALLOWED_FILE)), 1)


# -- merging: a learner's file only ever makes the policy stricter ------------------------------------------------
def test_merging_never_loosens_any_key(tmp_path: Path) -> None:
    system = tmp_path / "system.toml"
    system.write_text(
        f'[models]\nallowed = ["{ALLOWED_ID}", "gemma3-270m-q4km"]\ndefault = "{ALLOWED_ID}"\ndownloads = true\n'
        'shared_folders = ["/srv/models"]\nhf_endpoint = "http://mirror.lan"\n'
        '[hints]\nper_exercise = 3\navoid = ["sorted"]\n[data]\nprogress_dir = "/srv/p"\n'
        '[grading]\nallowed = true\n[arena]\ncompare_hints = true\nsystems = ["analysis", "default"]\n'
    )
    learner = tmp_path / "learner.toml"
    learner.write_text(
        '[models]\nallowed = ["gemma3-270m-q4km", "qwen2.5-coder-1.5b-instruct-q4km"]\ndefault = "x"\n'
        'downloads = false\nshared_folders = ["/home/me/models"]\nhf_endpoint = "http://evil"\n'
        '[hints]\nper_exercise = 0\nexam_mode = true\navoid = ["max("]\n[data]\nprogress_dir = "/tmp/fresh"\n'
        '[arena]\ncompare_hints = true\nsystems = ["qwen"]\n'
    )
    a, b = parse_policy(system), parse_policy(learner)
    merged = merge_policies(a, b)
    gemma = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert merged.allowed_sha256 == frozenset({gemma})  # intersected, by content
    assert merged.default_model == ALLOWED_ID and merged.hf_endpoint == "http://mirror.lan"
    assert merged.progress_dir == "/srv/p" and merged.compare_systems == ["analysis", "default"]
    assert merged.shared_folders == [Path("/srv/models"), Path("/home/me/models")]
    assert not merged.downloads and merged.exam_mode and merged.hints_per_exercise == 3
    assert merged.avoid == ["sorted", "max("]
    assert not merged.grading_allowed  # the learner's file leaves it out: false
    assert merged.compare_hints and not merged.compare_allowed  # exam mode
    assert merged.sources["hints.exam_mode"].startswith(str(learner))
    assert merge_policies(b, a).hints_per_exercise == 3  # 0 (no limit) never wins over a number
    assert merge_policies(Policy(), Policy(allowed_models=[gemma])).allowed_sha256 == frozenset({gemma})
    disjoint = merge_policies(Policy(allowed_models=[ALLOWED_ID]), Policy(allowed_models=[gemma]))
    assert disjoint.allowed_sha256 == frozenset() and not disjoint.allows_sha256("0" * 64)
    assert disjoint.allows_sha256(gemma)  # the embedded model stays allowed
    broken = merge_policies(a, safe_policy(learner, "learner.toml, line 1: bad"))
    assert broken.error and not broken.hints_allowed and broken.progress_dir == "/srv/p"
    assert broken.allowed_sha256 == a.allowed_sha256


def test_a_broken_or_missing_extra_file_turns_models_off(lab: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.toml").unlink()
    refusal = Session(policy=load_policy(), settings=Settings()).model_refusal()
    assert "does not exist" in refusal and "fixed" in refusal
    with pytest.raises(ModelRefused):
        Session(policy=load_policy(), settings=Settings()).authorize_model(tmp_path / "x.gguf")


# -- $USER and ~ in policy paths ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written", ["/srv/progress/$USER", "/srv/progress/${USER}", "/srv/progress/%USERNAME%"]
)
def test_user_expands_from_the_account_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    from tutor.policy import current_user

    monkeypatch.setenv("USER", "somebody-else")
    monkeypatch.setenv("USERNAME", "somebody-else")
    monkeypatch.setenv("HOME", str(tmp_path / "fake-home"))
    name, home = current_user()
    path = tmp_path / "policy.toml"
    path.write_text(f'[data]\nprogress_dir = "{written}"\n[models]\nshared_folders = ["~/models"]\n')
    policy = parse_policy(path)
    assert policy.progress_dir == f"/srv/progress/{name}" and name != "somebody-else"
    assert policy.shared_folders == [home / "models"] and "fake-home" not in str(home)


def test_each_learner_gets_their_own_progress_folder(policy_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tutor.policy import current_user

    policy_file(f'[data]\nprogress_dir = "{tmp_path}/progress/$USER"\n')
    session = Session(settings=Settings())
    session.progress.record_hint("greeting")
    assert (tmp_path / "progress" / current_user()[0] / "progress.db").is_file()
    assert not (tmp_path / "progress" / "$USER").exists()
    session.close()


# -- the hash cache -----------------------------------------------------------------------------------------------
def test_a_forged_hash_cache_entry_is_not_trusted_for_the_learners_own_file(tmp_path: Path) -> None:
    from tutor.models.checksum import CACHE_NAME, forget, model_sha256, sha256_of, version_key
    from tutor.paths import user_data_dir

    model = tiny_gguf(tmp_path / ALLOWED_FILE)
    cache = user_data_dir() / CACHE_NAME  # where the check keeps hashes: the learner can write it
    cache.parent.mkdir(parents=True, exist_ok=True)
    allowed = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"  # the allowed model's
    cache.write_text(json.dumps({version_key(model): allowed}))
    forget()
    with pytest.raises(ModelNotAllowed):
        Session(policy=Policy(allowed_models=[ALLOWED_ID]), settings=Settings()).authorize_model(model)
    forget()
    assert model_sha256(model, cache) == sha256_of(model) != allowed


def test_a_changed_file_is_hashed_again_even_with_its_old_size_and_time(tmp_path: Path) -> None:
    from tutor.models.checksum import model_sha256, sha256_of, version_key

    model = tiny_gguf(tmp_path / "m.gguf", b"aaaa")
    first = model_sha256(model)
    stat = model.stat()
    key = version_key(model)
    time.sleep(0.05)  # the kernel's clock for file times ticks every few milliseconds
    tiny_gguf(model, b"bbbb")  # same size
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old modification time
    assert version_key(model) != key  # the change time moved: a user cannot set it back
    assert model_sha256(model) == sha256_of(model) != first


def test_the_disk_cache_serves_files_the_learner_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutor.models import checksum

    checksum.forget()
    model = tiny_gguf(tmp_path / "shared.gguf")
    cache = tmp_path / "cache" / "model-hashes.json"
    monkeypatch.setattr(checksum, "learner_can_write", lambda path: False)  # a root-owned shared folder
    digest = checksum.model_sha256(model, cache)
    assert json.loads(cache.read_text()) == {checksum.version_key(model): digest}
    checksum.forget()
    cache.write_text(json.dumps({checksum.version_key(model): "f" * 64}))  # another process's entry
    assert checksum.model_sha256(model, cache) == "f" * 64  # used without hashing


def test_files_of_the_learner_are_writable_by_the_learner(tmp_path: Path) -> None:
    from tutor.models.checksum import learner_can_write

    assert learner_can_write(tiny_gguf(tmp_path / "mine.gguf"))


def test_models_recommend_measures_nothing_in_exam_mode(tmp_path: Path) -> None:
    site = tmp_path / "etc"
    site.mkdir()
    (site / "policy.toml").write_text("[hints]\nexam_mode = true\n")
    result = lab_tutor(site, "models", "recommend", "--json")
    assert result.returncode == 0 and "exam mode" in result.stderr and "estimating it" in result.stderr
    assert json.loads(result.stdout)["measured"] is None
