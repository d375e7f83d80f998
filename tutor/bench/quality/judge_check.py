"""Re-check the benchmark's hint judge against hand labels: ``python -m tutor.bench.quality.judge_check LABELS``.

LABELS holds quality labels (``resources/eval/judge-labels.{dev,test}.jsonl``, see ``tutor.eval.judge_labels``):
the benchmark's judge (``tutor.bench.quality.judge``) gives P(yes) per criterion, decided by its frozen
thresholds, and the command prints accuracy and Cohen's kappa per criterion and for HGood (= all four). Pairwise
preferences (``arena-labels.*.jsonl``) are checked by ``python -m tutor.arena.check``. ``--fit`` (dev labels
only) also fits the thresholds and shows the in-sample figures with them; the frozen values in the code are what
was fitted that way. ``--scores FILE`` keeps the judge's outputs, so a second run (e.g. with ``--fit``) asks the
model nothing again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from tutor.bench.quality.judge import CRITERIA, JUDGE_VERSION, THRESHOLDS, Judge, decide
from tutor.errors import UsageError
from tutor.eval.agreement import agreement, fit_threshold
from tutor.eval.items import Item
from tutor.eval.judge_labels import CheckConfig, ScoreFile, failing_test, lookup, run_check
from tutor.eval.systems import choose_judge, open_source
from tutor.exercises import Exercise

Scorer = Callable[[Item, Exercise, dict[str, Any] | None, str], dict[str, float]]


def quality_scores(
    rows: list[dict[str, Any]], scorer: Scorer, scores: ScoreFile, name: str
) -> list[dict[str, float]]:
    """P(yes) per criterion for every labelled hint (rows of one item one after another: prefix reuse)."""
    items, exercises = lookup(rows)
    found = []
    for row in rows:
        item = items[row["item"]]
        exercise = exercises[item.task]
        key = json.dumps([name, f"quality-v{JUDGE_VERSION}", row["item"], row["hint"]])

        def make(i: Item = item, e: Exercise = exercise, h: str = row["hint"]) -> dict[str, float]:
            return scorer(i, e, failing_test(i, e), h)

        found.append(scores.get(key, make))
    return found


def quality_report(
    rows: list[dict[str, Any]], probabilities: list[dict[str, float]], thresholds: dict[str, float]
) -> dict[str, Any]:
    return _report(rows, [decide(p, thresholds) for p in probabilities], thresholds)


def _report(rows: list[dict[str, Any]], decided: list[dict[str, bool]], thresholds: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"n": len(rows), "thresholds": thresholds}
    for name in CRITERIA:
        report[name] = agreement([d[name] for d in decided], [r["labels"][name] for r in rows]).to_json()
    report["HGood"] = agreement(
        [all(d.values()) for d in decided], [all(r["labels"].values()) for r in rows]
    ).to_json()
    return report


def fit_thresholds(rows: list[dict[str, Any]], probabilities: list[dict[str, float]]) -> dict[str, float]:
    return {
        name: round(fit_threshold([p[name] for p in probabilities], [r["labels"][name] for r in rows]), 4)
        for name in CRITERIA
    }


def leave_one_out(rows: list[dict[str, Any]], probabilities: list[dict[str, float]]) -> dict[str, Any]:
    """Each label decided by thresholds fitted on all the other labels: an estimate of the fit's accuracy on
    unseen hints, free of the in-sample optimism of ``fitted_in_sample``."""
    decided = []
    for index in range(len(rows)):
        rest = [i for i in range(len(rows)) if i != index]
        limits = fit_thresholds([rows[i] for i in rest], [probabilities[i] for i in rest])
        decided.append(decide(probabilities[index], limits))
    return _report(rows, decided, "refitted without each label")


def check_quality(rows: list[dict[str, Any]], config: CheckConfig) -> dict[str, Any]:
    system = choose_judge(config.judge or "auto")
    if system is None or system.is_analysis:
        raise UsageError("the judge must be a model")
    loaded: list[Judge] = []

    def scorer(item: Item, exercise: Exercise, failing: dict[str, Any] | None, hint: str) -> dict[str, float]:
        if not loaded:
            loaded.append(Judge(system, open_source(system, config.threads)))
        return loaded[0].probabilities(exercise, item.code, item.fix, failing, hint)[0]

    probabilities = quality_scores(rows, scorer, ScoreFile(config.scores), system.name)
    result = {"kind": "quality", "judge": system.name, "judge_version": JUDGE_VERSION}
    result["frozen"] = quality_report(rows, probabilities, THRESHOLDS)
    if config.fit:
        result["fitted_in_sample"] = quality_report(rows, probabilities, fit_thresholds(rows, probabilities))
        result["fitted_leave_one_out"] = leave_one_out(rows, probabilities)
    result["rows"] = [
        {"item": r["item"], "hint": r["hint"][:80], "p_yes": {k: round(v, 3) for k, v in p.items()}}
        for r, p in zip(rows, probabilities, strict=True)
    ]
    return result


def quality_text(result: dict[str, Any]) -> str:
    lines = [
        f"judge {result['judge']} (v{result['judge_version']}) on {result['frozen']['n']} labelled hints"
    ]
    for title in ("frozen", "fitted_in_sample", "fitted_leave_one_out"):
        if title not in result:
            continue
        report = result[title]
        lines.append(f"{title}: thresholds {report['thresholds']}")
        for name in (*CRITERIA, "HGood"):
            found = report[name]
            kappa = "n/a" if found["kappa"] is None else f"{found['kappa']:+.2f}"
            lines.append(
                f"  {name:<16} accuracy {found['accuracy']:.0%}  kappa {kappa}  judge/label {found['confusion']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    names = ("python -m tutor.bench.quality.judge_check", __doc__ or "", "quality")
    return run_check(argv, names, check_quality, quality_text)


if __name__ == "__main__":
    sys.exit(main())
