"""Reference hints (issue 23): ROUGE-L and BLEU (rouge-score, sacrebleu) against hand-computed pairs, the
correlations with human HGood on a hand-worked example, and nothing reported without references."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tutor.bench.quality.references import (
    ReferencesError,
    corpus_bleu,
    pearson,
    read_references,
    reference_section,
    reference_table,
    rouge_l,
    sentence_bleu,
    spearman,
)


def test_rouge_l_by_hand() -> None:
    # LCS of "the cat sat on the mat" and "the cat is on the mat" is "the cat on the mat": 5 of 6 both ways
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    assert rouge_l("Look at line 3.", "look at LINE 3") == pytest.approx(1.0)
    assert rouge_l("", "anything") == 0.0


def test_bleu_by_hand() -> None:
    # every n-gram matches; brevity penalty exp(1 - 7/6)
    assert sentence_bleu("the cat sat on the mat", "the cat sat on the mat today") == pytest.approx(
        100 * math.exp(1 - 7 / 6), abs=1e-3
    )
    # precisions 5/6, 3/5, 2/4, 1/3, same length: the geometric mean
    expected = 100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert sentence_bleu("the cat sat on a mat", "the cat sat on the mat") == pytest.approx(
        expected, abs=1e-3
    )
    assert corpus_bleu(["the cat sat on a mat"], ["the cat sat on the mat"]) == pytest.approx(
        expected, abs=1e-3
    )


def test_correlations_by_hand() -> None:
    scores, good = [0.1, 0.4, 0.35, 0.8], [0.0, 0.0, 1.0, 1.0]
    # ranks [1, 3, 2, 4] against [1.5, 1.5, 3.5, 3.5]: 2 / sqrt(5 * 4)
    assert spearman(scores, good) == pytest.approx(2 / math.sqrt(20))
    # deviations from 0.4125 against +-0.5: 0.325 / sqrt(0.251875 * 1)
    assert pearson(scores, good) == pytest.approx(0.325 / math.sqrt(0.251875))
    assert pearson([1.0, 2.0], [0.0, 1.0]) is None and pearson([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]) is None


def test_reference_section_per_system_and_with_human(tmp_path: Path) -> None:
    path = tmp_path / "refs.jsonl"
    path.write_text(
        json.dumps({"item": "i1", "hint": "the cat sat on the mat", "explanation": "e"})
        + "\n"
        + json.dumps({"item": "i2", "hint": "what does line 3 return", "explanation": ""})
        + "\n"
    )
    references = read_references(path)
    rows = [
        {"system": "S", "item": "i1", "hint": "the cat is on the mat"},
        {"system": "S", "item": "i2", "hint": "what does line 3 return"},
        {"system": "S", "item": "i3", "hint": "no reference here"},
        {"system": "T", "item": "i1", "hint": "print it"},
    ]
    good = {"i1": True, "i2": True, "i3": False}
    section = reference_section(
        rows, references, ["S", "T"], lambda r: good.get(r["item"]) if r["system"] == "S" else False
    )
    s = section["systems"]["S"]
    assert s["n"] == 2 and s["rouge_l"] == pytest.approx((5 / 6 + 1) / 2, abs=1e-3)
    assert section["systems"]["T"]["rouge_l"] == 0.0
    assert section["correlation_with_human_hgood"]["n"] == 3
    assert section["correlation_with_human_hgood"]["rouge_l"]["point_biserial"] > 0.9
    assert "reference hints: 2 items" in "\n".join(reference_table(section))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hint": "x"}\n')
    with pytest.raises(ReferencesError, match="bad.jsonl:1"):
        read_references(bad)
