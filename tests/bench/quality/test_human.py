"""People first (issue 23): majority labels and inter-rater kappa on a hand-worked three-labeller example, and
HGood mixed from human labels and the judge, reported apart, on a hand-made example (core and command)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import venv_tutor
from tutor.bench.quality.report import table
from tutor.eval.human import human_section, human_table, inter_rater, majority
from tutor.eval.labels import (
    LabelSession,
    LabelStore,
    build_questions,
    load_lookup,
    make_label,
    read_run_rows,
)

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}


def three_labellers() -> list[dict[str, Any]]:
    """HCorrect of four hints by a, b, c (the other criteria always yes):
    h1 y y n, h2 n n y, h3 y y y, h4 n y n."""
    votes = {"h1": "yyn", "h2": "nny", "h3": "yyy", "h4": "nyn"}
    return [
        make_label("item", hint, dict(YES, HCorrect=said[index] == "y"), labeller)
        for hint, said in votes.items()
        for index, labeller in enumerate("abc")
    ]


def test_majority_and_inter_rater_kappa_by_hand() -> None:
    records = three_labellers()
    found = majority(records)
    good = {r["hint"]: found[("item", r["hint_sha256"])]["HGood"] for r in records}
    assert good == {"h1": True, "h2": False, "h3": True, "h4": False}
    assert all(f["n"] == 3 and f["ties"] == [] for f in found.values())
    agreement = inter_rater(records)
    kappas = {tuple(p["labellers"]): p["kappa"]["HCorrect"] for p in agreement["pairs"]}
    # a=[y,n,y,n] b=[y,n,y,y]: observed 3/4, chance .5*.75+.5*.25 = .5 -> 0.5
    # a, c=[n,y,y,n]: observed 2/4, chance .5 -> 0;  b, c: observed 1/4, chance .5 -> -0.5
    assert kappas == {("a", "b"): 0.5, ("a", "c"): 0.0, ("b", "c"): -0.5}
    assert agreement["mean_kappa"]["HCorrect"] == 0.0 and agreement["mean_kappa"]["HGood"] == 0.0
    assert agreement["mean_kappa"]["HConceal"] is None  # always yes: kappa undefined


def test_a_tie_is_no_and_counted() -> None:
    records = [make_label("item", "h", YES, "a"), make_label("item", "h", dict(YES, HCorrect=False), "b")]
    (found,) = majority(records).values()
    assert found["labels"]["HCorrect"] is False and found["ties"] == ["HCorrect"] and not found["HGood"]


def row(system: str, item: str, hint: str, judged: bool | None) -> dict[str, Any]:
    verdict = None if judged is None else dict({c: judged for c in YES}, HGood=judged)
    return {"system": system, "item": item, "hint": hint, **({"judge": verdict} if verdict else {})}


def test_human_where_labelled_judge_elsewhere_reported_apart() -> None:
    rows = [
        row("S1", "i1", "one", False),  # human: good
        row("S1", "i2", "two", True),  # human: not good
        row("S1", "i3", "three", True),  # judge only
        row("S1", "i4", "four", None),  # neither
        row("S2", "i5", "five", None),  # human: good
        row("S2", "i6", "six", None),  # human: good
    ]
    records = [
        make_label("i1", "one", YES, "ann"),
        make_label("i2", "two", dict(YES, HInformative=False), "ann"),
        make_label("i5", "five", YES, "ann"),
        make_label("i6", "six", YES, "ann"),
    ]
    section = human_section(rows, records, ["S1", "S2"])
    s1, s2 = section["systems"]["S1"], section["systems"]["S2"]
    assert (s1["n"], s1["n_human"], s1["n_judge"], s1["n_none"]) == (4, 2, 1, 1)
    assert s1["hgood_of_human_labelled"] == 0.5 and s1["hgood_of_judged_rest"] == 1.0
    assert s1["hgood_mixed"] == pytest.approx(0.667)  # (1 + 0 + 1) / 3: the unlabelled, unjudged one left out
    assert s1["hgood_human"] is None and s1["hgood_human_95"] is None  # not every hint labelled by people
    assert s2["hgood_human"] == 1.0 and s2["hgood_human_95"] == [1.0, 1.0] and s2["n_judge"] == 0
    agree = section["judge_agreement"]
    assert agree["n"] == 2 and agree["criteria"]["HGood"]["accuracy"] == 0.0
    assert (
        agree["criteria"]["HInformative"]["accuracy"] == 0.0
        and agree["criteria"]["HCorrect"]["accuracy"] == 0.5
    )
    text = "\n".join(human_table(section))
    assert "S1" in text and "- (not all)" in text and "1.00 [1.00, 1.00]" in text
    assert "judge against the people on 2 hints" in text and "HGood 0% / " in text
    summary = {"systems": {}, "judge": "j"}
    assert "HGood human-labelled" in table(summary, {"human": section})
    assert "judge's; people's labels are reported apart" in table(summary, {"human": section})


def test_bench_quality_with_labels_and_references(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = [
        "--systems",
        "analysis",
        "--set",
        "refactory",
        "--split",
        "test",
        "--limit",
        "2",
        "--out",
        str(out),
    ]
    first = run_quality(*base, "--json")
    assert first.returncode == 0, first.stderr
    assert "human" not in json.loads(first.stdout) and "references" not in json.loads(first.stdout)
    questions = build_questions(read_run_rows(out), load_lookup())
    assert len(questions) == 2
    session = LabelSession(questions, LabelStore(out, "ann"))
    session.answer(YES)
    session.answer(dict(YES, HCorrect=False))
    references = tmp_path / "refs.jsonl"
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    references.write_text(
        json.dumps({"item": rows[0]["item"], "hint": rows[0]["hint"], "explanation": ""}) + "\n"
    )
    again = run_quality(
        *base, "--from-cache", "--labels", str(out / "labels"), "--references", str(references), "--json"
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["systems"]["analysis"]["hgood"] is None  # the judge's column, never filled from people
    human = summary["human"]["analysis"]
    assert (human["n"], human["n_human"], human["n_judge"], human["hgood_human"]) == (2, 2, 0, 0.5)
    assert summary["references"]["analysis"] == {"n": 1, "rouge_l": 1.0, "bleu_corpus": 100.0}
    assert "HGood human (95% CI)" in (out / "report.html").read_text()


def run_quality(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*venv_tutor(), "bench", "quality", *args, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )
