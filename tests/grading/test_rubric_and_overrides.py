"""Rubric checks read from the code's structure, test points and hidden tests, and teacher overrides that win."""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import pytest

from tutor.exercises import Exercise
from tutor.grading.grader import GradeRequest, grade
from tutor.grading.rubric import RubricError, load_rubric, uses
from tutor.grading.score import OVERRIDE_HEADER

from .conftest import CORRECT, OFF_BY_ONE

RECURSIVE = """def search(x, seq):
    if not seq or x <= seq[0]:
        return 0
    return 1 + search(x, seq[1:])
"""

RUBRIC = """
[tests]
points = [2, 2]       # the first two tests are worth 2, the other nine 1 each
hidden = [11]
[[tests.extra]]
call = "search(100, (1, 2, 3))"
expected = "3"
points = 3

[[check]]
id = "recursive"
uses = "recursion"
points = 2
[[check]]
id = "no-sort"
avoids = "builtin:sorted"
points = 1
[[check]]
id = "short"
max_lines = 4
points = 1
"""


def test_structural_checks() -> None:
    loop, recursive = ast.parse(CORRECT), ast.parse(RECURSIVE)
    assert uses(loop, "loop") and uses(loop, "for") and not uses(loop, "while")
    assert not uses(loop, "recursion") and uses(recursive, "recursion")
    assert (
        uses(loop, "builtin:enumerate") and uses(loop, "builtin:len") and not uses(recursive, "builtin:len")
    )
    assert uses(loop, "function:search") and not uses(loop, "function:find")
    assert uses(ast.parse("import math\nfrom os import path\n"), "import:os")
    assert uses(ast.parse("x = [i for i in range(3)]"), "comprehension")


def test_bad_rubrics_name_the_problem(tmp_path: Path) -> None:
    for text, words in (
        ("[[check]]\nid = 'a'\nuses = 'goto'\n", "'goto' is not one of"),
        ("[[check]]\nid = 'a'\n", "exactly one of"),
        ("[tests]\npoints = ['x']\n", "tests.points must be a list of numbers"),
        ("[grading]\n", "unknown section"),
        ("[tests\n", "not valid TOML"),
    ):
        path = tmp_path / "rubric.toml"
        path.write_text(text)
        with pytest.raises(RubricError, match=words):
            load_rubric(path)


def test_points_hidden_tests_checks_and_overrides(tmp_path: Path, search: Exercise) -> None:
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text(RUBRIC)
    rubric = load_rubric(rubric_path)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "loop.py").write_text(CORRECT)
    (folder / "rec.py").write_text(RECURSIVE)
    (folder / "off.py").write_text(OFF_BY_ONE)
    out = tmp_path / "out"
    run = grade(GradeRequest(folder, search, out, rubric))
    by = {g.student: g for g in run.grades}
    # 2 + 2 + 9 x 1 for the exercise's tests, 3 for the extra hidden test, 2 + 1 + 1 for the checks
    assert by["loop"].max_points == 13 + 3 + 4
    assert [t.hidden for t in by["loop"].tests] == [False] * 10 + [True, True]
    assert by["loop"].total == 16 + 0 + 1 + 0  # all tests; not recursive; no sorted(); 5 lines > 4
    assert by["rec"].total == 16 + 2 + 1 + 1
    off = by["off"]
    failing = {t.number for t in off.failing}
    assert failing and off.total == 16 - sum(t.max_points for t in off.tests if t.number in failing) + 1
    # the teacher overrides one test of off.py and the total of rec.py; a re-run keeps both
    overrides = out / "overrides.csv"
    assert overrides.read_text().strip() == ",".join(OVERRIDE_HEADER)
    first_failing = min(failing)
    with overrides.open("a", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["off", str(first_failing), "0.5", "right idea, see the boundary"]
        )  # within the test's maximum
        writer.writerow(["rec", "total", "12", "recursion was not allowed in this lab"])
        writer.writerow(["nobody", "total", "1", ""])
    text_before = overrides.read_text()
    again = grade(GradeRequest(folder, search, out, rubric))
    by = {g.student: g for g in again.grades}
    assert by["rec"].total == 12 and "total" in by["rec"].overridden
    assert by["off"].total == off.total + 0.5 and by["off"].overridden[str(first_failing)]
    assert again.warnings == ["overrides.csv, line 4: override for unknown student 'nobody'; not applied"]
    assert again.cached == 3  # nothing ran again: same code, same settings
    assert overrides.read_text() == text_before
    rows = {r[0]: r for r in csv.reader((out / "grades.csv").open())}
    assert rows["rec"][-5] == "12" and "recursion was not allowed" in rows["rec"][-2]
