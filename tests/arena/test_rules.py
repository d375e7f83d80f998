"""The swap rule, the guard rule, and the judge's consistency and position bias computed from battle records."""

from __future__ import annotations

import pytest

from tutor.arena.battles import Contestant, battle, guard_rule, swap_rule
from tutor.arena.board import from_judge, from_votes, judge_stats, kappa
from tutor.arena.judge import Case, Verdict, verdict_probabilities
from tutor.arena.votes import code_sha
from tutor.progress import Vote

CASE = Case(
    task="Sum a list.",
    code="def total(xs):\n    return 0\n",
    failing_test="total([1]) expected 1 got 0",
    fix="def total(xs):\n    return sum(xs)\n",
)
GOOD = "Which value does your function return when the list has items, and where is that number made?"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("A", "B", "x"),  # x shown first and chosen, then y shown first and x (B) chosen: agree on x
        ("B", "A", "y"),
        ("A", "A", "tie"),  # always the first shown: the orders disagree
        ("B", "B", "tie"),
        ("tie", "B", "tie"),
        ("A", "tie", "tie"),
        ("tie", "tie", "tie"),
    ],
)
def test_swap_rule(first: str, second: str, expected: str) -> None:
    assert swap_rule(first, second, "x", "y") == expected


class ScriptedJudge:
    """Answers from a script, and counts the calls (to show when the judge is not asked)."""

    def __init__(self, *labels: str) -> None:
        self.labels, self.calls = list(labels), []

    def __call__(self, case: Case, hint_a: str, hint_b: str) -> Verdict:
        self.calls.append((hint_a, hint_b))
        return Verdict(self.labels.pop(0), None, 0.5)


def test_the_judge_sees_both_orders_and_a_biased_judge_gives_a_tie() -> None:
    x, y = Contestant("x", GOOD), Contestant("y", "Look at the return on line 2 for a list with items.")
    judge = ScriptedJudge("A", "A")
    record = battle("item1", CASE, y, x, judge, "scripted", task="t")
    assert judge.calls == [(x.hint, y.hint), (y.hint, x.hint)]
    assert (record.a.system, record.b.system, record.winner, record.outcome) == ("x", "y", "tie", 0.5)
    assert record.to_json()["code_sha"] == code_sha(CASE.code)
    consistent = battle("item1", CASE, x, y, ScriptedJudge("B", "A"), "scripted")
    assert (consistent.winner, consistent.outcome, consistent.decided_by) == ("y", 0.0, "judge")


def test_a_hint_that_fails_the_guard_loses_without_asking_the_judge() -> None:
    leaking = Contestant(
        "leaky", "Write return sum(xs) on line 2.", ("contains a line of the fixed program",)
    )
    clean = Contestant("clean", GOOD)
    assert guard_rule(leaking, clean) == "clean"
    assert guard_rule(clean, Contestant("other", GOOD)) is None
    assert guard_rule(leaking, Contestant("leaky2", "x", ("too short to help",))) is None
    judge = ScriptedJudge()
    record = battle("item1", CASE, leaking, clean, judge, "scripted")
    assert judge.calls == []
    assert (record.winner, record.decided_by, record.outcome) == ("clean", "guard", 1.0)  # "clean" < "leaky"


def test_identical_hints_tie_without_asking_the_judge() -> None:
    judge = ScriptedJudge()
    record = battle(
        "item1", CASE, Contestant("x", GOOD), Contestant("y", "  " + GOOD.replace(" ", "  ")), judge, "j"
    )
    assert judge.calls == [] and (record.winner, record.decided_by, record.outcome) == (
        "tie",
        "identical",
        0.5,
    )


def test_consistency_and_position_bias_by_hand() -> None:
    judge = ScriptedJudge("A", "A", "A", "B", "B", "A", "tie", "A")
    pairs = [("p", "q"), ("p", "r"), ("q", "r"), ("p", "s")]
    records = [
        battle(f"i{n}", CASE, Contestant(a, GOOD), Contestant(b, GOOD + " " + b), judge, "j").to_json()
        for n, (a, b) in enumerate(pairs)
    ]
    records.append(
        battle(
            "i9", CASE, Contestant("p", GOOD), Contestant("z", "x", ("too short to help",)), judge, "j"
        ).to_json()
    )
    stats = judge_stats(records)
    # pairs: (A, A) disagree; (A, B) agree on the first system; (B, A) agree on the second; (tie, A) disagree
    assert stats["consistency"] == pytest.approx(2 / 4)
    # 8 verdicts: A (first shown wins) 5 times, B 2 times, tie once: bias = (5 - 2) / 8
    assert stats["position_bias"] == pytest.approx(3 / 8)
    assert (stats["pairs_judged"], stats["decided_by_guard"], stats["name"]) == (4, 1, "j")
    assert stats["seconds_per_battle"] == pytest.approx(1.0)


def test_kappa_matches_judge_and_teachers_on_the_same_program_and_pair() -> None:
    judge = ScriptedJudge("A", "B", "B", "A")
    records = [
        battle(
            "i1", CASE, Contestant("p", GOOD), Contestant("q", GOOD + " q"), judge, "j", task="t"
        ).to_json(),
        battle(
            "i2", CASE, Contestant("p", GOOD), Contestant("r", GOOD + " r"), judge, "j", task="t"
        ).to_json(),
    ]
    sha = code_sha(CASE.code)
    votes = [
        Vote("t", sha, "q", "p", "B"),  # teacher shown q first and chose p: agrees with the judge (p)
        Vote("t", sha, "p", "r", "tie"),  # judge said r
        Vote("other", sha, "p", "q", "A"),
    ]  # another exercise: not shared
    value, shared = kappa(from_judge(records), from_votes(votes))
    assert shared == 2
    # labels judge (p, r) vs teacher (p, tie): p_o = 1/2, p_e = 1/2*1/2 + 1/2*0 + 0 = 1/4, kappa = 1/3
    assert value == pytest.approx(1 / 3)


def test_verdict_probabilities_renormalise_over_the_three_answers() -> None:
    import math

    probabilities = verdict_probabilities(
        {" A": math.log(0.3), "B": math.log(0.1), "t": math.log(0.1), "The": math.log(0.5)}
    )
    assert probabilities == pytest.approx({"A": 0.6, "B": 0.2, "tie": 0.2})
    assert verdict_probabilities({"The": -0.1}) is None
