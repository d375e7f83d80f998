"""Calibration against a teacher's own grading (``--reference FILE``, a CSV).

Columns: ``student`` and ``percent`` (or ``points``, read against the rubric's maximum); optionally ``feedback``;
optionally one column per model-judged rubric item, named by its id, holding yes or no. Reported: mean absolute
error in grade percent (the paper's metric), RMSE, quadratic weighted kappa (Cohen, on grades rounded to tenths
of the scale: 11 bands), ROUGE-L (F1 of the longest common word subsequence, ``rouge-score``, averaged over students) and
corpus BLEU-4 (Papineni et al., brevity penalty, no smoothing) of the feedback, and for each judged item the
share of students on which the model agrees with the teacher.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.grading.score import Grade

_WORD = re.compile(r"[a-z0-9]+")


class ReferenceError(ValueError):
    pass


def read_reference(path: Path) -> list[dict[str, str]]:
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceError(f"cannot read the reference {path}: {exc}") from None
    if not rows or "student" not in rows[0] or not ({"percent", "points"} & set(rows[0])):
        raise ReferenceError(f"{path}: needs the columns student and percent (or points)")
    return rows


def calibrate(grades: Sequence[Grade], rows: list[dict[str, str]]) -> dict[str, Any]:
    by_student = {g.student: g for g in grades}
    matched = [(row, by_student[row["student"]]) for row in rows if row["student"] in by_student]
    if not matched:
        raise ReferenceError("no student in the reference file matches a submission")
    ours = np.array([g.percent for _, g in matched])
    theirs = np.array([_reference_percent(row, g) for row, g in matched])
    result: dict[str, Any] = {
        "students": len(matched),
        "unmatched": sorted(row["student"] for row in rows if row["student"] not in by_student),
        "mae_percent": round(float(np.mean(np.abs(ours - theirs))), 4),
        "rmse_percent": round(float(np.sqrt(np.mean((ours - theirs) ** 2))), 4),
        "qwk": round(quadratic_weighted_kappa(_bands(ours), _bands(theirs), 11), 4),
    }
    texts = [(g.feedback, row["feedback"]) for row, g in matched if (row.get("feedback") or "").strip()]
    if texts:
        result["feedback_pairs"] = len(texts)
        result["rouge_l"] = round(float(np.mean([rouge_l(h, r) for h, r in texts])), 4)
        result["bleu"] = round(bleu([h for h, _ in texts], [r for _, r in texts]), 4)
    result["judged_items"] = _agreement(matched)
    return result


def _reference_percent(row: dict[str, str], grade: Grade) -> float:
    try:
        if (row.get("percent") or "").strip():
            return float(row["percent"])
        return 100.0 * float(row["points"]) / grade.max_points if grade.max_points else 0.0
    except ValueError:
        raise ReferenceError(f"reference for {row['student']!r}: the grade is not a number") from None


def _bands(percent: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(percent / 10 + 0.5), 0, 10).astype(int)


def quadratic_weighted_kappa(a: np.ndarray, b: np.ndarray, categories: int) -> float:
    """1 - sum(W*O) / sum(W*E) with W_ij = (i-j)^2 / (k-1)^2, O the confusion matrix, E the outer product of
    the two histograms divided by the number of items. 1.0 when both raters give one identical band."""
    observed = np.zeros((categories, categories))
    np.add.at(observed, (a, b), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / max(len(a), 1)
    index = np.arange(categories)
    weights = (index[:, None] - index[None, :]) ** 2 / (categories - 1) ** 2
    denominator = float((weights * expected).sum())
    return 1.0 if denominator == 0 else 1.0 - float((weights * observed).sum()) / denominator


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 of the longest common word subsequence (``rouge-score``, lower-cased words, no stemming)."""
    from rouge_score import rouge_scorer

    return float(rouge_scorer.RougeScorer(["rougeL"]).score(reference, hypothesis)["rougeL"].fmeasure)


def bleu(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 4) -> float:
    matches, totals = [0] * max_order, [0] * max_order
    hyp_length = ref_length = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = words(hypothesis), words(reference)
        hyp_length, ref_length = hyp_length + len(hyp), ref_length + len(ref)
        for n in range(1, max_order + 1):
            hyp_grams, ref_grams = _grams(hyp, n), _grams(ref, n)
            matches[n - 1] += sum(min(count, ref_grams[g]) for g, count in hyp_grams.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if hyp_length == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / max_order
    brevity = 1.0 if hyp_length > ref_length else math.exp(1 - ref_length / hyp_length)
    return brevity * math.exp(log_precision)


def _grams(sequence: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(sequence[i : i + n]) for i in range(len(sequence) - n + 1))


def _agreement(matched: list[tuple[dict[str, str], Grade]]) -> dict[str, Any]:
    found: dict[str, list[bool]] = {}
    for row, grade in matched:
        for item in grade.items:
            value = (row.get(item.id) or "").strip().lower()
            if (
                item.kind != "judge"
                or item.passed is None
                or value not in ("yes", "no", "1", "0", "true", "false")
            ):
                continue
            found.setdefault(item.id, []).append(item.passed == (value in ("yes", "1", "true")))
    return {
        item: {"students": len(agree), "agreement": round(sum(agree) / len(agree), 4)}
        for item, agree in found.items()
    }
