"""The grading outputs: ``grades.csv`` (one header row that gives each item's points, then one row per student), one
Gradescope-style ``results/<name>-<hash>.json`` per student (``results/index.json`` maps each student to it),
``similar.csv``, ``summary.json`` and ``report.html``.

Student names come from the students (file names, JSON): a results file is named by a readable slug of the name
plus a short hash of the exact name, so no two students share one (``Zoë``/``Zoé``, ``a b``/``a_b``); a CSV cell
that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
the OWASP CSV-injection rule) is written with a leading ``'``. Numbers are written as they are.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.exercises import Exercise
from tutor.grading.report_html import write_html
from tutor.grading.score import Grade

if TYPE_CHECKING:
    from tutor.grading.run import GradeRun


def write_all(run: GradeRun, exercise: Exercise, out: Path) -> dict[str, str]:
    files = {
        "grades_csv": write_csv(run.grades, out / "grades.csv"),
        "results_dir": write_results(run.grades, out / "results"),
        "similar_csv": write_similar(run, out / "similar.csv"),
        "report_html": write_html(run, exercise, out / "report.html"),
    }
    files["summary_json"] = str(out / "summary.json")
    (out / "summary.json").write_text(
        json.dumps(run.summary() | {"files": files}, indent=2), encoding="utf-8"
    )
    return files


def _columns(grades: list[Grade]) -> tuple[list[str], list[str]]:
    """The test and rubric item columns, each with its points: ``test 2 (hidden, 1 pt)``."""
    first = grades[0] if grades else None
    tests = [
        f"test {t.number} (" + ("hidden, " if t.hidden else "") + f"{_points(t.max_points)})"
        for t in (first.tests if first else [])
    ]
    items = [f"{i.kind} {i.id} ({_points(i.max_points)})" for i in (first.items if first else [])]
    return tests, items


def write_csv(grades: list[Grade], path: Path) -> str:
    """One header row (each item's points in its name) and one row per student, nothing else: a spreadsheet
    sorts and averages every column as it is."""
    tests, items = _columns(grades)
    first = grades[0] if grades else None
    total = f"total ({_points(first.max_points)})" if first else "total"
    header = ["student", *tests, *items, total, "percent", "status", "overridden", "feedback"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(header)
        for grade in grades:
            writer.writerow(
                [
                    grade.student,
                    *[_num(t.points) for t in grade.tests],
                    *[_num(i.points) for i in grade.items],
                    _num(grade.total),
                    f"{grade.percent:.1f}",
                    grade.result or grade.status,
                    "; ".join(f"{k}: {v}" if v else k for k, v in grade.overridden.items()),
                    grade.feedback,
                ]
            )
    return str(path)


def _points(value: float) -> str:
    return f"{value:g} pt" + ("" if value == 1 else "s")


def results_json(grade: Grade) -> dict[str, Any]:
    """Gradescope's autograder ``results.json`` shape; hidden tests are ``after_published``."""
    tests: list[dict[str, Any]] = [
        {
            "name": f"Test {t.number}: {t.name}",
            "number": str(t.number),
            "score": t.points,
            "max_score": t.max_points,
            "status": "passed" if t.status == "pass" else "failed",
            "output": "" if t.status == "pass" else t.output,
            "visibility": "after_published" if t.hidden else "visible",
        }
        for t in grade.tests
    ]
    tests += [
        {
            "name": f"{i.kind}: {i.description}",
            "score": i.points,
            "max_score": i.max_points,
            "status": "passed" if i.passed else "failed",
            "output": i.note,
            "visibility": "visible",
        }
        for i in grade.items
    ]
    return {
        "score": round(grade.total, 4),
        "output": grade.feedback,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student": grade.student,
            "status": grade.status,
            "result": grade.result,
            "percent": round(grade.percent, 2),
            "feedback_source": grade.feedback_source,
            "group": grade.group,
            "overridden": grade.overridden,
        },
    }


def write_results(grades: list[Grade], folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    names = results_names([g.student for g in grades])
    for grade in grades:
        (folder / names[grade.student]).write_text(
            json.dumps(results_json(grade), indent=2), encoding="utf-8"
        )
    (folder / "index.json").write_text(json.dumps(names, indent=2, ensure_ascii=False), encoding="utf-8")
    return str(folder)


def results_names(students: Iterable[str]) -> dict[str, str]:
    """Each student's results file name: ``slug-hash.json``, unique even where the file system ignores case."""
    names: dict[str, str] = {}
    used: set[str] = {"index.json"}
    for student in students:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()
        for length in (8, 16, 64):
            name = f"{safe_name(student)}-{digest[:length]}.json"
            if name.casefold() not in used:
                break
        used.add(name.casefold())
        names[student] = name
    return names


def write_similar(run: GradeRun, path: Path) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(["first", "second", "similarity", "why", "shared_fingerprints", "note"])
        for pair in run.pairs:
            writer.writerow(
                [
                    pair.first,
                    pair.second,
                    pair.similarity,
                    pair.reason,
                    pair.shared,
                    "for review, not a verdict",
                ]
            )
    return str(path)


def safe_name(student: str) -> str:
    """A readable ASCII slug of a name (accents dropped, at most 40 characters); not unique on its own."""
    ascii_text = unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text)[:40].strip("._-") or "student"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'`` (numbers kept)."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, handle: Any) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])


def _num(value: float) -> str:
    return f"{value:g}"
