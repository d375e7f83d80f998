"""Scores: points per test (equal by default, partial credit per passing test, hidden tests), rubric items, and
the teacher's overrides, which always win.

The overrides file is a CSV the teacher writes (``student,item,points,comment``; ``item`` is a test number, a
rubric item id, or ``total``). The grader only reads it: it is never rewritten, so a re-run keeps every override.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.grading.batch import Outcome
from tutor.grading.rubric import ItemResult, Rubric

OVERRIDES_NAME = "overrides.csv"
OVERRIDE_HEADER = ["student", "item", "points", "comment"]


class OverrideError(ValueError):
    pass


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


def read_overrides(path: Path) -> list[dict[str, str]]:
    """The teacher's overrides; a bad row is an error naming its line (nothing is guessed)."""
    if not path.is_file():
        return []
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OverrideError(f"cannot read {path}: {exc}") from None
    for number, row in enumerate(rows, start=2):
        if not row.get("student") or not row.get("item"):
            raise OverrideError(f"{path}, line {number}: needs a student and an item")
        try:
            float(row.get("points") or "")
        except ValueError:
            raise OverrideError(f"{path}, line {number}: points must be a number") from None
    return rows


def ensure_overrides_file(folder: Path) -> Path:
    """Create an empty overrides file for the teacher if there is none; an existing one is never touched."""
    path = folder / OVERRIDES_NAME
    if not path.exists():
        path.write_text(",".join(OVERRIDE_HEADER) + "\n", encoding="utf-8")
    return path


def apply_overrides(grades: list[Grade], rows: list[dict[str, str]]) -> list[str]:
    """Apply overrides in file order (a later row for the same item wins); returns warnings for unknown targets."""
    by_student = {g.student: g for g in grades}
    warnings = []
    for row in rows:
        grade = by_student.get(row["student"])
        item, points, comment = row["item"].strip(), float(row["points"]), (row.get("comment") or "").strip()
        if grade is None:
            warnings.append(f"override for unknown student {row['student']!r}")
        elif item == "total":
            grade.total_override = points
            grade.overridden["total"] = comment
        elif not _override_item(grade, item, points):
            warnings.append(f"override for {row['student']!r}: no test or rubric item {item!r}")
        else:
            grade.overridden[item] = comment
    return warnings


def _override_item(grade: Grade, item: str, points: float) -> bool:
    for test in grade.tests:
        if item in (str(test.number), test.name):
            test.points = points
            return True
    for result in grade.items:
        if item == result.id:
            result.points = points
            return True
    return False


def summary(grades: list[Grade]) -> dict[str, Any]:
    percents = [g.percent for g in grades]
    statuses: dict[str, int] = {}
    for grade in grades:
        statuses[grade.status] = statuses.get(grade.status, 0) + 1
    return {
        "students": len(grades),
        "mean_percent": round(sum(percents) / len(percents), 2) if percents else 0.0,
        "full_marks": sum(p >= 99.999 for p in percents),
        "statuses": statuses,
        "overridden": sum(bool(g.overridden) for g in grades),
    }
