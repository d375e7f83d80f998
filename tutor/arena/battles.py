"""One battle: two systems' hints on one item, decided by the leak guard or by the judge in both orders.

Rules (issue 13):
- guard rule: a hint that fails the leak guard loses to one that passes, without asking the judge (when both
  pass or both fail, the judge decides);
- identical hints (the same text once spaces are normalised, e.g. both systems fell back to the analysis hint)
  tie without asking the judge;
- swap rule: every pair is judged twice, once in each order; the two verdicts, turned into winners, must agree,
  and two verdicts that disagree count as a tie.
A battle is stored with the two systems in name order (``a`` < ``b``) and ``outcome`` for ``a``: 1, 0.5 or 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.arena.judge import Case, Verdict
from tutor.arena.votes import code_sha

JudgeCall = Callable[[Case, str, str], Verdict]


@dataclass(frozen=True)
class Contestant:
    system: str
    hint: str
    guard_reasons: tuple[str, ...] = ()

    @property
    def passes_guard(self) -> bool:
        return not self.guard_reasons

    @property
    def words(self) -> int:
        return len(self.hint.split())


def winner_of(verdict: str, first: str, second: str) -> str:
    """The system a verdict names (``tie`` for a tie), given which system was shown first (as A)."""
    return first if verdict == "A" else second if verdict == "B" else "tie"


def swap_rule(first_order: str, second_order: str, x: str, y: str) -> str:
    """Winner of a pair judged as (x, y) with ``first_order`` and as (y, x) with ``second_order``: the system both
    verdicts name, else ``tie`` (disagreeing verdicts, or a tie in either order)."""
    one, two = winner_of(first_order, x, y), winner_of(second_order, y, x)
    return one if one == two else "tie"


def guard_rule(x: Contestant, y: Contestant) -> str | None:
    """The winner when exactly one hint passes the leak guard; None when the judge must decide."""
    if x.passes_guard == y.passes_guard:
        return None
    return x.system if x.passes_guard else y.system


@dataclass
class BattleRecord:
    """One pair on one item, as written to ``battles.jsonl``."""

    item: str
    a: Contestant
    b: Contestant
    winner: str
    decided_by: str  # "guard" | "identical" | "judge"
    judge: str = ""
    orders: list[dict[str, Any]] = field(default_factory=list)  # [{"first": system, **Verdict.to_json()}] x 2
    task: str = ""
    code_sha: str = ""  # matches teachers' votes on the same program (``votes.code_sha``)

    @property
    def outcome(self) -> float:
        return 1.0 if self.winner == self.a.system else 0.0 if self.winner == self.b.system else 0.5

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "task": self.task,
            "code_sha": self.code_sha,
            "a": self.a.system,
            "b": self.b.system,
            "winner": self.winner,
            "outcome": self.outcome,
            "decided_by": self.decided_by,
            "judge": self.judge,
            "hint_a": self.a.hint,
            "hint_b": self.b.hint,
            "words_a": self.a.words,
            "words_b": self.b.words,
            "guard_a": list(self.a.guard_reasons),
            "guard_b": list(self.b.guard_reasons),
            "orders": self.orders,
        }


def battle(
    item: str, case: Case, x: Contestant, y: Contestant, judge: JudgeCall, judge_name: str, task: str = ""
) -> BattleRecord:
    """Decide one pair: guard rule first, else the judge in both orders and the swap rule."""
    a, b = sorted((x, y), key=lambda c: c.system)
    record = BattleRecord(item, a, b, "tie", "judge", judge_name, task=task, code_sha=code_sha(case.code))
    decided = guard_rule(a, b)
    if decided is not None:
        record.winner, record.decided_by = decided, "guard"
        return record
    if " ".join(a.hint.split()) == " ".join(b.hint.split()):
        record.decided_by = "identical"
        return record
    first = judge(case, a.hint, b.hint)
    second = judge(case, b.hint, a.hint)
    record.orders = [dict(first=a.system, **first.to_json()), dict(first=b.system, **second.to_json())]
    record.winner = swap_rule(first.label, second.label, a.system, b.system)
    return record
