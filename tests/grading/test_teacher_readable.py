"""Grading a teacher can read (issue 26): rubric typos refused with file and line before any grading, statuses
that say what happened, similarity that sets the starter aside and says why, report wording without jargon, and
feedback suggestions that fit the function's parameters. Real programs, graded in the real sandbox, no model."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.exercises import load_bundled
from tutor.grading.grader import GradeRequest, grade
from tutor.grading.rubric import RubricError, load_rubric
from tutor.grading.similarity import similar_pairs
from tutor.grading.suggest import edge_cases
from tutor.grading.wording import plural, smallest_change

from ..conftest import ROOT

PACK = load_bundled()
FIZZBUZZ = PACK.find("fizzbuzz")

WRONG_ORDER = FIZZBUZZ.starter  # % 15 checked last: passes some tests
NOTHING_RIGHT = """def fizzbuzz(n):
    return "fizz" if n % 3 == 0 else n
"""
TOUCHED_STARTER = "# my answer\n" + FIZZBUZZ.starter.replace('"Fizz"', "'Fizz'") + "\n\n"
ONE_LINE_WRONG = FIZZBUZZ.solution.replace("n % 5 == 0", "n % 5 == 1")


def test_rubric_typos_are_refused_with_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rubric.toml"
    for text, words in (
        ("[tests]\npoints = [1, 1]\nhiden = [2]\n", "line 3: unknown key tests.hiden; did you mean hidden?"),
        ("[tests]\nhidden = [9]\n", "line 2: tests.hidden names test 9, but the exercise has 7 tests"),
        (
            "[tests]\npoints = [1, 1, 1, 1, 1, 1, 1, 1, 1]\n",
            "line 2: tests.points has 9 values but the exercise has 7",
        ),
        ("[[check]]\nid = 'a'\nuse = 'loop'\n", "line 3: unknown key check[1].use; did you mean uses?"),
        ("\n[test]\npoints = [1]\n", "line 2: unknown section [test]; did you mean tests?"),
        ('[tests]\nhidden = ["2"]\n', "line 2: tests.hidden must be a list of whole numbers of 1 or more"),
        (
            "[[check]]\nid = 'a'\nuses = 'loop'\n[[judge]]\nid = 'a'\nquestion = 'Q?'\n",
            "line 4: the id 'a' is used twice",
        ),
        (
            "[[check]]\nid = 'a'\nuses = 'loop'\n\n[[check]]\nuses = 'for'\n",
            "line 5: [[check]] number 2 needs an id",
        ),
    ):
        path.write_text(text)
        with pytest.raises(RubricError, match=re.escape("rubric.toml, " + words)):
            load_rubric(path, len(FIZZBUZZ.tests))
    path.write_text(
        "[tests]\npoints = [2, 2]\nhidden = [5]\n[[tests.extra]]\ncall = 'fizzbuzz(0)'\n"
        "expected = \"'FizzBuzz'\"\n"
    )
    rubric = load_rubric(path, len(FIZZBUZZ.tests))  # fewer values than tests: the others are worth 1
    assert rubric.test_points(5) == [2, 2, 1, 1, 1, 1] and rubric.hidden == {5}


def test_tutor_grade_stops_on_a_rubric_typo_before_grading(tmp_path: Path) -> None:
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.py").write_text(FIZZBUZZ.solution)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[tests]\nhiden = [2]\n")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "grade", str(tmp_path / "class"), "-e", "fizzbuzz", "--no-model",
         "--rubric", str(rubric), "--out", str(out)],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"{rubric}, line 2: unknown key tests.hiden; did you mean hidden?" in result.stderr
    assert not out.exists()  # nothing was graded


@pytest.fixture(scope="module")
def fizz_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("fizz")
    source = folder / "class"
    source.mkdir()
    for name, code in (
        ("ann", FIZZBUZZ.solution),
        ("ben", TOUCHED_STARTER),
        ("cat", NOTHING_RIGHT),
        ("dan", WRONG_ORDER.replace("n % 3 == 0", "n % 3 == 0 and n > 0")),  # the starter's bug, edited
        ("eve", "def fizzbuzz(n):\n    while True:\n        pass\n"),
        ("fay", "def fizzbuzz(n)\n    return n\n"),
        ("gus", ONE_LINE_WRONG),
    ):
        (source / f"{name}.py").write_text(code)
    run = grade(GradeRequest(source, FIZZBUZZ, folder / "out", workers=2))
    return folder / "out", run


def test_statuses_say_what_happened(fizz_class: tuple[Path, object]) -> None:
    out, run = fizz_class
    results = {g.student: g.result for g in run.grades}  # type: ignore[attr-defined]
    assert results["ann"] == "passed all"
    assert results["ben"] == "unchanged starter"  # a comment, other quotes and blank lines do not hide it
    ben = next(g for g in run.grades if g.student == "ben")  # type: ignore[attr-defined]
    assert ben.feedback.startswith("You handed in the starter file unchanged. You pass ")
    assert (
        "The branch on line 7 can never run" in ben.feedback
    )  # the starter's own bug, named (line 1 is a comment)
    assert results["cat"] == "failed all tests"  # not "ok" at 0 %
    assert results["dan"].startswith("partly passed (") and results["dan"].endswith(
        " of 7 tests)"
    )  # 5 visible, 2 hidden
    assert (results["eve"], results["fay"]) == ("timed out", "syntax error")
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert {r["student"]: r["status"] for r in rows} == results
    assert all(r["student"] != "points per item" for r in rows) and len(rows) == 7
    assert rows[0]["total (7 pts)"] == "7"


def test_report_wording_is_plain(fizz_class: tuple[Path, object]) -> None:
    out, run = fizz_class
    labels = " ".join(g.label for g in run.groups)  # type: ignore[attr-defined]
    assert "nearest passing repair changes" not in labels and "statement" not in labels
    assert "The smallest change that makes it pass changes a number on line 6." in labels  # gus: % 5 == 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "1 students" not in html and "<td>1 student</td>" in html
    assert plural(1, "student") == "1 student" and plural(2, "student") == "2 students"
    assert smallest_change("x = 1\n", "x = 1\ny = 2\n").startswith(
        "The smallest change that makes it pass adds"
    )


def test_full_marks_get_no_suggestion_and_suggestions_fit_the_parameters(
    fizz_class: tuple[Path, object],
) -> None:
    _, run = fizz_class
    ann = next(g for g in run.grades if g.student == "ann")  # type: ignore[attr-defined]
    assert ann.feedback == "You pass 7 of 7 tests. Well done: your program passes every test."
    assert edge_cases(FIZZBUZZ) == "0 and a negative number"  # fizzbuzz(n) takes a number: no "empty one"
    assert edge_cases(PACK.find("greeting")).startswith('the empty text ""')
    assert edge_cases(PACK.find("sum_of_evens")).startswith("the empty list []")


def test_hidden_failures_suggest_inputs_of_the_parameter_type(tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[[tests.extra]]\ncall = 'fizzbuzz(-3)'\nexpected = \"'Fizz'\"\n")
    source = tmp_path / "class"
    source.mkdir()
    positive_only = FIZZBUZZ.solution.replace(
        "def fizzbuzz(n):\n", "def fizzbuzz(n):\n    if n < 0:\n        return ''\n"
    )
    (source / "hal.py").write_text(positive_only)
    run = grade(
        GradeRequest(source, FIZZBUZZ, tmp_path / "out", load_rubric(rubric, len(FIZZBUZZ.tests)), workers=1)
    )
    feedback = run.grades[0].feedback
    assert "extra tests still fail" in feedback and "0 and a negative number" in feedback
    assert "empty" not in feedback


STUB = "def fizzbuzz(n):\n    # write your code here\n    return str(n)\n"
LONGER = """def fizzbuzz(n):
    if n % 15 == 0:
        answer = "FizzBuzz"
    elif n % 3 == 0:
        answer = "Fizz"
    elif n % 5 == 0:
        answer = "Buzz"
    else:
        answer = str(n)
    return answer
"""
OTHER = """def fizzbuzz(n):
    words = ""
    if n % 3 == 0:
        words += "Fizz"
    if n % 5 == 0:
        words += "Buzz"
    if not words:
        words = str(n)
    return words
"""


def test_similarity_sets_the_starter_aside_and_says_why() -> None:
    renamed = LONGER.replace("answer", "result").replace("(n)", "(k)").replace("n %", "k %")
    almost = renamed.replace('"Buzz"', '"buzz"')
    programs = [("ann", LONGER), ("bob", renamed), ("cy", OTHER), ("dee", almost), ("di", STUB), ("ed", STUB)]
    by_pair = {(p.first, p.second): p for p in similar_pairs(programs, starter=STUB)}
    assert by_pair[("ann", "bob")].similarity == 1.0
    assert (
        by_pair[("ann", "bob")].reason == "same 9 of 9 lines after renaming; 1 line of the starter set aside"
    )
    assert 0.8 <= by_pair[("ann", "dee")].similarity < 1.0
    assert by_pair[("ann", "dee")].reason.startswith("same 8 of 9 lines after renaming")
    assert not [p for p in by_pair if "cy" in p]  # a different program is not flagged, let alone 100 %
    assert ("di", "ed") not in by_pair  # two untouched starters share only what every student was given


def test_a_fixed_bug_starter_is_not_evidence() -> None:
    """fizzbuzz's starter has every line of the solution (in the wrong order): two fixes share only those."""
    pairs = similar_pairs([("ann", FIZZBUZZ.solution), ("bob", FIZZBUZZ.solution)], starter=FIZZBUZZ.starter)
    assert pairs == []
    assert similar_pairs([("ann", FIZZBUZZ.solution), ("bob", FIZZBUZZ.solution)])[0].similarity == 1.0
