"""Calibrated arena verdicts: the judge's position prior is estimated and taken out before deciding.

A small judge model prefers a position (Qwen 1.5B answered "B" in almost every order with one prompt, "A" with
another). Each single verdict keeps P(A), P(B) and P(tie); its score is the log-odds ``log P(A) - log P(B)``
(first-shown hint against second). Every pair is judged in both orders, so the preference for either hint cancels
out of a mean score and what is left is the position effect (contextual calibration, estimated without labels).
The effect differs from item to item (the same judge leaned -0.9 on one program and +0.2 on another), so the
prior is estimated per item: ``prior = mean score over the judge's verdicts on that item`` (all its pairs, both
orders). A calibrated verdict is ``A`` when ``score - prior > margin``, ``B`` when ``score - prior < -margin``,
else ``tie``. The swap rule still decides the battle: the two calibrated verdicts must name the same winner, and
two that disagree count as a tie. Caveat: on an item with a single judged pair the prior is that pair's own mean,
so its two calibrated verdicts always agree; calibrated consistency is only informative where items have several
judged pairs (a 4-system run has 6), and the raw consistency stays the measure of the judge itself. ``MARGIN``
was fitted on hand preferences of dev-split items only. The raw (greedy) verdicts stay in every record, so raw and
calibrated consistency and position bias are both reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tutor.arena.battles import swap_rule
from tutor.eval.agreement import agreement

EPSILON = 1e-4  # floor for a probability absent from the judge's top log-probabilities
# FROZEN: fitted for the default judge (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, arena prompt v2) on the 30 hand
# preferences of dev-split items in resources/eval/arena-labels.dev.jsonl, as the margin of highest agreement
# (ties: higher kappa, then the smaller margin), by `python -m tutor.arena.check
# resources/eval/arena-labels.dev.jsonl --fit` (then part of tutor.bench.quality.judge_check). Not tuned on any test-split item. The per-item prior and prompt
# v2 were chosen on the same dev labels by leave-one-out agreement: kappa 0.15, against -0.06 (one prior for the
# whole judge, prompt v1), 0.03 (per-item prior, prompt v1) and 0.04 (one prior, prompt v2). Practically any
# margin above 0: ties come from the swap rule, when the two calibrated verdicts disagree.
MARGIN = 0.003


def order_score(probabilities: dict[str, float] | None) -> float | None:
    """``log P(A) - log P(B)`` of one verdict; None without probabilities."""
    if not probabilities:
        return None
    a, b = probabilities.get("A", 0.0), probabilities.get("B", 0.0)
    return math.log(max(a, EPSILON)) - math.log(max(b, EPSILON))


def position_prior(scores: Sequence[float]) -> float:
    """The judge's position effect: the mean score over verdicts that come in both orders of each pair (those of
    one item)."""
    return sum(scores) / len(scores) if scores else 0.0


def decide(score: float, prior: float, margin: float = MARGIN) -> str:
    shifted = score - prior
    return "A" if shifted > margin else "B" if shifted < -margin else "tie"


def _judged(record: dict[str, Any]) -> bool:
    orders = record.get("orders") or []
    return (
        record.get("decided_by") == "judge"
        and len(orders) == 2
        and all(order_score(o.get("probabilities")) is not None for o in orders)
    )


def calibrate(records: Sequence[dict[str, Any]], margin: float = MARGIN) -> list[dict[str, Any]]:
    """Copies of battle records with calibrated decisions: each order gets ``calibrated`` (A/B/tie), the record
    gets ``winner``/``outcome`` from the swap rule on them, ``raw_winner`` (the greedy verdicts' winner) and
    ``calibration`` (prior, margin). The prior is estimated per judge and item over the battles here. Records not
    decided by the judge, or without probabilities, are returned unchanged."""
    scores: dict[tuple[str, str], list[float]] = {}
    for r in records:
        if _judged(r):
            key = (r.get("judge", ""), r.get("item", ""))
            scores.setdefault(key, []).extend(order_score(o["probabilities"]) or 0.0 for o in r["orders"])
    priors = {key: position_prior(values) for key, values in scores.items()}
    out = []
    for record in records:
        if not _judged(record):
            out.append(record)
            continue
        prior = priors[(record.get("judge", ""), record.get("item", ""))]
        orders = [
            dict(o, calibrated=decide(order_score(o["probabilities"]) or 0.0, prior, margin))
            for o in record["orders"]
        ]
        winner = swap_rule(
            orders[0]["calibrated"], orders[1]["calibrated"], orders[0]["first"], orders[1]["first"]
        )
        outcome = 1.0 if winner == record["a"] else 0.0 if winner == record["b"] else 0.5
        out.append(
            dict(
                record,
                orders=orders,
                winner=winner,
                outcome=outcome,
                raw_winner=record.get("raw_winner", record["winner"]),
                calibration={"prior": round(prior, 4), "margin": margin},
            )
        )
    return out


def fit_margin(pairs: Sequence[tuple[float, float]], labels: Sequence[str], prior: float) -> float:
    """The margin that best reproduces hand preferences. ``pairs`` holds, per pair of hints x and y, the score
    with x shown first and the score with y shown first; ``labels`` the preference: ``x``, ``y`` or ``tie``.
    Candidates are 0 and the midpoints between neighbouring ``|score - prior|``; highest accuracy wins, then
    the higher kappa, then the smaller margin."""
    sizes = sorted({abs(s - prior) for pair in pairs for s in pair})
    candidates = {0.0} | {(low + high) / 2 for low, high in zip(sizes, sizes[1:], strict=False)}
    if sizes:
        candidates.add(sizes[-1] + 1.0)

    def quality(margin: float) -> tuple[float, float, float]:
        found = agreement([pair_decision(s1, s2, prior, margin) for s1, s2 in pairs], list(labels))
        return (found.accuracy or 0.0, -1.0 if found.kappa is None else found.kappa, -margin)

    return max(sorted(candidates), key=quality)


def pair_decision(first: float, second: float, prior: float, margin: float = MARGIN) -> str:
    """``x``, ``y`` or ``tie`` for a pair scored ``first`` (x shown first) and ``second`` (y shown first)."""
    return swap_rule(decide(first, prior, margin), decide(second, prior, margin), "x", "y")
