"""The generation cache of the quality benchmark, keyed by (system, item), kept in the output folder.

One JSON object a line in ``DIR/cache.jsonl``, appended and flushed as each result arrives, so a run that is
stopped (or crashes) resumes where it stopped: a later run with the same output folder skips every (system, item)
already there. The item key includes a hash of the item's code, so an edited item is generated again.
Judge verdicts are cached the same way under the system name ``judge:<judge>|<system>``.

Stable API (used by the arena): ``item_key(task, name, code)``, ``GenerationCache(folder)`` with
``get(system, key)``, ``put(system, key, record)``, ``__contains__((system, key))``, ``records(system=None)``.
A record is any JSON-serialisable dict; the benchmark stores its per-item row (``scoring.Row``) there.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CACHE_NAME = "cache.jsonl"


def item_key(task: str, name: str, code: str) -> str:
    """``task/name#hash``: stable across runs, different when the buggy code changes."""
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:10]
    return f"{task}/{name}#{digest}"


class GenerationCache:
    """Append-only (system, item) -> record store; the last record written for a pair wins."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / CACHE_NAME
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self.skipped_lines = 0
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                self._records[(entry["system"], entry["item"])] = entry["record"]
            except (ValueError, KeyError, TypeError):
                self.skipped_lines += 1  # a line cut short by a crash: generated again

    def get(self, system: str, key: str) -> dict[str, Any] | None:
        return self._records.get((system, key))

    def __contains__(self, pair: object) -> bool:
        return pair in self._records

    def __len__(self) -> int:
        return len(self._records)

    def put(self, system: str, key: str, record: dict[str, Any]) -> None:
        line = json.dumps({"system": system, "item": key, "record": record}, ensure_ascii=False)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._records[(system, key)] = record

    def records(self, system: str | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(system, item key, record)`` for every cached pair (of one system when given)."""
        for (name, key), record in self._records.items():
            if system is None or name == system:
                yield name, key, record
