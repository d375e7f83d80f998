"""Issue 24's gate: may a fine-tune become the default? Read from one test-split run that has the candidate, the
default and the analysis source on the same items, and people's labels of their hints.

    python -m tools.ship_gate ROWS --candidate NAME --labels FILE... [--default default] [--analysis analysis]

One line per criterion: the candidate's figure, the limit, and "met" or by how much it misses. Human HGood is
paired against the default and against the analysis source on the items whose hints are labelled for both (95%
seeded bootstrap, as ``tools/bench_paired.py``): the interval must lie above 0. A candidate hint nobody labelled
makes the human criteria undecided (not met): label first. Exit status 0 when every criterion is met."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.bench_paired import Rows, interval, load, value, with_people
from tutor.bench.quality.report import system_summary

RATE_FLOORS = {"rpass": 0.60, "localization": 0.70, "model_share": 0.5, "conceal": 1.0}
FIRST_TEXT_P50_S = 0.5
ENGINE_PEAK_MB = 1200.0


@dataclass(frozen=True)
class Check:
    name: str
    figure: str
    limit: str
    met: bool
    missed_by: str = ""

    def line(self) -> str:
        verdict = "met" if self.met else f"NOT met{f' (by {self.missed_by})' if self.missed_by else ''}"
        return f"{self.name:<28} {self.figure:<24} limit {self.limit:<10} {verdict}"


def human_checks(by: Rows, candidate: str, others: Sequence[str]) -> list[Check]:
    """Paired human HGood of the candidate against each of ``others``: the 95% interval above 0."""
    rows = by[candidate]
    unlabelled = sum("human" not in row for row in rows.values())
    checks = []
    for other in others:
        name = f"human HGood - {other}"
        items = sorted(set(rows) & set(by.get(other, {})))
        diffs = np.array([value(rows[i], "human") - value(by[other][i], "human") for i in items])
        diffs = diffs[~np.isnan(diffs)]
        if unlabelled or not len(diffs):
            checks.append(Check(name, f"unlabelled hints: {unlabelled}", "> 0", False))
            continue
        low, high = interval(diffs)
        figure = f"{diffs.mean():+.2f} [{low:+.2f}, {high:+.2f}]"
        checks.append(Check(name, figure, "> 0", low > 0, "" if low > 0 else f"{-low:.2f} at the low end"))
    return checks


def figure_checks(rows: dict[str, dict[str, Any]]) -> list[Check]:
    """The rate floors and the time and memory ceilings, on the figures the benchmark report prints for these rows
    (``system_summary``; the first text's median and the engine's peak as its details compute them)."""
    summary = system_summary(list(rows.values()), judged=False)
    checks = []
    for metric, floor in RATE_FLOORS.items():
        rate = summary[metric]
        met = rate >= floor
        checks.append(
            Check(metric, f"{rate:.2f}", f">= {floor:.2f}", met, "" if met else f"{floor - rate:.2f}")
        )
    texts = [row["time_text_s"] for row in rows.values() if row.get("time_text_s") is not None]
    peaks = [row["engine_peak_rss_mb"] for row in rows.values() if row.get("engine_peak_rss_mb")]
    ceilings = [
        ("p50 hint time", summary["time_p50_s"], 5.0, "s"),
        ("p90 hint time", summary["time_p90_s"], 9.0, "s"),
        ("p50 first text", float(np.median(texts)) if texts else None, FIRST_TEXT_P50_S, "s"),
        ("engine peak memory", max(peaks) if peaks else None, ENGINE_PEAK_MB, "MB"),
    ]
    return checks + [_at_most(*ceiling) for ceiling in ceilings]


def _at_most(name: str, figure: float | None, limit: float, unit: str) -> Check:
    digits = 0 if unit == "MB" else 2
    if figure is None:
        return Check(name, "not measured", f"<= {limit:g} {unit}", False)
    met = figure <= limit
    missed = "" if met else f"{figure - limit:.{digits}f} {unit}"
    return Check(name, f"{figure:.{digits}f} {unit}", f"<= {limit:g} {unit}", met, missed)


def gate(by: Rows, candidate: str, default: str, analysis: str) -> list[Check]:
    """Every criterion of the gate for ``candidate`` (its rows must carry ``human`` from ``with_people``)."""
    if candidate not in by:
        raise SystemExit(f"ship_gate: no rows of {candidate!r} (systems: {', '.join(sorted(by))})")
    rows = by[candidate]
    return human_checks(by, candidate, [analysis, default]) + figure_checks(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ship_gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=Path, help="the run's rows.jsonl or rows.jsonl.gz")
    parser.add_argument("--candidate", required=True, help="the fine-tune's system name in the rows")
    parser.add_argument("--labels", nargs="+", type=Path, required=True, help="people's label files")
    parser.add_argument("--default", default="default")
    parser.add_argument("--analysis", default="analysis")
    args = parser.parse_args(argv)
    checks = gate(with_people(load(args.rows), args.labels), args.candidate, args.default, args.analysis)
    print("\n".join(check.line() for check in checks))
    failed = [check.name for check in checks if not check.met]
    print(f"gate: {'passed' if not failed else 'failed on ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
