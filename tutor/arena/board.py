"""The leaderboard: battles from the judge (``battles.jsonl`` of ``tutor arena run``) and from teachers' votes,
turned into win/tie/loss counts, Bradley-Terry scores with bootstrap intervals and shared ranks, with and without
the length control; the judge's consistency and position bias; Cohen's kappa between judge and teachers.

A teacher's "both bad" counts as a tie (neither hint is preferred). For kappa, a pair is the same exercise, the
same program (by hash) and the same two systems; each side's verdict is the winner's name or ``tie``, and a pair
voted on several times counts with the teachers' most common verdict (ties broken towards ``tie``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.arena.battles import winner_of
from tutor.arena.bradley_terry import Battle, bootstrap, fit, shared_ranks
from tutor.eval.stats import cohen_kappa
from tutor.progress import Vote

BOOTSTRAP_ROUNDS = 1000


@dataclass(frozen=True)
class Decided:
    """A battle from either source, with the key that matches judge and teacher on the same pair."""

    battle: Battle
    source: str  # "judge" | "teacher"
    pair_key: tuple[str, str, str, str]  # exercise, code hash, system, system (sorted)

    @property
    def winner(self) -> str:
        return (
            self.battle.a
            if self.battle.outcome == 1.0
            else self.battle.b
            if self.battle.outcome == 0.0
            else "tie"
        )


def read_battles(path: Path) -> list[dict[str, Any]]:
    """The judge's battle records; a line that is not JSON is skipped (a run cut short)."""
    records = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def from_judge(records: Iterable[dict[str, Any]]) -> list[Decided]:
    return [
        Decided(
            Battle(r["a"], r["b"], float(r["outcome"]), int(r.get("words_a", 0)), int(r.get("words_b", 0))),
            "judge",
            _key(r.get("task", ""), r.get("code_sha", ""), r["a"], r["b"]),
        )
        for r in records
    ]


def _key(exercise: str, sha: str, x: str, y: str) -> tuple[str, str, str, str]:
    first, second = sorted((x, y))
    return exercise, sha, first, second


def from_votes(votes: Iterable[Vote]) -> list[Decided]:
    decided = []
    for v in votes:
        outcome = 1.0 if v.vote == "A" else 0.0 if v.vote == "B" else 0.5
        battle = Battle(v.system_a, v.system_b, outcome, len(v.hint_a.split()), len(v.hint_b.split()))
        decided.append(Decided(battle, "teacher", _key(v.exercise, v.code_sha, v.system_a, v.system_b)))
    return decided


def judge_stats(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Consistency: the share of judged pairs whose two orders name the same winner (or both a tie).
    Position bias: the share of single verdicts won by the hint shown first minus the share won by the second.
    Both from the raw (greedy) verdicts, and ``*_calibrated`` from the calibrated ones when the records went
    through ``calibration.calibrate``."""
    judged = [r for r in records if r.get("decided_by") == "judge" and len(r.get("orders", [])) == 2]
    orders = [o for r in judged for o in r["orders"]]
    agree = 0
    for r in judged:
        one, two = r["orders"]
        other = {r["a"]: r["b"], r["b"]: r["a"]}
        agree += winner_of(one["verdict"], one["first"], other[one["first"]]) == winner_of(
            two["verdict"], two["first"], other[two["first"]]
        )
    first = sum(o["verdict"] == "A" for o in orders)
    second = sum(o["verdict"] == "B" for o in orders)
    seconds = [o.get("seconds", 0.0) for o in orders]
    calibrated = [r for r in judged if all("calibrated" in o for o in r["orders"])]
    c_orders = [o for r in calibrated for o in r["orders"]]
    c_bias = sum((o["calibrated"] == "A") - (o["calibrated"] == "B") for o in c_orders)
    return {
        "name": next((r.get("judge", "") for r in records if r.get("judge")), ""),
        "consistency": agree / len(judged) if judged else None,
        "position_bias": (first - second) / len(orders) if orders else None,
        "consistency_calibrated": (
            sum(r["orders"][0]["calibrated"] == _flip(r["orders"][1]["calibrated"]) for r in calibrated)
            / len(calibrated)
            if calibrated
            else None
        ),
        "position_bias_calibrated": c_bias / len(c_orders) if c_orders else None,
        "position_prior": next((r["calibration"]["prior"] for r in calibrated if "calibration" in r), None),
        "pairs_judged": len(judged),
        "decided_by_guard": sum(r.get("decided_by") == "guard" for r in records),
        "identical_hints": sum(r.get("decided_by") == "identical" for r in records),
        "seconds_per_battle": 2 * sum(seconds) / len(orders) if orders else None,
        "prompt_reuse": _reuse(orders),
    }


def _reuse(orders: Sequence[dict[str, Any]]) -> float | None:
    """The share of the judge's prompt tokens read from the engine's prefix cache (None if not recorded)."""
    total = sum(o.get("prompt_tokens", 0) for o in orders)
    return sum(o.get("prompt_tokens_reused", 0) for o in orders) / total if total else None


def _flip(verdict: str) -> str:
    """The same winner seen from the other order: A <-> B, tie stays."""
    return {"A": "B", "B": "A"}.get(verdict, verdict)


def kappa(judge: Sequence[Decided], teacher: Sequence[Decided]) -> tuple[float | None, int]:
    """Cohen's kappa between the judge and the teachers on pairs both judged, and how many such pairs."""
    judged = {d.pair_key: d.winner for d in judge}
    votes: dict[tuple[str, str, str, str], Counter[str]] = {}
    for d in teacher:
        votes.setdefault(d.pair_key, Counter())[d.winner] += 1
    shared = sorted(k for k in votes if k in judged)
    teacher_labels = [_majority(votes[k]) for k in shared]
    return cohen_kappa([judged[k] for k in shared], teacher_labels), len(shared)


def _majority(counts: Counter[str]) -> str:
    top = max(counts.values())
    leaders = [label for label, count in counts.items() if count == top]
    return leaders[0] if len(leaders) == 1 else "tie"


@dataclass
class Board:
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    length_coef: float | None = None
    battles: int = 0


def leaderboard(
    decided: Sequence[Decided], rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0, length_control: bool = False
) -> Board:
    """Scores, 95% intervals, shared ranks and win/tie/loss counts for every system in ``decided``."""
    battles = [d.battle for d in decided]
    names = sorted({b.a for b in battles} | {b.b for b in battles})
    if not battles:
        return Board()
    result = fit(battles, names, length_control)
    scores = {n: float(s) for n, s in zip(names, result.scores, strict=True)}
    intervals = bootstrap(battles, names, rounds, seed, length_control)
    ranks = shared_ranks(scores, intervals)
    board = Board(length_coef=result.length_coef, battles=len(battles))
    for name in names:
        wins = sum((b.a == name and b.outcome == 1.0) or (b.b == name and b.outcome == 0.0) for b in battles)
        losses = sum(
            (b.a == name and b.outcome == 0.0) or (b.b == name and b.outcome == 1.0) for b in battles
        )
        played = sum(name in (b.a, b.b) for b in battles)
        board.systems[name] = {
            "score": round(scores[name], 4),
            "ci": [round(intervals[name].low, 4), round(intervals[name].high, 4)],
            "rank": ranks[name],
            "wins": wins,
            "ties": played - wins - losses,
            "losses": losses,
            "battles": played,
        }
    board.systems = dict(sorted(board.systems.items(), key=lambda kv: (kv[1]["rank"], -kv[1]["score"])))
    return board
