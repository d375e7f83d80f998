"""Grading an exercise whose tests are programs (standard input in, standard output compared), with a hidden
test and a forbidden name: each student's grade follows the program's output, and nothing reveals the hidden
test's input in what the grader writes."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from tutor.exercises import Exercise, TestCase
from tutor.grading.grader import GradeRequest, grade
from tutor.runner import Limits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the OS sandbox is Linux's")

AREA = Exercise(
    id="area",
    title="Area of a rectangle",
    description="Read the width and the height, print the area.",
    entry="",
    tests=(
        TestCase(stdin="3\n4\n", stdout="12\n"),
        TestCase(stdin="2.5\n2\n", stdout="5.0\n", tolerance=0.01),
        TestCase(stdin="987654321\n2\n", stdout="1975308642\n", hidden=True),
    ),
    forbid=("eval",),
)
STUDENTS = {
    "ada": "w = input('Width: ')\nh = input('Height: ')\nprint(float(w) * float(h) if '.' in w + h else int(w) * int(h))\n",
    "bob": "w = int(input())\nh = int(input())\nprint(w + h)\n",
    "cy": "w = input()\nprint(w)\nh = input()\nz = input()\n",
    "dee": "print(eval(input()) * eval(input()))\n",
}


def test_grading_a_stdout_exercise(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for student, code in STUDENTS.items():
        (folder / f"{student}.py").write_text(code)
    out = tmp_path / "out"
    run = grade(GradeRequest(folder, AREA, out, workers=2, limits=Limits(per_test_s=2.0, total_s=6.0)))
    by = {g.student: g for g in run.grades}
    assert by["ada"].total == by["ada"].max_points == 3 and not by["ada"].failing
    assert [t.status for t in by["bob"].tests] == ["fail", "error", "fail"]  # 3+4, and int('2.5')
    assert by["bob"].total == 0
    assert [t.status for t in by["cy"].tests] == ["error"] * 3 and by["cy"].total == 0
    waiting = by["cy"].tests[0]
    assert "waited for input, but the test gave no more (it gave 2 lines)" in waiting.output + str(
        waiting.raw
    )
    assert by["dee"].total == 0 and "not to use eval()" in str(by["dee"].tests[0].raw)
    rows = {row[0]: row for row in csv.reader((out / "grades.csv").open())}
    assert set(STUDENTS) <= set(rows)
    for written in out.rglob("*"):
        if written.is_file() and written.suffix in (".csv", ".html", ".json", ".md", ".txt"):
            assert "987654321" not in written.read_text(errors="replace"), written
