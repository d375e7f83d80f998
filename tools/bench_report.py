"""Remake a benchmark run's ``report.html`` from its ``summary.json`` and ``details.json`` (no model runs).

The docs keep each run's summary and details; the HTML report is generated from those two files by the same
code ``tutor bench quality`` uses, so it is not stored. Usage: ``python tools/bench_report.py RUN_DIR [-o FILE]``
(default ``RUN_DIR/report.html``; write it outside docs/ if you do not mean to commit it)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from tutor.bench.quality.report import render_html


def remake(run_dir: Path, out: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    details = json.loads((run_dir / "details.json").read_text(encoding="utf-8"))
    out.write_text(render_html(summary, details), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a folder with summary.json and details.json")
    parser.add_argument(
        "-o", "--out", type=Path, default=None, help="the HTML file (default RUN_DIR/report.html)"
    )
    args = parser.parse_args(argv)
    out = args.out or args.run_dir / "report.html"
    remake(args.run_dir, out)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
