"""The one evaluation item: a buggy program with a fix, for the benchmark, the arena and training alike.

``Item`` is a line of an items file (``{"task", "name", "code", "fix"}``, optionally ``"kind"``, the kind of bug;
``set`` is the set it came from). ``Pair`` is the same item as training uses it: its ``set`` is the source it was
collected from (``Pair.source``), and it carries the first failing test of its buggy program.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tutor.eval.cache import item_key
from tutor.jsonl import write_jsonl
from tutor.runner.report import TestResult


class SetError(ValueError):
    """A set or items file that cannot be used; one line."""


@dataclass(frozen=True)
class Item:
    task: str
    name: str
    code: str
    fix: str
    kind: str = ""
    set: str = ""

    @property
    def key(self) -> str:
        return item_key(self.task, self.name, self.code)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(Item)}
        return {k: v for k, v in data.items() if v != "" or k in ("code", "fix")}

    def record(self) -> dict[str, str]:
        """What the split gate reads (``tutor.eval.splits.refuse_test_items``)."""
        return {"task": self.task, "name": self.name, "code": self.code, "fix": self.fix}


@dataclass(frozen=True, init=False)
class Pair(Item):
    """A training pair: an ``Item`` from a source (``source`` is its ``set``) with its first failing test."""

    failure: TestResult = field(kw_only=True)

    def __init__(
        self,
        source: str = "",
        task: str = "",
        name: str = "",
        code: str = "",
        fix: str = "",
        kind: str = "",
        failure: TestResult | None = None,
        *,
        set: str = "",  # noqa: A002 - the field's name, as ``dataclasses.replace`` passes it
    ) -> None:
        """``Pair(source, task, name, code, fix, kind, failure)``, the order training has always written."""
        if failure is None:
            raise TypeError("a Pair needs the first failing test of its buggy program")
        super().__init__(task, name, code, fix, kind, set or source)
        object.__setattr__(self, "failure", failure)

    @property
    def source(self) -> str:
        return self.set


def read_items(path: Path, set_name: str = "") -> list[Item]:
    """Items from a JSONL file; a bad line is refused with its line number (a name defaults to ``line{N}``, N
    counting blank lines too, so it is kept as the one reader of items files)."""
    if not path.is_file():
        raise SetError(f"items file not found: {path}")
    items: list[Item] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(
                Item(
                    task=str(data["task"]),
                    name=str(data.get("name") or f"line{number}"),
                    code=str(data["code"]),
                    fix=str(data["fix"]),
                    kind=str(data.get("kind", "")),
                    set=set_name or str(data.get("set", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SetError(
                f"{path}:{number}: not an item ({type(exc).__name__}: {exc}); "
                'expected {"task", "name", "code", "fix"}'
            ) from None
    return items


def write_items(path: Path, items: list[Item]) -> None:
    write_jsonl(path, [i.to_json() for i in items])
