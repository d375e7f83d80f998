"""``tools/ship_gate.py``: issue 24's gate on a hand-made run: every criterion met, then a slow p90 and an
unlabelled hint, each reported with by how much it misses, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.ship_gate import main
from tutor.eval.labels import make_label
from tutor.jsonl import write_jsonl

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}
NO = dict(YES, HInformative=False)


def _run(tmp_path: Path, totals: list[float], label_all: bool = True) -> tuple[Path, Path]:
    """Four items; the candidate's hints are good, the default's and the analysis source's are not."""
    rows: list[dict[str, Any]] = []
    labels = []
    for n, total in enumerate(totals):
        for system in ("ft", "default", "analysis"):
            hint = f"{system} hint {n}"
            good = system == "ft"
            rows.append(
                {
                    "system": system,
                    "item": f"i{n}",
                    "hint": hint,
                    "rpass": n != 0,  # 3 of 4
                    "localization": n != 0,
                    "redit": 1,
                    "model_share": n >= 2,  # 2 of 4
                    "conceal": True,
                    "time_total_s": total,
                    "time_text_s": 0.05,
                    "engine_peak_rss_mb": 900.0,
                }
            )
            if label_all or not (good and n == 3):
                labels.append(make_label(f"i{n}", hint, YES if good else NO, "ann"))
    rows_file, labels_file = tmp_path / "rows.jsonl", tmp_path / "labels.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_jsonl(labels_file, labels)
    return rows_file, labels_file


def _gate(rows: Path, labels: Path) -> int:
    return main([str(rows), "--candidate", "ft", "--labels", str(labels)])


def test_every_criterion_met(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _gate(*_run(tmp_path, [2.0, 3.0, 4.0, 10.0])) == 0
    out = " ".join(capsys.readouterr().out.split())  # columns: one space apart
    assert "human HGood - analysis +1.00 [+1.00, +1.00]" in out
    assert "rpass" in out and "0.75" in out and "model_share" in out and "0.50" in out
    assert "p90 hint time 8.20 s limit <= 9 s met" in out  # numpy's linear percentile of 2, 3, 4, 10
    assert out.endswith("gate: passed")


def test_a_slow_p90_and_an_unlabelled_hint_fail_with_the_shortfall(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _gate(*_run(tmp_path, [2.0, 3.0, 4.0, 20.0], label_all=False)) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "p90 hint time 15.20 s limit <= 9 s NOT met (by 6.20 s)" in out
    assert "human HGood - default unlabelled hints: 1 limit > 0 NOT met" in out
    assert "p50 hint time 3.50 s limit <= 5 s met" in out
    assert out.endswith("gate: failed on human HGood - analysis, human HGood - default, p90 hint time")
