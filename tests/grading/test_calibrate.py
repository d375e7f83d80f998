"""Calibration figures on a reference file small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tutor.grading.calibrate import bleu, calibrate, quadratic_weighted_kappa, rouge_l
from tutor.grading.rubric import ItemResult
from tutor.grading.score import Grade, TestScore


def graded(student: str, points: float, feedback: str, judged: bool | None = None) -> Grade:
    tests = [TestScore(1, "t", points, 10.0, "pass" if points == 10 else "fail", "", False)]
    items = [] if judged is None else [ItemResult("names", "judge", "q", 0.0, 0.0, judged)]
    return Grade(student, "ok", "", tests, items, feedback=feedback)


def test_calibration_numbers_worked_out_by_hand() -> None:
    grades = [
        graded("a", 10, "the loop stops too early", True),
        graded("b", 5, "check the base case first", False),
        graded("c", 0, "", True),
    ]
    reference = [
        {"student": "a", "percent": "90", "feedback": "the loop stops one step too early", "names": "yes"},
        {"student": "b", "percent": "50", "feedback": "check the base case first", "names": "yes"},
        {"student": "c", "percent": "20", "feedback": "", "names": "yes"},
        {"student": "zed", "percent": "70", "feedback": "", "names": "no"},
    ]
    result = calibrate(grades, reference)
    # ours 100, 50, 0 against 90, 50, 20: errors 10, 0, 20
    assert result["students"] == 3 and result["unmatched"] == ["zed"]
    assert result["mae_percent"] == pytest.approx(10.0)  # (10 + 0 + 20) / 3
    assert result["rmse_percent"] == pytest.approx(math.sqrt(500 / 3), abs=1e-4)  # sqrt((100 + 0 + 400) / 3)
    # bands (percent / 10, rounded): ours 10, 5, 0; theirs 9, 5, 2. Weights (i-j)^2/100.
    # observed: sum W*O = (1 + 0 + 4) / 100 = 0.05.
    # expected E_ij = hist_ours[i] * hist_theirs[j] / 3 over i in {0,5,10}, j in {2,5,9}:
    #   sum of (i-j)^2 = (4+25+81) + (9+0+16) + (64+25+1) = 110 + 25 + 90 = 225 -> 225 / 3 / 100 = 0.75
    # kappa = 1 - 0.05 / 0.75 = 0.93333
    assert result["qwk"] == pytest.approx(1 - 0.05 / 0.75, abs=1e-4)
    # ROUGE-L: a) LCS 5 of hyp 5, ref 7: P 1, R 5/7, F1 = 10/12; b) identical: 1. c) has no reference feedback.
    assert result["feedback_pairs"] == 2
    assert result["rouge_l"] == pytest.approx((10 / 12 + 1) / 2, abs=1e-4)
    # BLEU-4, corpus: 1-grams 10/10; 2-grams a) 3 of 4 (the loop, loop stops, too early) + b) 4/4 = 7/8;
    # 3-grams a) 1 of 3 + b) 3/3 = 4/6; 4-grams a) 0 of 2 + b) 2/2 = 2/4; lengths 10 against 12:
    # BP = exp(1 - 12/10); BLEU = BP * (1 * 7/8 * 4/6 * 2/4) ** (1/4) = 0.60168
    assert result["bleu"] == pytest.approx(math.exp(-0.2) * (7 / 8 * 4 / 6 * 2 / 4) ** 0.25, abs=1e-4)
    # the judged item: the model said yes, no, yes; the teacher yes, yes, yes -> 2 of 3 agree
    assert result["judged_items"] == {"names": {"students": 3, "agreement": pytest.approx(0.6667, abs=1e-4)}}


def test_metric_edges() -> None:
    assert rouge_l("", "anything") == 0.0 and rouge_l("same words", "same words") == 1.0
    assert bleu(["one two three four"], ["one two three four"]) == pytest.approx(1.0)
    assert bleu(["a b"], ["c d"]) == 0.0
    bands = np.array([3, 3, 3])
    assert quadratic_weighted_kappa(bands, bands, 11) == 1.0
    assert quadratic_weighted_kappa(np.array([0, 10]), np.array([10, 0]), 11) == pytest.approx(-1.0)
