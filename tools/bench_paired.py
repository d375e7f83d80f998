"""Paired differences between benchmark rows, with 2,000 seeded bootstrap rounds (the docs' paired tables).

``systems ROWS``: each pair of systems in one run, on the items all its systems answered (``--pair A B``,
repeatable; by default the three pairs of the Qwen 0.5B fine-tune run). ``before-after OLD NEW``: each system
both runs have, on the items both answered. ROWS is a run's ``rows.jsonl`` or ``rows.jsonl.gz``; ``--labels
FILE...`` adds ``human``, HGood by people's majority labels (``tutor bench label``), on the items labelled for both.
Used by docs/bench-quality/qwen-fine-tune/, docs/bench-quality/hint-rules/ and docs/bench-quality-test-split/."""

from __future__ import annotations

import argparse
import gzip
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.eval.human import majority, row_key
from tutor.eval.labels import read_labels

ROUNDS = 2000
Rows = dict[str, dict[str, dict[str, Any]]]  # system -> item -> row
DEFAULT_PAIRS = [
    ("qwen-ft.gguf", "qwen2.5-coder-0.5b-instruct-q4km"),
    ("qwen-ft.gguf", "default"),
    ("qwen2.5-coder-0.5b-instruct-q4km", "default"),
]


def load(path: Path) -> Rows:
    """A run's rows by system and item (a ``.gz`` file is read compressed)."""
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    by: Rows = {}
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                by.setdefault(row["system"], {})[row["item"]] = row
    return by


def with_people(by: Rows, label_files: Sequence[Path]) -> Rows:
    """The rows with ``human``: the people's majority HGood of the row's hint (absent where not labelled)."""
    people = majority(read_labels(label_files))
    for rows in by.values():
        for row in rows.values():
            found = people.get(row_key(row))
            if found is not None:
                row["human"] = found["HGood"]
    return by


def value(row: dict[str, Any], metric: str) -> float:
    """1.0 / 0.0 for a rate; HGood is the judge's verdict, NaN where the row was not judged; ``human`` the
    people's, NaN where the hint is not labelled."""
    if metric == "human":
        return float(row["human"]) if "human" in row else math.nan
    if metric == "hgood":
        verdict = row.get("judge")
        return float(bool(verdict.get("HGood"))) if verdict else math.nan
    return float(bool(row[metric]))


def interval(diffs: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% points of the seeded bootstrap means (the 51st and 1950th of 2,000 sorted)."""
    picks = np.random.default_rng(0).integers(0, len(diffs), (ROUNDS, len(diffs)))
    means = np.sort(diffs[picks].mean(1))
    return float(means[50]), float(means[1949])


def systems_table(by: Rows, pairs: Sequence[tuple[str, str]], metrics: Sequence[str] = ()) -> list[str]:
    items = sorted(set.intersection(*[set(by[name]) for pair in pairs for name in pair]))
    lines = []
    for a, b in pairs:
        out = []
        for metric in metrics or ["rpass", "localization", "model_share", "hgood"]:
            diffs = np.array([value(by[a][i], metric) - value(by[b][i], metric) for i in items])
            diffs = diffs[~np.isnan(diffs)]
            if not len(diffs):
                out.append(f"{metric} n/a")
                continue
            low, high = interval(diffs)
            out.append(f"{metric} {diffs.mean():+.2f} [{low:+.2f}, {high:+.2f}] (n {len(diffs)})")
        lines.append(f"{a} - {b} (n={len(items)}): " + "; ".join(out))
    return lines


def before_after_table(old: Rows, new: Rows) -> list[str]:
    lines = []
    for system in sorted(set(old) & set(new)):
        items = sorted(set(old[system]) & set(new[system]))
        out = []
        for metric in ["rpass", "model_share", "hgood"]:
            before = np.array([value(old[system][i], metric) for i in items])
            after = np.array([value(new[system][i], metric) for i in items])
            keep = ~(np.isnan(before) | np.isnan(after))
            diffs = (after - before)[keep]
            low, high = interval(diffs)
            out.append(
                f"{metric} {before[keep].mean():.2f} -> {after[keep].mean():.2f} "
                f"({diffs.mean():+.2f} [{low:+.2f}, {high:+.2f}])"
            )
        lines.append(f"{system} (n={len(items)}): " + "; ".join(out))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_paired", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("systems", help="pairs of systems within one run")
    one.add_argument("rows", type=Path, help="rows.jsonl or rows.jsonl.gz")
    one.add_argument("--pair", nargs=2, action="append", metavar=("A", "B"), help="A - B (repeatable)")
    one.add_argument("--labels", nargs="+", type=Path, default=[], help="people's label files: adds human")
    two = sub.add_parser("before-after", help="each system in two runs, new - old")
    two.add_argument("old", type=Path)
    two.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.mode == "systems":
        by = with_people(load(args.rows), args.labels) if args.labels else load(args.rows)
        metrics = ["rpass", "localization", "model_share", "human"] if args.labels else []
        lines = systems_table(by, [tuple(p) for p in args.pair] if args.pair else DEFAULT_PAIRS, metrics)
    else:
        lines = before_after_table(load(args.old), load(args.new))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
