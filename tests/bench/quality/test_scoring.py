"""The automatic scores on hand-checked items, the bootstrap, and the summary's exact shape."""

from __future__ import annotations

from tutor.bench.quality.report import summarize
from tutor.eval.scoring import conceals, fix_lines, hint_line, localized, repair_scores, score
from tutor.eval.stats import mean_interval as bootstrap
from tutor.exercises import load_bundled

PACK = load_bundled()
SUM = PACK.find("sum_of_evens")
FIXED = SUM.solution.strip("\n") + "\n"
BUGGY = FIXED.replace("n % 2 == 0", "n % 2 == 1")  # the bug sits on line 4
MISSING = FIXED.replace("    for n in numbers:\n        if n % 2 == 0:\n            total += n\n", "")


def test_fix_lines_are_the_lines_the_reference_changes() -> None:
    assert fix_lines(BUGGY, FIXED) == [4]
    assert fix_lines(FIXED.replace("total += n", "total += 1"), FIXED) == [5]
    assert fix_lines(FIXED, FIXED) == []
    # a deletion in the buggy program (the fix adds the loop back) counts at the line next to it
    assert fix_lines(MISSING, FIXED) == [3]


def test_hint_line_prefers_the_text_then_the_pipeline_pointer() -> None:
    assert hint_line("Look at the comparison on line 4: which numbers are even?", 2) == 4
    assert hint_line("Which numbers does your test let through?", 2) == 2
    assert hint_line("Work through it line by line.", None) is None


def test_localization_hand_checked() -> None:
    assert localized("Look at the comparison on line 4.", None, BUGGY, FIXED)
    assert not localized("Look at line 2: does total start at the right value?", 4, BUGGY, FIXED)
    assert localized("Which numbers should count?", 4, BUGGY, FIXED)
    assert not localized("Which numbers should count?", None, BUGGY, FIXED)


def test_conceal_hand_checked() -> None:
    assert conceals(
        "Look at the comparison on line 4: which remainder does an even number leave?", BUGGY, FIXED
    )
    assert not conceals("Change it to `n % 2 == 0` and it works.", BUGGY, FIXED)
    assert not conceals("The line should read: if n % 2 == 0:", BUGGY, FIXED)


def test_repair_scores_run_every_test() -> None:
    assert repair_scores(SUM, BUGGY, FIXED) == (True, 1)
    # passes the first failing test ([1, 2, 3, 4] -> 6) but not the negative one: RPass must be False
    partial = BUGGY.replace("n % 2 == 1", "n % 2 == 0 and n > 0")
    rpass, redit = repair_scores(SUM, BUGGY, partial)
    assert rpass is False and redit == 5
    assert repair_scores(SUM, BUGGY, None) == (False, None)


def test_score_row_for_a_model_hint() -> None:
    hint = {
        "hint": "Check the comparison on line 4: which remainder means even?",
        "line": 4,
        "source": "model",
    }
    row = score(SUM, BUGGY, FIXED, hint, FIXED)
    assert row == {
        "rpass": True,
        "redit": 1,
        "hint_line": 4,
        "fix_lines": [4],
        "localization": True,
        "conceal": True,
        "model_share": True,
    }


def test_bootstrap_interval() -> None:
    mean, low, high = bootstrap([1.0] * 10)
    assert (mean, low, high) == (1.0, 1.0, 1.0)
    mean, low, high = bootstrap([1.0, 0.0] * 20)
    assert mean == 0.5 and 0.3 < low < 0.5 < high < 0.7
    assert bootstrap([]) == (None, None, None)


def test_summary_has_exactly_the_issue_shape() -> None:
    rows = [
        {
            "system": "analysis",
            "rpass": True,
            "redit": 1,
            "localization": True,
            "conceal": True,
            "model_share": False,
            "time_total_s": t,
        }
        for t in (1.0, 2.0, 3.0)
    ]
    summary = summarize(rows, ["analysis", "default"], None, "basics", 3)
    assert set(summary) == {"systems", "judge", "set", "seed"}
    assert list(summary["systems"]["analysis"]) == [
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
    assert (
        summary["systems"]["analysis"]["time_p50_s"] == 2.0
        and summary["systems"]["analysis"]["hgood"] is None
    )
    assert summary["systems"]["default"]["n"] == 0
