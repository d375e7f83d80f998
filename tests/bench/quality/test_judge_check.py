"""``python -m tutor.bench.quality.judge_check`` end to end with the real default model as the judge (slow): a
tiny quality label file and a tiny pairwise file, figures in range, and a second run served from ``--scores``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.bench.quality.judge import CRITERIA
from tutor.bench.quality.judge_check import main
from tutor.eval.sets import eval_dir

pytestmark = pytest.mark.slow


def _first(name: str, count: int) -> str:
    lines = (eval_dir() / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[:count]) + "\n"


def test_quality_check_with_the_default_model(
    default_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(_first("judge-labels.dev.jsonl", 2), encoding="utf-8")
    scores = tmp_path / "scores.jsonl"
    trust_file = tmp_path / "trust.json"
    args = [str(labels), "--judge", "default", "--threads", "1", "--scores", str(scores), "--json", "--fit"]
    assert main([*args, "--record", str(trust_file)]) == 0
    result = json.loads(capsys.readouterr().out)
    # the figures are kept for the reports that show this judge's numbers (tutor.eval.trust)
    (entry,) = json.loads(trust_file.read_text())["quality"]
    assert entry["judge"] == "default" and entry["n"] == 2
    assert entry["HGood"]["accuracy"] == result["frozen"]["HGood"]["accuracy"]
    assert result["kind"] == "quality" and result["judge"] == "default"
    for report in (result["frozen"], result["fitted_in_sample"]):
        assert report["n"] == 2
        for name in (*CRITERIA, "HGood"):
            assert 0.0 <= report[name]["accuracy"] <= 1.0 and sum(report[name]["confusion"].values()) == 2
    assert all(0.0 <= p <= 1.0 for row in result["rows"] for p in row["p_yes"].values())
    assert len(scores.read_text().splitlines()) == 2
    assert main(args) == 0  # the second run asks the model nothing: the same figures from the scores file
    assert json.loads(capsys.readouterr().out)["rows"] == result["rows"]


def test_arena_check_with_the_default_model(
    default_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tutor.arena.check import main  # the arena's labels are checked by the arena (bench never imports it)

    labels = tmp_path / "pairs.jsonl"
    labels.write_text(_first("arena-labels.dev.jsonl", 2), encoding="utf-8")
    assert main([str(labels), "--judge", str(default_model), "--threads", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["kind"] == "arena" and result["n"] == 2
    for kind in ("raw", "calibrated"):
        assert 0.0 <= result[kind]["consistency"] <= 1.0 and -1.0 <= result[kind]["position_bias"] <= 1.0
        assert sum(result[kind]["decisions"].values()) == 2
    assert result["seconds_per_battle"] > 0 and result["prompt_tokens_reused_share"] > 0
