"""Calibrated arena verdicts on hand-computed numbers: the log-odds score, the position prior taken out, the
swap rule on the calibrated verdicts, the margin fit, and the raw and calibrated figures in ``judge_stats``."""

from __future__ import annotations

import math

import pytest

from tutor.arena.board import judge_stats
from tutor.arena.calibration import EPSILON, calibrate, decide, fit_margin, order_score, pair_decision


def test_order_score_is_the_log_odds_of_the_first_hint() -> None:
    assert order_score({"A": 0.5, "B": 0.25, "tie": 0.25}) == pytest.approx(math.log(2))
    assert order_score({"A": 0.5, "B": 0.0, "tie": 0.5}) == pytest.approx(math.log(0.5) - math.log(EPSILON))
    assert order_score(None) is None


def test_decide_takes_out_the_prior_then_applies_the_margin() -> None:
    assert decide(-1.0, -2.0, 0.5) == "A"  # -1 - (-2) = 1 > 0.5
    assert decide(-2.2, -2.0, 0.5) == "tie"
    assert decide(-3.0, -2.0, 0.5) == "B"


def _order(first: str, p_a: float) -> dict[str, object]:
    return {
        "first": first,
        "verdict": "B",
        "probabilities": {"A": p_a, "B": 1 - p_a, "tie": 0.0},
        "seconds": 1.0,
    }


def _record(x: str, y: str, p_first: float, p_second: float, item: str = "item") -> dict[str, object]:
    return {
        "item": item,
        "a": x,
        "b": y,
        "judge": "j",
        "decided_by": "judge",
        "winner": "tie",  # the raw verdicts (always B) disagree
        "outcome": 0.5,
        "orders": [_order(x, p_first), _order(y, p_second)],
    }


def test_calibrate_a_judge_that_always_answers_b() -> None:
    # scores: log(.2/.8) = -1.386, log(.05/.95) = -2.944, log(.1/.9) = -2.197 twice; prior = mean = -2.181
    records = [
        _record("x", "y", 0.2, 0.05),
        _record("u", "v", 0.1, 0.1),
        {"decided_by": "guard", "winner": "u"},
    ]
    done = calibrate(records, margin=0.5)
    first, second, guard = done
    assert first["calibration"]["prior"] == pytest.approx(-2.181, abs=1e-3)
    # x first: -1.386 + 2.181 = 0.795 > 0.5 -> A (x); y first: -2.944 + 2.181 = -0.763 -> B (x): x wins
    assert [o["calibrated"] for o in first["orders"]] == ["A", "B"]
    assert (first["winner"], first["outcome"], first["raw_winner"]) == ("x", 1.0, "tie")
    # both orders -2.197 + 2.181 = -0.016: inside the margin, tie
    assert [o["calibrated"] for o in second["orders"]] == ["tie", "tie"] and second["winner"] == "tie"
    assert guard == records[2]  # not a judge battle: unchanged
    stats = judge_stats(done)
    assert (stats["consistency"], stats["position_bias"]) == (0.0, -1.0)  # raw: always B
    assert stats["consistency_calibrated"] == 1.0 and stats["position_bias_calibrated"] == 0.0
    # a wider margin leaves the first battle undecided in both orders: a tie
    assert calibrate(records, margin=0.8)[0]["winner"] == "tie"


def test_the_prior_is_estimated_per_item() -> None:
    # on their own items: the first battle's prior is (-1.386 - 2.944) / 2 = -2.165, so its orders shift to
    # +0.779 and -0.779 (x wins in both); the second's is -2.197 and both its orders shift to 0 (a tie)
    records = [_record("x", "y", 0.2, 0.05, item="one"), _record("u", "v", 0.1, 0.1, item="two")]
    first, second = calibrate(records, margin=0.5)
    assert first["calibration"]["prior"] == pytest.approx(-2.165, abs=1e-3)
    assert second["calibration"]["prior"] == pytest.approx(-2.197, abs=1e-3)
    assert first["winner"] == "x" and second["winner"] == "tie"
    # a third battle on item "one" where y is preferred moves that item's prior and so the first battle's orders
    both = calibrate([*records, _record("x", "z", 0.05, 0.2, item="one")], margin=0.5)
    assert both[0]["calibration"]["prior"] == pytest.approx(
        -2.165, abs=1e-3
    )  # symmetric: the mean is unchanged
    assert both[2]["winner"] == "z"


def test_pair_decision_and_margin_fit() -> None:
    assert pair_decision(1.0, -1.0, 0.0, 0.5) == "x"
    assert pair_decision(1.0, 1.0, 0.0, 0.5) == "tie"  # the orders disagree: swap rule
    pairs = [(2.0, -2.0), (-2.0, 2.0), (0.3, -0.3), (0.2, 0.1)]
    labels = ["x", "y", "tie", "tie"]
    # |score| values 0.1, 0.2, 0.3, 2.0: any margin in [0.3, 2.0) is perfect; the smallest candidate is 1.15
    assert fit_margin(pairs, labels, 0.0) == pytest.approx(1.15)
    # (0.3, -0.3) is x only below 0.3; (0.2, -0.1) is a tie only from 0.1 on (then the orders disagree):
    # the smallest perfect candidate is the midpoint 0.15
    pairs[3] = (0.2, -0.1)
    assert fit_margin(pairs, ["x", "y", "x", "tie"], 0.0) == pytest.approx(0.15)
