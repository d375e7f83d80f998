"""Reference hints: ROUGE-L and BLEU of each system's hints against hints written by the team
(``tutor bench quality ... --references FILE``), and how well those scores track human HGood.

The references file is JSON Lines, one ``{"item", "hint", "explanation"}`` per item (item = the sets' key).
Scores use the libraries the grading paper's metrics come from, not hand-rolled ones: ``rouge-score``
(ROUGE-L F-measure, with stemming) per hint, ``sacrebleu`` (sentence BLEU per hint, corpus BLEU per system, 0-100).
A hint whose item has no reference is not scored. The correlation with human HGood (pooled over the systems,
on the hints that have both a score and a human label) is the point-biserial r (Pearson's r against 0/1) and
Spearman's rho, computed with numpy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tutor.eval.stats import rounded


class ReferencesError(ValueError):
    """A references file that cannot be used; one line."""


def read_references(path: Path) -> dict[str, dict[str, str]]:
    """``{item: {"hint", "explanation"}}`` from a JSONL file; a bad line is refused with its number."""
    found: dict[str, dict[str, str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReferencesError(f"{path}: cannot read ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            found[str(row["item"])] = {
                "hint": str(row["hint"]),
                "explanation": str(row.get("explanation", "")),
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise ReferencesError(f"{path}:{number}: not a reference ({exc})") from None
    return found


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F-measure (rouge-score, stemmed)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return float(scorer.score(reference, hypothesis)["rougeL"].fmeasure)


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (sacrebleu, 0-100, exponential smoothing)."""
    import sacrebleu

    return float(sacrebleu.sentence_bleu(hypothesis, [reference]).score)


def corpus_bleu(hypotheses: list[str], references: list[str]) -> float:
    """Corpus BLEU (sacrebleu, 0-100) of paired hypotheses and references."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, [references]).score)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        same = values == value
        ranks[same] = ranks[same].mean()
    return ranks


def pearson(x: list[float], y: list[float]) -> float | None:
    """Pearson's r (None for fewer than 3 pairs or a constant side); against 0/1 it is the point-biserial r."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def spearman(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3:
        return None
    return pearson(list(_ranks(np.asarray(x, float))), list(_ranks(np.asarray(y, float))))


def reference_section(
    rows: list[dict[str, Any]],
    references: dict[str, dict[str, str]],
    systems: list[str],
    human_good: Callable[[dict[str, Any]], bool | None] | None = None,
) -> dict[str, Any]:
    """Per system: hints scored, mean ROUGE-L, mean sentence BLEU and corpus BLEU; and the correlation of the
    per-hint scores with human HGood (``human_good(row)``: True/False, None where unlabelled)."""
    scored: list[tuple[dict[str, Any], float, float]] = []
    out: dict[str, Any] = {"items_with_reference": len(references), "systems": {}}
    for name in systems:
        mine = [r for r in rows if r["system"] == name and r["item"] in references]
        hyps = [(r.get("hint") or "").strip() for r in mine]
        refs = [references[r["item"]]["hint"] for r in mine]
        rouge = [rouge_l(h, ref) for h, ref in zip(hyps, refs, strict=True)]
        bleu = [sentence_bleu(h, ref) for h, ref in zip(hyps, refs, strict=True)]
        scored += list(zip(mine, rouge, bleu, strict=True))
        out["systems"][name] = {
            "n": len(mine),
            "rouge_l": rounded(float(np.mean(rouge))) if rouge else None,
            "bleu_sentence_mean": rounded(float(np.mean(bleu)), 2) if bleu else None,
            "bleu_corpus": rounded(corpus_bleu(hyps, refs), 2) if hyps else None,
        }
    pairs = [(g, rouge, bleu) for row, rouge, bleu in scored if (g := _good(human_good, row)) is not None]
    good = [float(g) for g, _, _ in pairs]
    out["correlation_with_human_hgood"] = {
        "n": len(pairs),
        "rouge_l": {
            "point_biserial": rounded(pearson([p[1] for p in pairs], good)),
            "spearman": rounded(spearman([p[1] for p in pairs], good)),
        },
        "bleu": {
            "point_biserial": rounded(pearson([p[2] for p in pairs], good)),
            "spearman": rounded(spearman([p[2] for p in pairs], good)),
        },
    }
    return out


def _good(human_good: Callable[[dict[str, Any]], bool | None] | None, row: dict[str, Any]) -> bool | None:
    return None if human_good is None else human_good(row)


def reference_table(section: dict[str, Any]) -> list[str]:
    """The text lines of the references section."""

    def f(value: Any, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = [
        f"reference hints: {section['items_with_reference']} items",
        f"{'system':<38} {'n':>4} {'ROUGE-L':>8} {'BLEU (sent. mean)':>18} {'BLEU (corpus)':>14}",
    ]
    for name, s in section["systems"].items():
        lines.append(
            f"{name:<38} {s['n']:>4} {f(s['rouge_l']):>8} {f(s['bleu_sentence_mean'], 2):>18} "
            f"{f(s['bleu_corpus'], 2):>14}"
        )
    c = section["correlation_with_human_hgood"]
    lines.append(
        f"correlation with human HGood on {c['n']} hints: ROUGE-L r_pb {f(c['rouge_l']['point_biserial'])}, "
        f"rho {f(c['rouge_l']['spearman'])}; BLEU r_pb {f(c['bleu']['point_biserial'])}, "
        f"rho {f(c['bleu']['spearman'])}"
    )
    return lines
