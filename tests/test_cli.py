"""The ``tutor`` command as a user runs it: JSON shapes, errors without tracebacks, and the loop offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tutor.exercises import load_bundled

from .conftest import DATASETS, venv_tutor

PACK = load_bundled()


def tutor(
    *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *venv_tutor(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    path = tmp_path / "solution.py"
    path.write_text(PACK.find("grade_letter").starter)
    return path


def test_exercises_lists_the_pack_and_dataset_tasks() -> None:
    result = tutor("exercises", "--json", "--tasks", str(DATASETS / "quixbugs.tasks.jsonl"))
    data = json.loads(result.stdout)
    ids = {e["id"] for e in data["exercises"]}
    assert {"grade_letter", "quixbugs/gcd"} <= ids and data["errors"] == []


def test_check_json_shape(starter: Path) -> None:
    result = tutor("check", str(starter), "--exercise", "grade_letter", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False and isinstance(data["duration_s"], float)
    assert set(data["tests"][0]) == {
        "call",
        "status",
        "expected",
        "got",
        "message",
        "line",
        "output",
        "hidden",
    }
    assert [t["status"] for t in data["tests"]][:2] == ["pass", "fail"]


def test_check_passes_with_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.py"
    path.write_text(PACK.find("grade_letter").solution)
    result = tutor("check", str(path), "-e", "grade_letter")
    count = len(PACK.find("grade_letter").tests)  # type: ignore[union-attr]
    assert result.returncode == 0 and f"{count}/{count} tests pass" in result.stdout


def test_check_shows_hidden_tests_without_content_and_what_each_test_printed(tmp_path: Path) -> None:
    task = {
        "id": "inc",
        "entry": "inc",
        "tests": [
            {"call": "inc(1)", "expected": "2"},
            {"call": "inc(98765432)", "expected": "98765433", "hidden": True},
            {"stdin": "5\n", "stdout": "6\n"},
        ],
    }
    (tmp_path / "t.jsonl").write_text(json.dumps(task) + "\n")
    path = tmp_path / "inc.py"
    path.write_text("def inc(n):\n    print('got', n)\n    return n + 1 if n < 100 else n\n")
    result = tutor("check", str(path), "-e", "inc", "--tasks", str(tmp_path / "t.jsonl"))
    assert result.returncode == 1 and "98765432" not in result.stdout, result.stdout
    assert "PASS     inc(1)\n         | got 1\n" in result.stdout
    assert "FAIL     hidden test 2\n         A hidden test fails" in result.stdout
    assert "FAIL     program, input '5'" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.py", "-e", "grade_letter"], "cannot read missing.py"),
        (["check", "{file}", "-e", "no_such_exercise"], "no exercise with id"),
        (["check", "{binary}", "-e", "grade_letter"], "is not UTF-8 text"),
        (["check", "{file}", "-e", "x", "--tasks", "nope.jsonl"], "task file not found"),
        (["hint", "{file}", "-e", "grade_letter", "--model", "{binary}"], "corrupt or incomplete"),
    ],
)
def test_errors_are_one_line_without_traceback(
    tmp_path: Path, starter: Path, args: list[str], message: str
) -> None:
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"x = '\xff\xfe'\n")
    result = tutor(*[a.format(file=starter, binary=binary) for a in args])
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_hint_json_shape(starter: Path) -> None:
    result = tutor("hint", str(starter), "--exercise", "grade_letter", "--repairs", "1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"status", "hint", "explanation", "repair_passed", "engine", "timings", "tokens"} <= set(data)
    assert data["status"] == "hint" and data["engine"]["name"] == "native" and data["repair_passed"] is True
    assert "Traceback" not in result.stderr


def test_doctor_reports_the_machine() -> None:
    data = json.loads(tutor("doctor", "--json").stdout)
    assert data["llama_cpp"]["available"] is True
    assert data["model_threads"] >= 1 and "total" in data["ram_gib"]
    assert set(data["folders"]) >= {"data", "models", "config"}


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _unshare_works(), reason="unshare -n is not available to this user")
def test_learner_loop_works_with_networking_cut_off(starter: Path) -> None:
    offline = ("unshare", "-n")
    probe = subprocess.run(
        [*offline, "python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0, "the namespace still has a network"
    check = tutor("check", str(starter), "-e", "grade_letter", "--json", prefix=offline)
    assert check.returncode == 1 and json.loads(check.stdout)["tests"]
    hint = tutor(
        "hint",
        str(starter),
        "-e",
        "grade_letter",
        "--repairs",
        "1",
        "--json",
        prefix=offline,
        env={"HF_HUB_OFFLINE": "0"},
    )
    assert hint.returncode == 0, hint.stderr
    assert json.loads(hint.stdout)["status"] == "hint"


def test_speed_suites_take_their_own_options(tmp_path: Path) -> None:
    """``tutor bench repairs --programs 8`` reaches the suite's parser (argparse's REMAINDER alone refused it)."""
    missing = tmp_path / "no-datasets"
    result = tutor("bench", "repairs", "--programs", "1", "--rounds", "1", "--datasets", str(missing))
    assert result.returncode == 2 and f"no datasets folder at {missing}" in result.stderr
    result = tutor("bench", "repairs", "--no-such-option")
    assert result.returncode == 2 and "unrecognized arguments: --no-such-option" in result.stderr
    result = tutor("bench", "quality", "--systems", "analysis", "--set", "basics", "--no-such-option")
    assert result.returncode == 2 and "unrecognized arguments: --no-such-option" in result.stderr
