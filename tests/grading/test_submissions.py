"""Every kind of submission and broken file gets its row and a status; a hang or a crash never stops the batch."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tutor.exercises import Exercise
from tutor.grading.grader import GradeRequest, grade
from tutor.grading.submissions import SubmissionsError, read_submissions
from tutor.runner import Limits

from .conftest import CORRECT, OFF_BY_ONE, write_class

FAST = Limits(per_test_s=0.5, total_s=4.0)
EXPECTED_STATUS = {
    "alice": "ok",
    "bob": "ok",
    "carol": "empty",
    "dave": "binary",
    "erin": "non-utf8",
    "frank": "syntax error",
    "grace": "timeout",
    "heidi": "crash",
    "ivan": "too large",
    "judy": "ok",
}


def test_reading_classifies_each_file(tmp_path: Path) -> None:
    found = {s.student: s for s in read_submissions(write_class(tmp_path / "class"), entry="search")}
    assert set(found) == set(EXPECTED_STATUS)
    assert found["judy"].code == CORRECT  # the file that defines the entry function, not helpers.py
    assert "byte 0xe9 on line 2" in found["erin"].message
    assert found["frank"].status == "syntax error" and "line 1" in found["frank"].message
    assert all(len(s.sha256) == 64 for s in found.values() if s.status != "too large")


def test_a_broken_class_is_graded_row_by_row(tmp_path: Path, search: Exercise) -> None:
    out = tmp_path / "out"
    run = grade(GradeRequest(write_class(tmp_path / "class"), search, out, workers=2, limits=FAST))
    by_student = {g.student: g for g in run.grades}
    assert {s: g.status for s, g in by_student.items()} == EXPECTED_STATUS
    assert by_student["alice"].percent == 100 and by_student["judy"].percent == 100
    assert 0 < by_student["bob"].percent < 100
    for student in ("carol", "dave", "erin", "frank", "grace", "heidi", "ivan"):
        assert by_student[student].percent == 0 and by_student[student].feedback
    assert "colon" in by_student["frank"].feedback
    rows = (out / "grades.csv").read_text().splitlines()
    # one header row (each test's points in its name), then one row per student: nothing else to sort around
    assert rows[0].startswith("student,test 1 (1 pt),test 2 (1 pt),") and "total (11 pts)" in rows[0]
    assert len(rows) == 1 + len(EXPECTED_STATUS) and "points per item" not in "".join(rows)
    results = {g.student: g.result for g in run.grades}
    assert results["alice"] == "passed all" and results["bob"].startswith("partly passed (")
    assert (results["frank"], results["grace"], results["heidi"]) == ("syntax error", "timed out", "crashed")
    assert results["carol"] == "empty file"
    index = json.loads((out / "results" / "index.json").read_text())
    assert set(index) == set(EXPECTED_STATUS)
    result = json.loads((out / "results" / index["bob"]).read_text())
    assert result["score"] == sum(t["score"] for t in result["tests"])
    assert {t["visibility"] for t in result["tests"]} == {"visible"}
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in result["tests"])
    assert "Teacher only" in (out / "report.html").read_text()


def test_zip_and_jsonl_sources(tmp_path: Path, search: Exercise) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("lab3/ann.py", CORRECT)
        handle.writestr("lab3/ben/solution.py", OFF_BY_ONE)
        handle.writestr("__MACOSX/lab3/._ann.py", "junk")
    assert {s.student: s.status for s in read_submissions(archive, entry="search")} == {
        "ann": "ok",
        "ben": "ok",
    }
    lines = tmp_path / "class.jsonl"
    lines.write_text(
        json.dumps({"student": "cy", "code": CORRECT})
        + "\nnot json\n"
        + json.dumps({"student": "di", "code": "def search(x, seq):\n  return 0\x00"})
        + "\n"
        + json.dumps({"name": "other", "task": "refactory/q2", "code": "x = 1"})
        + "\n"
    )
    found = {s.student: s.status for s in read_submissions(lines, exercise_id=search.id)}
    assert found == {"cy": "ok", "line 2": "unreadable", "di": "binary"}


def test_bad_sources_say_so(tmp_path: Path) -> None:
    with pytest.raises(SubmissionsError, match="does not exist"):
        read_submissions(tmp_path / "nowhere")
    (tmp_path / "grades.pdf").write_bytes(b"%PDF")
    with pytest.raises(SubmissionsError, match="not a folder, a zip or a JSONL"):
        read_submissions(tmp_path / "grades.pdf")
