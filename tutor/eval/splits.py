"""The fixed dev/test splits of the evaluation sets (``resources/eval/splits.toml``), by task.

Training must never see a test item. ``refuse_test_items(records)`` is the gate any training-data path calls
(``tutor train``, issue 11): it raises ``TestItemLeak`` when a record belongs to a test task, or carries the
program (buggy or fixed, compared token by token so reformatting does not hide it) of a test item.
``dev_items()`` is what training may use.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tutor.eval.items import Item, read_items
from tutor.eval.sets import SET_NAMES, eval_dir, items_path
from tutor.feedback.tokens import tokens


class TestItemLeak(ValueError):
    """Training data that contains a test item; the message names the first one."""

    __test__ = False


def splits_path() -> Path:
    return eval_dir() / "splits.toml"


@cache
def load_splits(path: Path | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """``{set: {"dev": tasks, "test": tasks}}``."""
    data = tomllib.loads((path or splits_path()).read_text(encoding="utf-8"))
    return {name: {part: tuple(data[name][part]) for part in ("dev", "test")} for name in data}


def test_tasks() -> frozenset[str]:
    return frozenset(task for parts in load_splits().values() for task in parts["test"])


def dev_tasks() -> frozenset[str]:
    return frozenset(task for parts in load_splits().values() for task in parts["dev"])


def split_of(task: str) -> str | None:
    """``"dev"``, ``"test"`` or None for a task in no split (a task the sets do not have)."""
    if task in test_tasks():
        return "test"
    return "dev" if task in dev_tasks() else None


def dev_items() -> list[Item]:
    """Every item of a dev task: what training may use."""
    dev = dev_tasks()
    return [i for name in SET_NAMES for i in read_items(items_path(name), name) if i.task in dev]


@cache
def _test_programs() -> frozenset[tuple[str, ...]]:
    test = test_tasks()
    programs = set()
    for name in SET_NAMES:
        for item in read_items(items_path(name), name):
            if item.task in test:
                programs.add(_shape(item.code))
                programs.add(_shape(item.fix))
    return frozenset(programs)


def _shape(code: str) -> tuple[str, ...]:
    return tuple(t.value for t in tokens(code))


def refuse_test_items(
    records: Iterable[Mapping[str, Any] | Item], code_fields: tuple[str, ...] = ("code", "fix")
) -> int:
    """Raise ``TestItemLeak`` if any record is of a test task or contains a test program; else return the count.
    A record is an ``Item`` or a mapping with an optional ``task`` and the code fields."""
    test = test_tasks()
    programs = _test_programs()
    count = 0
    for record in records:
        data: Mapping[str, Any] = record.to_json() if isinstance(record, Item) else record
        task = str(data.get("task", ""))
        if task in test:
            raise TestItemLeak(
                f"training data holds an item of the test task {task} ({data.get('name', '?')}); "
                "only dev tasks may be used (resources/eval/splits.toml)"
            )
        for field in code_fields:
            text = data.get(field)
            if isinstance(text, str) and text.strip() and _shape(text) in programs:
                raise TestItemLeak(
                    f"training data holds the {field} of a test item (task {task or 'unnamed'}, "
                    f"{data.get('name', '?')}); only dev tasks may be used"
                )
        count += 1
    return count
