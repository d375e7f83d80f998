"""Hand labels that the hint judges are checked against, and what both checks share.

Two kinds of JSON Lines files, told apart by their rows:
- quality labels (``resources/eval/judge-labels.{dev,test}.jsonl``): ``{"item", "system", "hint", "labels":
  {HCorrect, HInformative, HConceal, HComprehensible: bool}, "reason"}``, checked by
  ``python -m tutor.bench.quality.judge_check``;
- pairwise preferences (``arena-labels.{dev,test}.jsonl``): ``{"item", "hint_a", "hint_b", "preference":
  A|B|tie}``, checked by ``python -m tutor.arena.check``.

People's labels as ``tutor bench label`` stores them (``resources/eval/human-labels.test.jsonl``: one row per
labeller and hint) are read as either kind: for the quality judge, each distinct hint with its majority label
(``tutor.eval.human.majority``); for the arena judge, the pairs they imply (``derived_pairs``: two hints of one
item, one good by the majority and the other not, the good one preferred). ``--sample N`` checks a seeded sample
of N rows.

Items are looked up in the bundled sets by key; ``ScoreFile`` keeps a judge's outputs between runs, so a second run
(e.g. with ``--fit``) asks the model nothing again.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.errors import UsageError
from tutor.eval import trust
from tutor.eval.human import majority
from tutor.eval.items import Item
from tutor.eval.label_rules import CRITERIA
from tutor.eval.sets import load_set
from tutor.exercises import Exercise
from tutor.jsonl import JsonlError, append_jsonl, read_jsonl
from tutor.runner import run


@dataclass(frozen=True)
class CheckConfig:
    """What a judge check runs with (``--judge``, ``--threads``, ``--fit``, ``--scores``)."""

    judge: str = ""
    threads: int | None = None
    fit: bool = False
    scores: Path | None = None
    sample: int | None = None
    seed: int = 0


def check_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The command line both checks share."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "labels", help="a judge-labels or arena-labels JSONL file, or people's labels (tutor bench label)"
    )
    parser.add_argument("--judge", default="", help="the judge model (default: the largest installed here)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--fit", action="store_true", help="also fit thresholds/margin (dev labels only)")
    parser.add_argument(
        "--scores", type=Path, default=None, help="keep the judge's outputs in this JSONL file"
    )
    parser.add_argument("--sample", type=int, default=None, help="check a seeded sample of N labels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--record",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="keep the figures (in resources/eval/judge-trust.json, or FILE), shown next to this judge's numbers",
    )
    parser.add_argument("--json", action="store_true")
    return parser


def read_labels(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The rows of a label file and its kind, ``quality`` or ``arena``; a malformed file is one UsageError."""
    try:
        rows = read_jsonl(path, "label")
    except (OSError, JsonlError) as exc:
        raise UsageError(f"{path}: cannot read the labels ({exc})") from None
    if not rows:
        raise UsageError(f"{path}: no labels")
    kind = "human" if "labeller" in rows[0] else "quality" if "labels" in rows[0] else "arena"
    if kind == "human":
        return kind, rows
    needed = ("item", "hint", "labels") if kind == "quality" else ("item", "hint_a", "hint_b", "preference")
    for number, row in enumerate(rows, start=1):
        missing = [k for k in needed if k not in row]
        if missing:
            raise UsageError(f"{path}: line {number} lacks {', '.join(missing)}")
        if kind == "quality" and set(row["labels"]) != set(CRITERIA):
            raise UsageError(f"{path}: line {number}: labels must be exactly {', '.join(CRITERIA)}")
        if kind == "arena" and row["preference"] not in ("A", "B", "tie"):
            raise UsageError(f"{path}: line {number}: preference must be A, B or tie")
    return kind, rows


def run_check(
    argv: list[str] | None,
    names: tuple[str, str, str],
    check: Callable[[list[dict[str, Any]], CheckConfig], dict[str, Any]],
    text: Callable[[dict[str, Any]], str],
) -> int:
    """A judge check's command line: ``names`` is (its command, its doc, the label kind); reads the labels, runs
    ``check``, prints JSON or ``text``; a ``UsageError`` is one line and exit 2."""
    command, doc, kind = names
    other = {"quality": "python -m tutor.arena.check", "arena": "python -m tutor.bench.quality.judge_check"}[
        kind
    ]
    args = check_parser(command, doc).parse_args(argv)
    config = CheckConfig(args.judge, args.threads, args.fit, args.scores, args.sample, args.seed)
    path = Path(args.labels)
    try:
        result = check(sampled(read_labels_of(path, kind, other), config), config)
    except UsageError as exc:
        print(f"{ {'quality': 'judge_check', 'arena': 'arena check'}[kind] }: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else text(result))
    if args.record is not None:
        found, rows = read_labels(path)
        people = rows if found == "human" else None
        entry = (trust.quality_entry if kind == "quality" else trust.arena_entry)(result, path, people)
        if config.sample is not None:
            entry["sample"] = {"n": config.sample, "seed": config.seed}
        print(
            f"recorded in {trust.record(kind, entry, Path(args.record) if args.record else None)}",
            file=sys.stderr,
        )
    return 0


def read_labels_of(path: Path, kind: str, command: str) -> list[dict[str, Any]]:
    """The rows of a label file of this ``kind``, their items looked up; the other kind names the ``command``
    that checks it."""
    found, rows = read_labels(path)
    if found == "human":
        found, rows = kind, (majority_rows(rows) if kind == "quality" else derived_pairs(rows))
        if not rows:
            raise UsageError(f"{path}: these labels imply no {kind} labels")
    lookup(rows)
    if found != kind:
        raise UsageError(f"{path} holds {found} labels: check them with {command}")
    return rows


def sampled(rows: list[dict[str, Any]], config: CheckConfig) -> list[dict[str, Any]]:
    """A seeded sample of ``config.sample`` rows (all of them when not set), in the file's order."""
    if config.sample is None or config.sample >= len(rows):
        return rows
    chosen = sorted(random.Random(config.seed).sample(range(len(rows)), config.sample))
    return [rows[i] for i in chosen]


def majority_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People's labels as quality-label rows: each distinct (item, hint) once, with its majority label."""
    texts = {(r["item"], r["hint_sha256"]): r["hint"] for r in records}
    return [
        {
            "item": item,
            "system": "",
            "hint": texts[(item, sha)],
            "labels": found["labels"],
            "reason": "majority",
        }
        for (item, sha), found in sorted(majority(records).items())
    ]


def derived_pairs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The preferences people's labels imply: on one item, a hint good by the majority (HGood) against one that
    is not, the good one preferred. Which is shown as A alternates, so that "A" is right half the time."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in majority_rows(records):
        by_item.setdefault(row["item"], []).append(row)
    pairs: list[dict[str, Any]] = []
    for item in sorted(by_item):
        good = [r for r in by_item[item] if all(r["labels"].values())]
        bad = [r for r in by_item[item] if not all(r["labels"].values())]
        for winner in good:
            for loser in bad:
                first = len(pairs) % 2 == 0
                a, b = (winner, loser) if first else (loser, winner)
                pairs.append(
                    {
                        "item": item,
                        "hint_a": a["hint"],
                        "hint_b": b["hint"],
                        "preference": "A" if first else "B",
                    }
                )
    return pairs


def lookup(rows: list[dict[str, Any]]) -> tuple[dict[str, Item], dict[str, Exercise]]:
    items, exercises = load_set("all")
    known = {i.key: i for i in items}
    unknown = sorted({r["item"] for r in rows} - set(known))
    if unknown:
        raise UsageError(f"unknown item {unknown[0]} (not in the bundled sets, or its code changed)")
    return known, exercises


def failing_test(item: Item, exercise: Exercise) -> dict[str, Any] | None:
    """The first failing test, in the shape the hint pipeline records (what the benchmark gives its judge)."""
    failure = run(exercise, item.code).first_failure
    return None if failure is None else failure.failing_test()


class ScoreFile:
    """Judge outputs kept between runs, keyed by judge, kind and the exact texts judged."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: dict[str, Any] = {}
        if path and path.is_file():
            for entry in read_jsonl(path, "score"):
                self.known[entry["key"]] = entry["value"]

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.known:
            self.known[key] = make()
            if self.path:
                append_jsonl(self.path, [{"key": key, "value": self.known[key]}])
        return self.known[key]
