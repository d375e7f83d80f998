"""Agreement between a judge and hand labels: accuracy, Cohen's kappa and a fitted decision threshold.

Used by ``judge_check`` to validate the hint judges against ``resources/eval/*-labels.*.jsonl``. A threshold is
fitted only on dev-split labels: the candidate cut points are 0.5 and the midpoints between neighbouring
probabilities (plus "always yes" and "always no"); the winner has the highest accuracy, then the highest kappa,
then lies nearest 0.5 (so an unneeded move away from 0.5 is never made).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.eval.stats import cohen_kappa


@dataclass(frozen=True)
class Agreement:
    n: int
    accuracy: float | None
    kappa: float | None  # None when undefined (both raters give one and the same label throughout)
    confusion: dict[str, int]  # "judge/label" -> count, e.g. "yes/no" = judge said yes where the label is no

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "kappa": None if self.kappa is None else round(self.kappa, 4),
            "confusion": self.confusion,
        }


def agreement(judged: Sequence[Any], labels: Sequence[Any]) -> Agreement:
    """Accuracy and Cohen's kappa of ``judged`` against ``labels`` (booleans or category names)."""
    if len(judged) != len(labels):
        raise ValueError("judged and labels differ in length")
    first, second = [_name(v) for v in judged], [_name(v) for v in labels]
    confusion: dict[str, int] = {}
    for a, b in zip(first, second, strict=True):
        confusion[f"{a}/{b}"] = confusion.get(f"{a}/{b}", 0) + 1
    n = len(first)
    accuracy = sum(a == b for a, b in zip(first, second, strict=True)) / n if n else None
    return Agreement(n, accuracy, cohen_kappa(first, second), dict(sorted(confusion.items())))


def _name(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def fit_threshold(probabilities: Sequence[float], labels: Sequence[bool]) -> float:
    """The cut point t (a criterion is met when P(yes) >= t) that best reproduces ``labels``."""
    points = sorted(set(probabilities))
    candidates = {0.5, 0.0, math.nextafter(1.0, 2.0)}
    candidates |= {(low + high) / 2 for low, high in zip(points, points[1:], strict=False)}

    def quality(threshold: float) -> tuple[float, float, float]:
        found = agreement([p >= threshold for p in probabilities], list(labels))
        return (found.accuracy or 0.0, -1.0 if found.kappa is None else found.kappa, -abs(threshold - 0.5))

    return max(sorted(candidates), key=quality)
