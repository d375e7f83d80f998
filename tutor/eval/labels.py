"""Blind human labels of benchmark hints: the questions to ask, the per-labeller store, export and import.

Used by ``tutor bench label`` (terminal) and the app's **Rate hints...** dialog; no Qt here.

- **Questions** come from a benchmark run folder (``tutor bench quality --out DIR``): its ``rows.jsonl``, or its
  generation cache when the run was stopped before writing rows. One question per distinct hint text on an item
  (the same text from two systems is asked once, and the label counts for both); the system that wrote it is
  never part of a question. The item's code, reference fix and task come from the bundled sets (or an items
  file), looked up by item key. Questions are shuffled with a seed, so every labeller sees the same order.
- **Labels** are stored one JSON object a line, per labeller, in ``DIR/labels/<labeller>.jsonl``, keyed by item
  and the sha256 of the hint text: ``{"item", "hint", "hint_sha256", "labels": {criterion: bool}, "HGood",
  "labeller", "comment", "time"}`` (the fields of ``resources/eval/judge-labels.*.jsonl``, which can be read
  too: their ``reason`` is taken as the comment). A labeller who stops resumes with the first unlabelled one.
- **Pooling**: ``export_labels`` writes every labeller's labels to one file; ``import_labels`` adds such files
  to a run folder's store, dropping duplicates (same labeller, item and hint hash).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.eval.cache import CACHE_NAME, GenerationCache
from tutor.eval.items import Item
from tutor.eval.label_rules import CRITERIA
from tutor.eval.sets import load_items_file, load_set
from tutor.eval.splits import split_of
from tutor.exercises import Exercise
from tutor.jsonl import read_jsonl, write_jsonl

LABELS_DIR = "labels"


class LabelError(ValueError):
    """A run folder or label file that cannot be used; one line."""


def hint_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Question:
    """One hint to label, with what a teacher needs to judge it, and no system name."""

    item: str
    hint: str
    sha: str
    task: str
    title: str
    description: str
    code: str
    fix: str
    failing_test: dict[str, Any] | None

    @property
    def key(self) -> tuple[str, str]:
        return self.item, self.sha


def read_run_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The hint rows of a benchmark run folder (``rows.jsonl``, else the hint records of its cache)."""
    rows_file, cache_file = run_dir / "rows.jsonl", run_dir / CACHE_NAME
    try:
        if rows_file.is_file():
            return read_jsonl(rows_file, "row")
        if cache_file.is_file():
            cache = GenerationCache(run_dir)
            return [r for name, _, r in cache.records() if not name.startswith("judge:") and "hint" in r]
    except (OSError, ValueError) as exc:
        raise LabelError(f"{run_dir}: cannot read the benchmark rows ({exc})") from None
    raise LabelError(f"{run_dir}: not a benchmark run folder (no rows.jsonl or {CACHE_NAME})")


def load_lookup(items_file: Path | None = None) -> tuple[dict[str, Item], dict[str, Exercise]]:
    """Items by key and exercises by task id: the bundled sets, plus ``items_file`` when given."""
    items, exercises = load_set("all")
    if items_file is not None:
        extra, more = load_items_file(items_file, [])
        items, exercises = [*items, *extra], {**exercises, **more}
    return {i.key: i for i in items}, exercises


def build_questions(
    rows: Iterable[dict[str, Any]],
    lookup: tuple[dict[str, Item], dict[str, Exercise]],
    split: str | None = None,
    seed: int = 0,
    limit: int | None = None,
) -> list[Question]:
    """The distinct (item, hint text) pairs of ``rows``, shuffled with ``seed``; only ``split``'s items when
    given, the first ``limit`` when given. Rows whose item is not found, or with no hint text, are left out."""
    items, exercises = lookup
    found: dict[tuple[str, str], Question] = {}
    for row in rows:
        text, item = (row.get("hint") or "").strip(), items.get(row.get("item", ""))
        if not text or item is None or item.task not in exercises:
            continue
        if split and split_of(item.task) != split:
            continue
        exercise = exercises[item.task]
        question = Question(
            item.key,
            text,
            hint_sha256(text),
            item.task,
            exercise.title,
            exercise.description,
            item.code,
            item.fix,
            row.get("failing_test"),
        )
        found.setdefault(question.key, question)
    ordered = [found[k] for k in sorted(found)]
    random.Random(seed).shuffle(ordered)
    return ordered[:limit] if limit else ordered


def safe_name(labeller: str) -> str:
    """A labeller's name as a file name (letters, digits, ``-``, ``_``, ``.``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", labeller.strip()).strip("._")
    if not name:
        raise LabelError("a labeller needs a name (letters or digits)")
    return name


def store_path(run_dir: Path, labeller: str) -> Path:
    return run_dir / LABELS_DIR / f"{safe_name(labeller)}.jsonl"


def default_labeller() -> str:
    import getpass

    try:
        return safe_name(getpass.getuser())
    except (OSError, KeyError, LabelError):
        return "teacher"


def make_label(
    item: str, hint: str, labels: dict[str, bool], labeller: str, comment: str = ""
) -> dict[str, Any]:
    """A label record (the store's and the export's line)."""
    if set(labels) != set(CRITERIA):
        raise LabelError(f"labels must be exactly {', '.join(CRITERIA)}")
    values = {c: bool(labels[c]) for c in CRITERIA}
    return {
        "item": item,
        "hint": hint,
        "hint_sha256": hint_sha256(hint),
        "labels": values,
        "HGood": all(values.values()),
        "labeller": labeller,
        "comment": comment.strip(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def read_label_file(path: Path, labeller: str | None = None) -> list[dict[str, Any]]:
    """Label records of a file (ours or the team's hand-label files), normalised; ``labeller`` names the rows
    that carry none (default: the file's name up to its first dot)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LabelError(f"{path}: cannot read ({exc})") from None
    found = []
    default = labeller or path.name.split(".")[0]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            record = make_label(
                str(row["item"]),
                str(row["hint"]).strip(),
                row["labels"],
                str(row.get("labeller") or default),
                str(row.get("comment") or row.get("reason") or ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LabelError(f"{path}:{number}: not a label ({exc})") from None
        record["time"] = row.get("time", "")
        found.append(record)
    return found


def label_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return record["labeller"], record["item"], record["hint_sha256"]


def dedupe(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first record of each (labeller, item, hint hash)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in records:
        seen.setdefault(label_key(record), record)
    return list(seen.values())


def read_labels(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every label of these files (folders: their ``*.jsonl``), pooled and deduplicated."""
    records: list[dict[str, Any]] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            records += read_label_file(file)
    return dedupe(records)


def _append(path: Path, records: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class LabelStore:
    """One labeller's labels in one run folder: what is done, and adding a label (written at once)."""

    def __init__(self, run_dir: Path, labeller: str) -> None:
        self.labeller = safe_name(labeller)
        self.path = store_path(run_dir, self.labeller)
        found = read_label_file(self.path, self.labeller) if self.path.is_file() else []
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        for record in found:  # the first label of a hint counts (as in dedupe)
            self.records.setdefault((record["item"], record["hint_sha256"]), record)

    def done(self, question: Question) -> bool:
        return question.key in self.records

    def pending(self, questions: list[Question]) -> list[Question]:
        return [q for q in questions if not self.done(q)]

    def add(self, question: Question, labels: dict[str, bool], comment: str = "") -> dict[str, Any]:
        record = make_label(question.item, question.hint, labels, self.labeller, comment)
        _append(self.path, [record])
        self.records[question.key] = record
        return record


def export_labels(run_dir: Path, out: Path, labeller: str | None = None) -> int:
    """Write the run folder's labels (every labeller's, or one's) to ``out``; returns how many."""
    folder = run_dir / LABELS_DIR
    files = [store_path(run_dir, labeller)] if labeller else sorted(folder.glob("*.jsonl"))
    records = dedupe(r for f in files if f.is_file() for r in read_label_file(f))
    return write_jsonl(out, records)


def import_labels(run_dir: Path, files: Iterable[Path], labeller: str | None = None) -> dict[str, int]:
    """Add the labels of ``files`` to the run folder's per-labeller stores. Returns counts: ``added``,
    ``duplicates`` (already there, same labels) and ``conflicts`` (already there with other labels: kept)."""
    counts = {"added": 0, "duplicates": 0, "conflicts": 0}
    incoming = dedupe(r for f in files for r in read_label_file(f, labeller))
    by_labeller: dict[str, list[dict[str, Any]]] = {}
    for record in incoming:
        by_labeller.setdefault(safe_name(record["labeller"]), []).append(record)
    for name, records in by_labeller.items():
        store = LabelStore(run_dir, name)
        new = []
        for record in records:
            old = store.records.get((record["item"], record["hint_sha256"]))
            if old is None:
                new.append(dict(record, labeller=name))
                store.records[(record["item"], record["hint_sha256"])] = record
                counts["added"] += 1
            else:
                counts["duplicates" if old["labels"] == record["labels"] else "conflicts"] += 1
        _append(store.path, new)
    return counts


def failing_test_text(failing: dict[str, Any] | None) -> str:
    """The first failing test as the learner saw it (one or two lines)."""
    if not failing:
        return "(no failing test recorded)"
    call = failing.get("call") or "the program"
    if failing.get("status") in ("error", "timeout"):
        where = f" on line {failing['line']}" if failing.get("line") else ""
        return f"{call}: {failing['status']}{where}: {failing.get('message') or ''}".rstrip(": ")
    text = f"{call}: expected {failing.get('expected')}, got {failing.get('got')}"
    return f"{text} ({failing['message']})" if failing.get("message") else text


class LabelSession:
    """The labelling flow, shared by the terminal and the app: the questions not yet labelled, in order,
    the position ("12 of 80") and answering or skipping the current one."""

    def __init__(self, questions: list[Question], store: LabelStore) -> None:
        self.questions, self.store = questions, store
        self.queue = store.pending(questions)
        self.index = 0

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def labelled(self) -> int:
        return sum(self.store.done(q) for q in self.questions)

    def current(self) -> Question | None:
        return self.queue[self.index] if self.index < len(self.queue) else None

    def position(self) -> str:
        """``"12 of 80"``: the number the current hint would get, of all the hints to label."""
        return f"{min(self.labelled + 1, self.total)} of {self.total}"

    def answer(self, labels: dict[str, bool], comment: str = "") -> dict[str, Any]:
        question = self.current()
        if question is None:
            raise LabelError("every hint is labelled")
        record = self.store.add(question, labels, comment)
        self.index += 1
        return record

    def skip(self) -> None:
        self.index += 1
