"""A grading process killed mid-batch resumes from its cache; the command's errors and its --json summary."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tutor.grading.batch import CACHE_NAME

from ..conftest import ROOT
from .conftest import DATASETS, programs

TASKS = DATASETS / "refactory.tasks.jsonl"


def tutor(*args: str) -> list[str]:
    return [sys.executable, "-m", "ui.cli", *args]  # the `tutor` command


def environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def class_file(tmp_path: Path, count: int) -> Path:
    rows = [r for r in programs() if r["task"] == "refactory/q1"][:count]
    path = tmp_path / "class.jsonl"
    path.write_text("".join(json.dumps({"student": r["name"], "code": r["code"]}) + "\n" for r in rows))
    return path


def cached_rows(out: Path) -> int:
    path = out / CACHE_NAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM outcome").fetchone()[0])
    except sqlite3.Error:
        return 0


def grade_command(source: Path, out: Path) -> list[str]:
    return tutor(
        "grade",
        str(source),
        "--exercise",
        "refactory/q1",
        "--tasks",
        str(TASKS),
        "--no-model",
        "--workers",
        "1",
        "--out",
        str(out),
        "--json",
    )


def test_killed_batch_resumes_where_it_stopped(tmp_path: Path) -> None:
    source = class_file(tmp_path, 40)
    out = tmp_path / "out"
    process = subprocess.Popen(
        grade_command(source, out), env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while cached_rows(out) < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = cached_rows(out)
    assert 5 <= done_before < 40, "the batch was not killed mid-way"
    assert not (out / "grades.csv").exists()
    resumed = subprocess.run(
        grade_command(source, out), env=environment(), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["students"] == 40 and summary["cached"] == done_before
    fresh = subprocess.run(
        grade_command(source, tmp_path / "fresh"),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(fresh.stdout)["cached"] == 0
    assert (out / "grades.csv").read_text() == (tmp_path / "fresh" / "grades.csv").read_text()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    cases = [
        (["grade", str(tmp_path / "missing"), "--exercise", "grade_letter", "--no-model"], "does not exist"),
        (["grade", str(tmp_path), "--exercise", "nope", "--no-model"], "no exercise with id 'nope'"),
        (
            [
                "grade",
                str(tmp_path),
                "--exercise",
                "grade_letter",
                "--no-model",
                "--rubric",
                str(tmp_path / "r.toml"),
            ],
            "cannot read the rubric",
        ),
    ]
    for args, words in cases:
        result = subprocess.run(tutor(*args), env=environment(), capture_output=True, text=True, timeout=60)
        assert (
            result.returncode == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1
        )
    policy = tmp_path / "policy.toml"
    policy.write_text("[hints]\nexam_mode = true\n")
    result = subprocess.run(
        tutor("grade", str(tmp_path), "--exercise", "grade_letter", "--no-model"),
        env=dict(environment(), TUTOR_POLICY=str(policy)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "grading.allowed" in result.stderr
