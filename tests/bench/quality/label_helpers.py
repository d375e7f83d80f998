"""A hand-made benchmark run folder for the labelling tests: three real refactory items (two of the test split,
one of dev), two systems with names that must never be shown, one hint text written by both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tutor.eval.items import Item
from tutor.eval.sets import load_set
from tutor.eval.splits import split_of

SYSTEMS = ("sysname-alpha-7b", "sysname-beta-q4")
SHARED = "Look at the loop on line 2: what happens when the list is empty?"


def run_items() -> list[Item]:
    items, _ = load_set("refactory")
    test = [i for i in items if split_of(i.task) == "test"][:2]
    dev = [i for i in items if split_of(i.task) == "dev"][:1]
    return [*test, *dev]


def run_rows(judge: bool = False) -> list[dict[str, Any]]:
    """Six rows: each system on each item; on the first item both wrote SHARED (five distinct hints)."""
    rows = []
    for number, item in enumerate(run_items()):
        for system in SYSTEMS:
            letter = "ab"[SYSTEMS.index(system)]
            text = (
                SHARED if number == 0 else f"Which value comes back first from your loop? ({number}{letter})"
            )
            row: dict[str, Any] = {
                "system": system,
                "set": "refactory",
                "task": item.task,
                "item": item.key,
                "hint": text,
                "failing_test": {
                    "call": "f(1)",
                    "status": "fail",
                    "expected": "1",
                    "got": "2",
                    "message": "",
                    "line": 2,
                },
            }
            if judge:
                row["judge"] = {
                    "HCorrect": True,
                    "HInformative": True,
                    "HConceal": True,
                    "HComprehensible": True,
                    "HGood": True,
                }
            rows.append(row)
    return rows


def make_run(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in run_rows()), encoding="utf-8")
    return folder
