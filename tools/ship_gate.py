"""Issue 24's gate: may a fine-tune become the default? Read from one test-split run that has the candidate, the
default and the analysis source on the same items, and people's labels of their hints.

    python -m tools.ship_gate ROWS --candidate NAME --labels FILE... [--default default] [--analysis analysis]

One line per criterion: the candidate's figure, the limit, and "met" or by how much it misses. Human HGood is
paired against the default and against the analysis source on the items whose hints are labelled for both (95%
seeded bootstrap, as ``tools/bench_paired.py``): the interval must lie above 0. A candidate hint nobody labelled
makes the human criteria undecided (not met): label first. Exit status 0 when every criterion is met."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.bench_paired import Rows, interval, load, value, with_people

RATE_FLOORS = {"rpass": 0.60, "localization": 0.70, "model_share": 0.5, "conceal": 1.0}
TIME_LIMITS_S = {"p50 hint time": (50, 5.0), "p90 hint time": (90, 9.0)}
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


def rate_checks(rows: dict[str, dict[str, Any]]) -> list[Check]:
    checks = []
    for metric, floor in RATE_FLOORS.items():
        rate = float(np.mean([value(row, metric) for row in rows.values()]))
        met = rate >= floor - 1e-9
        checks.append(
            Check(metric, f"{rate:.2f}", f">= {floor:.2f}", met, "" if met else f"{floor - rate:.2f}")
        )
    return checks


def time_checks(rows: dict[str, dict[str, Any]]) -> list[Check]:
    totals = [float(row["time_total_s"]) for row in rows.values()]
    checks = []
    for name, (point, limit) in TIME_LIMITS_S.items():
        seconds = float(np.percentile(totals, point))
        met = seconds <= limit
        checks.append(
            Check(name, f"{seconds:.2f} s", f"<= {limit:g} s", met, "" if met else f"{seconds - limit:.2f} s")
        )
    texts = [float(row["time_text_s"]) for row in rows.values() if row.get("time_text_s") is not None]
    first = float(np.percentile(texts, 50)) if texts else math.nan
    met = bool(texts) and first <= FIRST_TEXT_P50_S
    short = "" if met else (f"{first - FIRST_TEXT_P50_S:.2f} s" if texts else "not measured")
    checks.append(Check("p50 first text", f"{first:.2f} s", f"<= {FIRST_TEXT_P50_S:g} s", met, short))
    peaks = [float(row["engine_peak_rss_mb"]) for row in rows.values() if row.get("engine_peak_rss_mb")]
    peak = max(peaks) if peaks else math.nan
    met = bool(peaks) and peak <= ENGINE_PEAK_MB
    short = "" if met else (f"{peak - ENGINE_PEAK_MB:.0f} MB" if peaks else "not measured")
    checks.append(Check("engine peak memory", f"{peak:.0f} MB", f"<= {ENGINE_PEAK_MB:.0f} MB", met, short))
    return checks


def gate(by: Rows, candidate: str, default: str, analysis: str) -> list[Check]:
    """Every criterion of the gate for ``candidate`` (its rows must carry ``human`` from ``with_people``)."""
    if candidate not in by:
        raise SystemExit(f"ship_gate: no rows of {candidate!r} (systems: {', '.join(sorted(by))})")
    rows = by[candidate]
    return human_checks(by, candidate, [analysis, default]) + rate_checks(rows) + time_checks(rows)


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
