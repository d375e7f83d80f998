"""The quality judge's decision logic on hand-computed numbers (P(yes) from log-probabilities, thresholds,
accuracy and Cohen's kappa, the threshold fit), and the committed label files: they parse, their items exist,
and dev labels hold only dev-split items, test labels only test-split items."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tutor.arena.judge import fix_changes
from tutor.bench.quality.judge import CRITERIA, THRESHOLDS, Verdict, decide
from tutor.bench.quality.judge_check import main
from tutor.errors import UsageError as CheckError
from tutor.eval.agreement import agreement, fit_threshold
from tutor.eval.answers import yes_share as yes_probability
from tutor.eval.judge_labels import lookup, read_labels
from tutor.eval.sets import eval_dir
from tutor.eval.splits import split_of


def test_yes_probability_sums_the_pieces_of_each_answer() -> None:
    step = {"yes": math.log(0.6), " Yes": math.log(0.1), "no": math.log(0.2), "maybe": math.log(0.1)}
    assert yes_probability(step) == pytest.approx(0.7 / 0.9)
    assert yes_probability({"N": math.log(0.3), "y": math.log(0.1)}) == pytest.approx(0.25)
    assert yes_probability({"maybe": -0.1}) is None
    # "no" is not among the top pieces: it gets the smallest listed probability, 0.1, as its bound
    assert yes_probability({"yes": math.log(0.5), "maybe": math.log(0.1)}) == pytest.approx(0.5 / 0.6)


def test_thresholds_decide_each_criterion() -> None:
    probabilities = {"HCorrect": 0.7, "HInformative": 0.3, "HConceal": 0.9, "HComprehensible": 0.5}
    limits = {"HCorrect": 0.6, "HInformative": 0.3, "HConceal": 0.95, "HComprehensible": 0.5}
    assert decide(probabilities, limits) == {
        "HCorrect": True,
        "HInformative": True,  # at the threshold counts as met
        "HConceal": False,
        "HComprehensible": True,
    }
    assert set(THRESHOLDS) == set(CRITERIA) and all(0.0 <= t <= 1.0 for t in THRESHOLDS.values())
    verdict = Verdict(decide(probabilities, limits), "raw", probabilities)
    assert verdict.good is False and verdict.to_json()["p_yes"]["HCorrect"] == 0.7


def test_fix_changes_in_the_students_line_numbers() -> None:
    code = "def f(xs):\n    total = 0\n    for x in xs:\n        total = x\n\n    return total\n"
    fix = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
    assert (
        fix_changes(code, fix) == "- line 4: total = x  ->  total += x"
    )  # the dropped blank line is no change
    added = "def f(xs):\n    if not xs:\n        return 0\n    total = 0\n"
    assert fix_changes("def f(xs):\n    total = 0\n", added) == (
        "- after line 1, add: if not xs:\n- after line 1, add: return 0"
    )
    rewrite = "def f(xs):\n" + "".join(f"    a{n} = {n}\n" for n in range(8))
    assert fix_changes("def f(xs):\n    pass\n", rewrite).startswith(
        "the fix rewrites the program:\ndef f(xs):"
    )


def test_accuracy_and_kappa_by_hand() -> None:
    # judge yes yes no no, labels yes no no no: observed 3/4; chance 1/2 * 1/4 + 1/2 * 3/4 = 1/2; kappa 0.5
    found = agreement([True, True, False, False], [True, False, False, False])
    assert found.accuracy == 0.75 and found.kappa == pytest.approx(0.5)
    assert found.confusion == {"no/no": 2, "yes/no": 1, "yes/yes": 1}
    assert agreement([True, True], [True, True]).kappa is None  # one label throughout: undefined


def test_threshold_fit_by_hand() -> None:
    # any cut in (0.4, 0.7] separates perfectly: 0.5 is a candidate and nearest 0.5
    assert fit_threshold([0.9, 0.7, 0.4, 0.2], [True, True, False, False]) == 0.5
    # only a cut in (0.85, 0.9] separates: the midpoint 0.875
    assert fit_threshold([0.95, 0.9, 0.85, 0.3], [True, True, False, False]) == pytest.approx(0.875)
    # all labels yes: "always yes" (0.0) is as accurate as any cut below 0.3; 0.0 and 0.1 tie, 0.1 is nearer 0.5
    assert fit_threshold([0.2, 0.3], [True, True]) <= 0.2


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_committed_label_files_parse_and_keep_to_their_split(split: str) -> None:
    for name, kind in (("judge-labels", "quality"), ("arena-labels", "arena")):
        path = eval_dir() / f"{name}.{split}.jsonl"
        if split == "test" and not path.exists():
            pytest.skip("no test labels yet")
        found, rows = read_labels(path)
        assert found == kind and len(rows) >= 10
        items, _ = lookup(rows)  # every item exists in the bundled sets with the same code
        assert {split_of(items[r["item"]].task) for r in rows} == {split}
        if kind == "quality":
            assert all(r["HGood"] == all(r["labels"].values()) and r["reason"] for r in rows)
        else:
            assert all(r["hint_a"] != r["hint_b"] for r in rows)


def test_bad_label_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"item": "x", "hint": "h", "labels": {"HCorrect": True}}) + "\n")
    with pytest.raises(CheckError, match="labels must be exactly"):
        read_labels(bad)
    bad.write_text(json.dumps({"item": "x", "hint_a": "h", "hint_b": "g", "preference": "C"}) + "\n")
    assert main([str(bad)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "judge_check: error: " + str(bad) + ": line 1: preference must be A, B or tie"
    )
    bad.write_text(json.dumps({"item": "nope#0", "hint_a": "h", "hint_b": "g", "preference": "A"}) + "\n")
    assert main([str(bad)]) == 2
    assert "unknown item nope#0" in capsys.readouterr().err
