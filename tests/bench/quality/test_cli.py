"""`tutor bench quality` end to end: the summary shape, the outputs, resuming from the cache, one-line errors,
and a small run with the real default model (judged by it) with networking cut off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import venv_tutor

SUMMARY_KEYS = [
    "n",
    "rpass",
    "redit",
    "localization",
    "conceal",
    "model_share",
    "hgood",
    "time_p50_s",
    "time_p90_s",
]


def tutor(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *venv_tutor(), "bench", "quality", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


def test_analysis_run_outputs_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = tutor(
        "--systems", "analysis", "--set", "all", "--limit", "1", "--seed", "4", "--out", str(out), "--json"
    )
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["set"] == "all" and summary["seed"] == 4 and summary["judge"] is None
    assert list(summary["systems"]["analysis"]) == SUMMARY_KEYS
    assert summary["systems"]["analysis"]["n"] == 4 and summary["systems"]["analysis"]["model_share"] == 0.0
    assert json.loads((out / "summary.json").read_text()) == summary
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert {r["set"] for r in rows} == {"basics", "quixbugs", "refactory", "course"}
    assert all(r["engine_peak_rss_mb"] is None for r in rows)  # analysis loads no model
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 2
    cached = (out / "cache.jsonl").read_text()
    again = tutor(
        "--systems", "analysis", "--set", "all", "--limit", "1", "--seed", "4", "--out", str(out), "--json"
    )
    assert again.returncode == 0 and json.loads(again.stdout) == summary
    assert (out / "cache.jsonl").read_text() == cached  # everything came from the cache
    # a stopped run is reported from its cache alone: nothing is generated, missing cells have n = 0
    partial = tutor(
        "--systems",
        "analysis,default",
        "--set",
        "all",
        "--limit",
        "1",
        "--seed",
        "4",
        "--out",
        str(out),
        "--json",
        "--from-cache",
    )
    assert partial.returncode == 0, partial.stderr
    systems = json.loads(partial.stdout)["systems"]
    assert systems["analysis"] == summary["systems"]["analysis"] and systems["default"]["n"] == 0
    assert (out / "cache.jsonl").read_text() == cached


def test_split_keeps_only_that_splits_tasks(tmp_path: Path) -> None:
    from tutor.eval.splits import split_of

    done = tutor(
        "--systems", "analysis", "--set", "all", "--split", "test", "--limit", "3", "--out", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and {split_of(r["task"]) for r in rows} == {"test"}
    assert json.loads((tmp_path / "summary.json").read_text())["set"] == "all:test"


def test_items_file_with_its_tasks(tmp_path: Path) -> None:
    tasks = tmp_path / "t.tasks.jsonl"
    tasks.write_text(
        json.dumps(
            {
                "id": "mine/double",
                "title": "Double",
                "description": "Return twice n.",
                "entry": "double",
                "tests": [{"call": "double(2)", "expected": "4"}],
            }
        )
        + "\n"
    )
    items = tmp_path / "mine.items.jsonl"
    items.write_text(
        json.dumps(
            {
                "task": "mine/double",
                "name": "plus",
                "code": "def double(n):\n    return n + 2\n",
                "fix": "def double(n):\n    return n * 2\n",
            }
        )
        + "\n"
    )
    result = tutor(
        "--systems", "analysis", "--items", str(items), "--tasks", str(tasks), "--out", str(tmp_path / "o")
    )
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "o" / "rows.jsonl").read_text())
    assert row["fix_lines"] == [2] and row["conceal"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["--systems", "gpt-4o", "--set", "basics"], "unknown system"),
        (["--systems", "analysis", "--set", "nope"], "unknown set"),
        (["--systems", "analysis", "--items", "/no/such.jsonl"], "items file not found"),
        (["--systems", "analysis", "--set", "basics", "--limit", "0"], "--limit"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = tutor(*args, "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def _offline_prefix() -> tuple[str, ...]:
    if (
        not shutil.which("unshare")
        or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode
    ):
        pytest.skip("unshare -n is not available to this user")
    return ("unshare", "-n")


@pytest.mark.slow
@pytest.mark.timeout(1800)  # minutes on an idle machine; much longer on a shared 2-core one
def test_small_run_with_the_default_model_offline(tmp_path: Path, default_model: Path) -> None:
    offline = _offline_prefix()
    probe = subprocess.run(
        [*offline, "python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
        capture_output=True,
    )
    assert probe.returncode != 0, "the namespace still has a network"
    out = tmp_path / "run"
    # k=0: no model repair candidates (one-token repairs only), so the run stays short: 2 model hints, 2 verdicts
    result = tutor(
        "--systems",
        "default,k=0",
        "--set",
        "basics",
        "--limit",
        "2",
        "--judge",
        "default",
        "--threads",
        "1",
        "--out",
        str(out),
        "--json",
        prefix=offline,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["judge"] == "default"
    model = summary["systems"]["default,k=0"]
    assert model["n"] == 2 and model["hgood"] is not None and model["time_p50_s"] > 0
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert all(
        set(r["judge"]) >= {"HCorrect", "HInformative", "HConceal", "HComprehensible", "HGood"} for r in rows
    )
    assert all(r["judge"]["raw"].count("\n") == 3 for r in rows if r["hint"])  # the grammar's four lines
    model_mb = default_model.stat().st_size / 2**20
    assert all(r["engine_peak_rss_mb"] > model_mb for r in rows)  # the engine process holds the model
    details = json.loads((out / "details.json").read_text())
    assert (
        details["warnings"] and "same family" in details["warnings"][0]
    )  # the judge is a Gemma like `default`
    assert details["systems"]["default,k=0"]["cost_per_1000_hints"]["local"]["kwh_per_1000"] > 0
