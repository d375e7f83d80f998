"""The arena judge against hand preferences (``python -m tutor.bench.quality.judge_check arena-labels.*.jsonl``).

Each labelled pair is judged in both orders (hint A first, then hint B first), the pairs of one item back to back
so the engine's prefix cache reuses the item's part of the prompt. Reported for the raw (greedy) verdicts and for
the calibrated ones (``tutor.arena.calibration``: position prior estimated over these pairs, the frozen margin):
agreement with the preferences (accuracy, Cohen's kappa over A/B/tie), consistency (both orders name the same
winner) and position bias (verdicts for the first-shown hint minus those for the second, per verdict); plus the
seconds per battle (two verdicts) and the share of prompt tokens read from the prefix cache.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tutor.arena.battles import swap_rule, winner_of
from tutor.arena.calibration import MARGIN, decide, fit_margin, order_score, position_prior
from tutor.arena.judge import PROMPT_VERSION
from tutor.bench.quality.agreement import agreement


def _flip(verdict: str) -> str:
    return {"A": "B", "B": "A"}.get(verdict, verdict)


def judge_pairs(
    rows: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[str, list[list[dict[str, Any]]]]:
    """Both orders' verdicts (``Verdict.to_json``) for every row, in the rows' order."""
    from tutor.arena.cli import ArenaError, load_judge
    from tutor.arena.run import case_for
    from tutor.bench.quality.judge_check import CheckError, ScoreFile, lookup
    from tutor.bench.quality.systems import SystemError, parse_system

    items, exercises = lookup(rows)
    try:
        from tutor.bench.quality.judge import choose_judge

        system = choose_judge(args.judge or "auto") or parse_system("default")
    except SystemError as exc:
        raise CheckError(str(exc)) from None
    scores, cases = ScoreFile(args.scores), {}
    loaded: list[Any] = []
    found: dict[int, list[dict[str, Any]]] = {}
    for index in sorted(range(len(rows)), key=lambda i: rows[i]["item"]):  # an item's pairs back to back
        row = rows[index]

        def both_orders(row: dict[str, Any] = row) -> list[dict[str, Any]]:
            if not loaded:
                try:
                    loaded.append(load_judge(args.judge, args.threads)[0])
                except ArenaError as exc:
                    raise CheckError(str(exc)) from None
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


def decisions(orders: list[list[dict[str, Any]]], prior: float, margin: float) -> dict[str, list[str]]:
    """Per pair: raw and calibrated single verdicts and the swap-rule decisions (A: hint A is better)."""
    out: dict[str, list[str]] = {k: [] for k in ("raw1", "raw2", "raw", "cal1", "cal2", "cal")}
    for first, second in orders:
        out["raw1"].append(first["verdict"])
        out["raw2"].append(second["verdict"])
        out["raw"].append(swap_rule(first["verdict"], second["verdict"], "A", "B"))
        one = decide(order_score(first["probabilities"]) or 0.0, prior, margin)
        two = decide(order_score(second["probabilities"]) or 0.0, prior, margin)
        out["cal1"].append(one)
        out["cal2"].append(two)
        out["cal"].append(swap_rule(one, two, "A", "B"))
    return out


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


def check_arena(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    name, orders = judge_pairs(rows, args)
    scores = [order_score(o["probabilities"]) for pair in orders for o in pair]
    prior = position_prior([s for s in scores if s is not None])
    seconds = [pair[0]["seconds"] + pair[1]["seconds"] for pair in orders]
    prompt = sum(o.get("prompt_tokens", 0) for pair in orders for o in pair)
    reused = sum(o.get("prompt_tokens_reused", 0) for pair in orders for o in pair)
    result: dict[str, Any] = {
        "kind": "arena",
        "judge": name,
        "n": len(rows),
        "labels": {v: [r["preference"] for r in rows].count(v) for v in ("A", "B", "tie")},
        "position_prior": round(prior, 4),
        "raw": figures(rows, decisions(orders, prior, MARGIN), "raw"),
        "calibrated": dict(figures(rows, decisions(orders, prior, MARGIN), "cal"), margin=MARGIN),
        "seconds_per_battle": round(sum(seconds) / len(seconds), 2),
        "prompt_tokens_reused_share": round(reused / prompt, 3) if prompt else None,
    }
    if args.fit:
        pairs = [
            (order_score(a["probabilities"]) or 0.0, order_score(b["probabilities"]) or 0.0)
            for a, b in orders
        ]
        wanted = [{"A": "x", "B": "y"}.get(r["preference"], "tie") for r in rows]
        margin = round(fit_margin(pairs, wanted, prior), 4)
        result["fitted_in_sample"] = dict(
            figures(rows, decisions(orders, prior, margin), "cal"), margin=margin
        )
    return result


def arena_text(result: dict[str, Any]) -> str:
    lines = [
        f"arena judge {result['judge']} on {result['n']} labelled pairs {result['labels']}; position prior "
        f"{result['position_prior']:+.2f} (log-odds of the first-shown hint); "
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
    return "\n".join(lines)
