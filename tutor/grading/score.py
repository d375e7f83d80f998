"""Scores: points per test (equal by default, partial credit per passing test, hidden tests), rubric items, and
the teacher's overrides, which always win.

The overrides file is a CSV the teacher writes (``student,item,points,comment``; ``item`` is a test number, a
rubric item id, or ``total``). The grader only reads it: it is never rewritten, so a re-run keeps every override.
Every row is checked: a row without a student or an item, or whose points are not a finite number of 0 or more,
stops the run before any work (the message lists each such line); a row for an unknown student or item, or with
more points than the item's (or the total's) maximum, is not applied and becomes a warning naming its line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.grading.batch import Outcome
from tutor.grading.rubric import ItemResult, Rubric
from tutor.grading.submissions import display_name

OVERRIDES_NAME = "overrides.csv"
OVERRIDE_HEADER = ["student", "item", "points", "comment"]


class OverrideError(ValueError):
    """The overrides file has rows the grader cannot read; the message names each line."""


@dataclass(frozen=True)
class Override:
    """One row of the teacher's overrides file (``line`` is its line number in the file)."""

    line: int
    student: str
    item: str
    points: float
    comment: str = ""


@dataclass
class TestScore:
    __test__ = False

    number: int
    name: str
    points: float
    max_points: float
    status: str
    output: str
    hidden: bool
    raw: dict[str, Any] = field(default_factory=dict)  # the runner's TestResult fields


@dataclass
class Grade:
    """One student's grade sheet row."""

    student: str
    status: str
    message: str
    tests: list[TestScore]
    items: list[ItemResult] = field(default_factory=list)
    overridden: dict[str, str] = field(default_factory=dict)  # item -> the teacher's comment
    total_override: float | None = None
    feedback: str = ""
    feedback_source: str = ""
    group: int = 0
    code: str = ""
    result: str = ""  # what happened, for people (``tutor.grading.status``): "failed all tests", ...

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests) + sum(i.max_points for i in self.items)

    @property
    def total(self) -> float:
        if self.total_override is not None:
            return self.total_override
        return sum(t.points for t in self.tests) + sum(i.points for i in self.items)

    @property
    def percent(self) -> float:
        return 100.0 * self.total / self.max_points if self.max_points else 0.0

    @property
    def visible_passed(self) -> int:
        return sum(t.status == "pass" for t in self.tests if not t.hidden)

    @property
    def failing(self) -> list[TestScore]:
        return [t for t in self.tests if t.status != "pass"]


def score(
    outcome: Outcome, rubric: Rubric, visible_count: int, items: list[ItemResult] | None = None
) -> Grade:
    """Points for each test (all or nothing per test; partial credit across tests) plus the rubric items."""
    points = rubric.test_points(visible_count)
    tests = []
    for number, (result, worth) in enumerate(zip(outcome.tests, points, strict=False), start=1):
        hidden = number in rubric.hidden or number > visible_count
        output = result.get("message") or ("" if result["status"] == "pass" else f"got {result.get('got')}")
        tests.append(
            TestScore(
                number,
                result["call"],
                worth if result["status"] == "pass" else 0.0,
                worth,
                result["status"],
                output,
                hidden,
                dict(result),
            )
        )
    return Grade(outcome.student, outcome.status, outcome.message, tests, list(items or []))


def read_overrides(path: Path) -> list[Override]:
    """The teacher's overrides; bad rows are one error naming each of their lines (nothing is guessed)."""
    if not path.is_file():
        return []
    overrides: list[Override] = []
    problems: list[str] = []
    try:
        reader = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
        for row in reader:
            override = _override(row, reader.line_num)
            if isinstance(override, str):
                problems.append(f"line {reader.line_num}: {override}")
            else:
                overrides.append(override)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OverrideError(f"cannot read {path}: {exc}") from None
    if problems:
        raise OverrideError(f"{path}: " + "; ".join(problems))
    return overrides


def _override(row: dict[str | Any, Any], number: int) -> Override | str:
    """The row as an override, or what is wrong with it."""
    student, item, points, comment = (row.get(k) for k in OVERRIDE_HEADER)
    if not isinstance(student, str) or not student.strip() or not isinstance(item, str) or not item.strip():
        return "needs a student and an item"
    text = points if isinstance(points, str) else ""
    try:
        value = float(text)
    except ValueError:
        return f"points must be a number (got {text[:20]!r})"
    if not math.isfinite(value) or value < 0:
        return f"points must be a number of 0 or more (got {text[:20]!r})"
    return Override(number, display_name(student), item.strip(), value, (comment or "").strip()[:500])


def ensure_overrides_file(folder: Path) -> Path:
    """Create an empty overrides file for the teacher if there is none; an existing one is never touched."""
    path = folder / OVERRIDES_NAME
    if not path.exists():
        path.write_text(",".join(OVERRIDE_HEADER) + "\n", encoding="utf-8")
    return path


def apply_overrides(grades: list[Grade], rows: list[Override]) -> list[str]:
    """Apply overrides in file order (a later row for the same item wins); a row for an unknown student or item,
    or above the item's maximum, is not applied and gives a warning instead."""
    by_student = {g.student: g for g in grades}
    warnings = []
    for row in rows:
        grade = by_student.get(row.student)
        where = f"{OVERRIDES_NAME}, line {row.line}"
        if grade is None:
            warnings.append(f"{where}: override for unknown student {row.student!r}; not applied")
            continue
        problem = _apply(grade, row)
        if problem:
            warnings.append(f"{where}: override for {row.student!r}: {problem}; not applied")
        else:
            grade.overridden[row.item] = row.comment
    return warnings


def _apply(grade: Grade, row: Override) -> str:
    """Apply one override to ``grade``, or say why it cannot be."""
    target: TestScore | ItemResult | None = None
    if row.item == "total":
        maximum = grade.max_points
    else:
        target = _target(grade, row.item)
        if target is None:
            return f"no test or rubric item {row.item!r}"
        maximum = target.max_points
    if row.points > maximum:
        return f"{row.points:g} points for {row.item!r} is more than its maximum, {maximum:g}"
    if target is None:
        grade.total_override = row.points
    else:
        target.points = row.points
    return ""


def _target(grade: Grade, item: str) -> TestScore | ItemResult | None:
    for test in grade.tests:
        if item in (str(test.number), test.name):
            return test
    return next((result for result in grade.items if item == result.id), None)


def summary(grades: list[Grade]) -> dict[str, Any]:
    percents = [g.percent for g in grades]
    statuses: dict[str, int] = {}
    results: dict[str, int] = {}
    for grade in grades:
        statuses[grade.status] = statuses.get(grade.status, 0) + 1
        result = (grade.result or grade.status).split(" (", 1)[0]
        results[result] = results.get(result, 0) + 1
    return {
        "students": len(grades),
        "mean_percent": round(sum(percents) / len(percents), 2) if percents else 0.0,
        "full_marks": sum(p >= 99.999 for p in percents),
        "statuses": statuses,  # the runner's: ok, syntax error, timeout, crash, or why a file was not run
        "results": results,  # what happened, for people: passed all, failed all tests, unchanged starter...
        "overridden": sum(bool(g.overridden) for g in grades),
    }
