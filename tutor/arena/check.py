"""The arena judge against hand preferences (``python -m tutor.arena.check arena-labels.*.jsonl``).

Each labelled pair is judged in both orders (hint A first, then hint B first), the pairs of one item back to back
so the engine's prefix cache reuses the item's part of the prompt. Reported for the raw (greedy) verdicts and for
the calibrated ones (``tutor.arena.calibration``: position prior estimated over these pairs, the frozen margin):
agreement with the preferences (accuracy, Cohen's kappa over A/B/tie), consistency (both orders name the same
winner) and position bias (verdicts for the first-shown hint minus those for the second, per verdict); plus the
seconds per battle (two verdicts) and the share of prompt tokens read from the prefix cache.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tutor.arena.battles import swap_rule, winner_of
from tutor.arena.calibration import MARGIN, calibrate, fit_margin, order_score, pair_decision
from tutor.arena.core import load_judge
from tutor.arena.judge import PROMPT_VERSION
from tutor.arena.run import case_for
from tutor.errors import UsageError
from tutor.eval.agreement import agreement
from tutor.eval.judge_labels import CheckConfig, ScoreFile, lookup, run_check
from tutor.eval.systems import SystemError, choose_judge, parse_system


def _flip(verdict: str) -> str:
    return {"A": "B", "B": "A"}.get(verdict, verdict)


def judge_pairs(rows: list[dict[str, Any]], config: CheckConfig) -> tuple[str, list[list[dict[str, Any]]]]:
    """Both orders' verdicts (``Verdict.to_json``) for every row, in the rows' order."""
    items, exercises = lookup(rows)
    try:
        system = choose_judge(config.judge or "auto") or parse_system("default")
    except SystemError as exc:
        raise UsageError(str(exc)) from None
    scores, cases = ScoreFile(config.scores), {}
    loaded: list[Any] = []
    found: dict[int, list[dict[str, Any]]] = {}
    for index in sorted(range(len(rows)), key=lambda i: rows[i]["item"]):  # an item's pairs back to back
        row = rows[index]

        def both_orders(row: dict[str, Any] = row) -> list[dict[str, Any]]:
            if not loaded:
                loaded.append(load_judge(config.judge, config.threads)[0])
            item = items[row["item"]]
            if item.key not in cases:
                cases[item.key] = case_for(item, exercises[item.task])
            judge = loaded[0]
            first = judge.verdict(cases[item.key], row["hint_a"], row["hint_b"])
            second = judge.verdict(cases[item.key], row["hint_b"], row["hint_a"])
            return [first.to_json(), second.to_json()]

        key = json.dumps([system.name, f"arena-v{PROMPT_VERSION}", row["item"], row["hint_a"], row["hint_b"]])
        found[index] = scores.get(key, both_orders)
    return system.name, [found[i] for i in range(len(rows))]


def as_records(
    rows: list[dict[str, Any]], orders: list[list[dict[str, Any]]], judge: str
) -> list[dict[str, Any]]:
    """The labelled pairs as battle records (system ``A`` = hint A), so they go through ``calibrate`` exactly as
    a run's battles do."""
    return [
        {
            "item": row["item"],
            "a": "A",
            "b": "B",
            "judge": judge,
            "decided_by": "judge",
            "winner": swap_rule(first["verdict"], second["verdict"], "A", "B"),
            "orders": [dict(first, first="A"), dict(second, first="B")],
        }
        for row, (first, second) in zip(rows, orders, strict=True)
    ]


def decisions(records: list[dict[str, Any]], margin: float) -> dict[str, list[str]]:
    """Per pair: raw and calibrated single verdicts and the swap-rule decisions (A: hint A is better)."""
    done = calibrate(records, margin)
    return {
        "raw1": [r["orders"][0]["verdict"] for r in records],
        "raw2": [r["orders"][1]["verdict"] for r in records],
        "raw": [r["winner"] for r in records],
        "cal1": [r["orders"][0]["calibrated"] for r in done],
        "cal2": [r["orders"][1]["calibrated"] for r in done],
        "cal": [r["winner"] for r in done],
    }


def figures(rows: list[dict[str, Any]], made: dict[str, list[str]], kind: str) -> dict[str, Any]:
    ones, twos = made[f"{kind}1"], made[f"{kind}2"]
    singles = ones + twos
    consistent = sum(
        winner_of(a, "A", "B") == winner_of(b, "B", "A") for a, b in zip(ones, twos, strict=True)
    )
    return {
        "agreement": agreement(made[kind], [r["preference"] for r in rows]).to_json(),
        "consistency": round(consistent / len(rows), 4),
        "position_bias": round((singles.count("A") - singles.count("B")) / len(singles), 4),
        "decisions": {v: made[kind].count(v) for v in ("A", "B", "tie")},
    }


def fitted(rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The margin fitted on these labels (in-sample figures with it), and leave-one-out agreement: each pair
    decided with the margin fitted on the others."""
    shifted: list[tuple[float, float]] = []
    for record in calibrate(records):
        prior = record["calibration"]["prior"]
        first, second = (order_score(o["probabilities"]) or 0.0 for o in record["orders"])
        shifted.append((first - prior, second - prior))
    wanted = [{"A": "x", "B": "y"}.get(r["preference"], "tie") for r in rows]
    margin = round(fit_margin(shifted, wanted, 0.0), 4)
    loo = []
    for index in range(len(rows)):
        rest = [i for i in range(len(rows)) if i != index]
        own = fit_margin([shifted[i] for i in rest], [wanted[i] for i in rest], 0.0)
        loo.append(
            {"x": "A", "y": "B"}.get(pair_decision(shifted[index][0], shifted[index][1], 0.0, own), "tie")
        )
    return {
        "fitted_in_sample": dict(figures(rows, decisions(records, margin), "cal"), margin=margin),
        "fitted_leave_one_out": agreement(loo, [r["preference"] for r in rows]).to_json(),
    }


def check_arena(rows: list[dict[str, Any]], config: CheckConfig) -> dict[str, Any]:
    name, orders = judge_pairs(rows, config)
    records = as_records(rows, orders, name)
    priors = sorted({r["calibration"]["prior"] for r in calibrate(records)})
    seconds = [pair[0]["seconds"] + pair[1]["seconds"] for pair in orders]
    prompt = sum(o.get("prompt_tokens", 0) for pair in orders for o in pair)
    reused = sum(o.get("prompt_tokens_reused", 0) for pair in orders for o in pair)
    result: dict[str, Any] = {
        "kind": "arena",
        "judge": name,
        "prompt_version": PROMPT_VERSION,
        "n": len(rows),
        "labels": {v: [r["preference"] for r in rows].count(v) for v in ("A", "B", "tie")},
        "position_prior_range": [priors[0], priors[-1]],
        "raw": figures(rows, decisions(records, MARGIN), "raw"),
        "calibrated": dict(figures(rows, decisions(records, MARGIN), "cal"), margin=MARGIN),
        "seconds_per_battle": round(sum(seconds) / len(seconds), 2),
        "prompt_tokens_reused_share": round(reused / prompt, 3) if prompt else None,
    }
    if config.fit:
        result.update(fitted(rows, records))
    return result


def arena_text(result: dict[str, Any]) -> str:
    lines = [
        f"arena judge {result['judge']} (prompt v{result['prompt_version']}) on {result['n']} labelled pairs "
        f"{result['labels']}; position prior per item {result['position_prior_range'][0]:+.2f} to "
        f"{result['position_prior_range'][1]:+.2f} (log-odds of the first-shown hint); "
        f"{result['seconds_per_battle']:.1f} s per battle, {result['prompt_tokens_reused_share']:.0%} of prompt "
        "tokens from the prefix cache"
    ]
    for title in ("raw", "calibrated", "fitted_in_sample"):
        if title in result:
            found = result[title]
            kappa = found["agreement"]["kappa"]
            margin = f" (margin {found['margin']})" if "margin" in found else ""
            lines.append(
                f"{title}{margin}: agreement {found['agreement']['accuracy']:.0%}, kappa "
                f"{'n/a' if kappa is None else f'{kappa:+.2f}'}; consistency {found['consistency']:.0%}; "
                f"position bias {found['position_bias']:+.2f}; decisions {found['decisions']}"
            )
    if "fitted_leave_one_out" in result:
        found = result["fitted_leave_one_out"]
        kappa = found["kappa"]
        lines.append(
            f"fitted_leave_one_out: agreement {found['accuracy']:.0%}, kappa "
            f"{'n/a' if kappa is None else f'{kappa:+.2f}'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_check(argv, ("python -m tutor.arena.check", __doc__ or "", "arena"), check_arena, arena_text)


if __name__ == "__main__":
    sys.exit(main())
