"""The one copy of each shared piece of the evaluation layer, on hand-worked examples: Cohen's kappa, the seeded
bootstrap, the token Levenshtein distance, a judge's answer probabilities, the one Item type and the
failing-test record."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tutor.eval.answers import answer_probabilities, yes_share
from tutor.eval.items import Item, Pair
from tutor.eval.stats import bootstrap_indices, cohen_kappa, mean_interval, percentile_interval, rounded
from tutor.feedback.tokens import edit_distance, sequence_distance
from tutor.runner.report import TestResult


def test_cohen_kappa_by_hand() -> None:
    # observed 3/4; chance: a 0.5 * 0.25 + b 0.5 * 0.75 = 0.5; kappa = (0.75 - 0.5) / (1 - 0.5)
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(0.5)
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None  # chance agreement is 1: undefined
    assert cohen_kappa([], []) is None


def test_the_bootstrap_draws_the_same_indices_at_once_as_round_by_round() -> None:
    rng = np.random.default_rng(3)
    one_by_one = np.stack([rng.integers(0, 7, 7) for _ in range(20)])
    assert np.array_equal(bootstrap_indices(7, 20, seed=3), one_by_one)


def test_mean_interval_by_hand() -> None:
    assert mean_interval([]) == (None, None, None)
    assert mean_interval([1.0] * 5) == (1.0, 1.0, 1.0)
    mean, low, high = mean_interval([0.0, 1.0] * 10, seed=1)
    assert mean == 0.5 and low is not None and high is not None and 0.2 < low < 0.5 < high < 0.8
    low_row, high_row = percentile_interval(np.arange(101, dtype=float)[:, None])
    assert (low_row[0], high_row[0]) == (2.5, 97.5)
    assert rounded(0.12345) == 0.123 and rounded(None) is None


def test_token_levenshtein_by_hand() -> None:
    assert sequence_distance(list("kitten"), list("sitting")) == 3
    assert sequence_distance(list("kitten"), list("sitting"), cap=2) == 2  # stops once it cannot be less
    assert sequence_distance([], list("abc")) == 3
    assert edit_distance("x = a + 1\n", "x = a - 1\n") == 1  # one token differs
    assert edit_distance("x = a + 1\n", "x  =  a + 1  # same\n") == 0  # spacing and comments are not tokens


def test_answer_probabilities_by_hand() -> None:
    yes, no = math.log(0.6), math.log(0.2)
    # pieces that can start an answer count for it: "Y" + "yes" for yes, "no" for no
    assert yes_share({"Y": math.log(0.1), "yes": math.log(0.5), "no": no}) == pytest.approx(0.75)
    assert yes_share({"yes": yes, "maybe": math.log(0.1)}) == pytest.approx(0.6 / 0.7)  # floor for "no"
    assert yes_share({"yes": yes, "maybe": math.log(0.1)}, floor=False) == 1.0
    assert yes_share({"maybe": -0.1}) is None
    exact = {" yes": " yes".__eq__, " no": " no".__eq__}
    found = answer_probabilities({" yes": yes, " no": no}, exact)
    assert found is not None and found[" yes"] == pytest.approx(0.75) and found[" no"] == pytest.approx(0.25)


def test_a_training_pair_is_an_item_from_a_source_with_its_failing_test() -> None:
    failure = TestResult("f(1)", "fail", expected="2", got="3", message="", line=2)
    pair = Pair("quixbugs", "t", "n", "code", "fix", "kind", failure)
    assert isinstance(pair, Item) and pair.source == pair.set == "quixbugs" and pair.failure is failure
    assert pair.record() == {"task": "t", "name": "n", "code": "code", "fix": "fix"}
    assert pair.key == Item("t", "n", "code", "other fix").key
    assert "failure" not in pair.to_json()
    assert failure.failing_test() == {
        "call": "f(1)",
        "status": "fail",
        "expected": "2",
        "got": "3",
        "message": "",
        "line": 2,
    }
