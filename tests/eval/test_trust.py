"""What each judge can be trusted for: recorded from a judge check's result, found again by judge and version,
and said in one line next to the judge's numbers (measured, or plainly not measured)."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.bench.quality.report import table
from tutor.eval import trust
from tutor.eval.labels import make_label
from tutor.eval.sets import load_set

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}


def _quality_result(kappa: float) -> dict[str, object]:
    figure = {"n": 40, "accuracy": 0.7, "kappa": kappa, "confusion": {"yes/yes": 10}}
    frozen = {"n": 40, "thresholds": {}, **{name: dict(figure) for name in (*YES, "HGood")}}
    return {"kind": "quality", "judge": "judge-x", "judge_version": 5, "frozen": frozen}


def test_a_recorded_quality_judge_is_found_and_described(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    item = load_set("refactory")[0][0].key
    people = [make_label(item, "h", YES, "ann"), make_label(item, "h", dict(YES, HConceal=False), "bob")]
    entry = trust.quality_entry(_quality_result(0.21), Path("human-labels.test.jsonl"), people)
    trust.record("quality", entry, path)
    found = trust.find("quality", "judge-x", 5, path)
    assert found is not None and found["n"] == 40 and found["HGood"]["kappa"] == 0.21
    assert "people_kappa_hgood" in found  # the readers' own agreement is kept beside it
    line = trust.trust_line("quality", "judge-x", 5, path)
    assert "kappa 0.21" in line and "accuracy 70% on 40 hints" in line and "a rough screen only" in line
    assert trust.find("quality", "judge-x", 6, path) is None  # another judge version: not measured
    assert "unverified" in trust.trust_line("quality", "judge-x", 6, path)


def test_recording_again_replaces_the_same_judge_and_keeps_others(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    trust.record("quality", trust.quality_entry(_quality_result(0.1), Path("a.jsonl"), None), path)
    assert "no better than chance" in trust.trust_line("quality", "judge-x", 5, path)
    other = dict(trust.quality_entry(_quality_result(0.5), Path("a.jsonl"), None), judge="judge-y")
    trust.record("quality", other, path)
    trust.record("quality", trust.quality_entry(_quality_result(0.6), Path("a.jsonl"), None), path)
    entries = json.loads(path.read_text())["quality"]
    assert sorted((e["judge"], e["HGood"]["kappa"]) for e in entries) == [("judge-x", 0.6), ("judge-y", 0.5)]
    assert "usable as a stand-in" in trust.trust_line("quality", "judge-x", 5, path)


def test_a_broken_trust_file_means_not_measured(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text("{not json", encoding="utf-8")
    assert trust.read_trust(path) == {} and trust.find("arena", "j", 1, path) is None


def test_the_benchmark_table_says_how_far_its_judge_is_trusted() -> None:
    summary = {"systems": {}, "judge": "a-judge-nobody-measured", "set": "basics", "seed": 0}
    text = table(summary, {"systems": {}})
    assert "a-judge-nobody-measured" in text and "has not been measured against people" in text
