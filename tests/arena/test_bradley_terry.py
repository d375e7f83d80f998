"""Bradley-Terry fit, bootstrap, shared ranks and Cohen's kappa against hand-computed examples."""

from __future__ import annotations

import math

import pytest

from tutor.arena.bradley_terry import Battle, Interval, bootstrap, fit, shared_ranks
from tutor.eval.stats import cohen_kappa


def three_player_battles() -> list[Battle]:
    """Hand-computed example. Take strengths pi = (4, 2, 1) for (A, B, C). Under Bradley-Terry
    P(A>B) = 4/6 = 2/3, P(B>C) = 2/3, P(A>C) = 4/5. Choose data whose observed points (a tie = half a win)
    match these exactly:
      A-B: 3 battles, A wins 1, 2 ties      -> A scores 1 + 2*0.5 = 2 of 3 = 2/3
      B-C: 3 battles, B wins 2, C wins 1    -> B scores 2 of 3 = 2/3
      A-C: 5 battles, A wins 4, C wins 1    -> A scores 4 of 5 = 4/5
    The likelihood is concave and its score equations (observed points = expected points, per system) hold at
    these strengths, so they are the MLE: log-strengths (ln 4, ln 2, 0), centred on their mean ln 2, give
    s = (ln 2, 0, -ln 2) = (0.6931, 0, -0.6931)."""
    return (
        [Battle("A", "B", 1.0)]
        + [Battle("A", "B", 0.5)] * 2
        + [Battle("B", "C", 1.0)] * 2
        + [Battle("C", "B", 1.0)]
        + [Battle("A", "C", 1.0)] * 4
        + [Battle("A", "C", 0.0)]
    )


def test_fit_matches_the_hand_computed_mle() -> None:
    result = fit(three_player_battles(), ridge=0.0)
    scores = dict(zip(result.systems, result.scores, strict=True))
    assert scores["A"] == pytest.approx(math.log(2), abs=1e-6)
    assert scores["B"] == pytest.approx(0.0, abs=1e-6)
    assert scores["C"] == pytest.approx(-math.log(2), abs=1e-6)


def test_default_weak_prior_barely_moves_the_mle_and_keeps_a_perfect_record_finite() -> None:
    scores = fit(three_player_battles()).scores
    assert scores == pytest.approx([math.log(2), 0.0, -math.log(2)], abs=2e-3)
    perfect = fit([Battle("X", "Y", 1.0)] * 5)
    assert 3 < perfect.scores[0] - perfect.scores[1] < 30


def test_length_control_takes_the_credit_from_length() -> None:
    # The longer hint wins 3 of 4 battles whichever system wrote it, and L writes the longer hint more often:
    #   L 20 words longer in 8 battles: L wins 6;  S 20 words longer in 4 battles: S wins 3;  4 equal-length ties.
    # With the covariate (d = +-2 units of 10 words) the MLE is s_L = s_S and sigmoid(2g) = 3/4, g = ln(3)/2:
    # the score equations hold there (L: observed 6 + 1 + 2 = 9 points, expected 8*3/4 + 4*1/4 + 4/2 = 9; length:
    # 2*(6 - 6) - 2*(1 - 1) = 0). Without it L gets the credit for being wordy (9 of 16 points).
    battles = (
        [Battle("L", "S", 1.0, 30, 10)] * 6
        + [Battle("L", "S", 0.0, 30, 10)] * 2
        + [Battle("S", "L", 1.0, 30, 10)] * 3
        + [Battle("S", "L", 0.0, 30, 10)]
        + [Battle("L", "S", 0.5, 10, 10)] * 4
    )
    plain = fit(battles, ridge=0.0)
    controlled = fit(battles, length_control=True, ridge=0.0)
    assert plain.systems == ["L", "S"]
    assert plain.scores[0] - plain.scores[1] == pytest.approx(math.log(9 / 7), abs=1e-6)
    assert controlled.scores[0] - controlled.scores[1] == pytest.approx(0.0, abs=1e-6)
    assert controlled.length_coef == pytest.approx(math.log(3) / 2, abs=1e-6)


def test_bootstrap_is_seeded_covers_the_estimate_and_narrows_with_more_data() -> None:
    battles = three_player_battles()
    systems = ["A", "B", "C"]
    first = bootstrap(battles, systems, rounds=1000, seed=3)
    assert first == bootstrap(battles, systems, rounds=1000, seed=3)
    assert first != bootstrap(battles, systems, rounds=1000, seed=4)
    estimate = fit(battles).scores
    for name, value in zip(systems, estimate, strict=True):
        assert first[name].low <= value <= first[name].high
    bigger = bootstrap(battles * 16, systems, rounds=1000, seed=3)
    width = first["B"].high - first["B"].low
    assert bigger["B"].high - bigger["B"].low < width / 2.5  # about 1/sqrt(16) of it


def test_ranks_are_shared_when_intervals_overlap() -> None:
    intervals = {"a": Interval(1.0, 2.0), "b": Interval(0.5, 1.5), "c": Interval(-2.0, -1.0)}
    scores = {"a": 1.5, "b": 1.0, "c": -1.5}
    assert shared_ranks(scores, intervals) == {"a": 1, "b": 1, "c": 3}


def test_cohen_kappa_by_hand() -> None:
    # 10 pairs: agree on 7. Rater 1: x 5, y 5; rater 2: x 4, y 6.
    # p_o = 0.7, p_e = 0.5*0.4 + 0.5*0.6 = 0.5, kappa = (0.7 - 0.5) / 0.5 = 0.4
    first = ["x"] * 5 + ["y"] * 5
    second = ["x", "x", "x", "y", "y"] + ["y", "y", "y", "y", "x"]
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None
