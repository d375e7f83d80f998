"""Graded feedback and a judged rubric item with the real default model (small: a few groups)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.exercises import Exercise
from tutor.feedback.guard import check_hint
from tutor.grading.grader import GradeRequest, grade
from tutor.grading.rubric import load_rubric

from .conftest import CORRECT, OFF_BY_ONE


@pytest.mark.slow
def test_model_writes_once_per_group_and_every_text_passes_the_guard(
    tmp_path: Path, search: Exercise, engine
) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"student": "a1", "code": CORRECT},
        {"student": "b1", "code": OFF_BY_ONE},
        {"student": "b2", "code": OFF_BY_ONE.replace("item", "v")},
        {"student": "c1", "code": "def search(x, seq):\n    return seq.index(x)\n"},
    ]
    source = tmp_path / "class.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[[judge]]\nid = "loop"\nquestion = "Does the program use a loop?"\npoints = 1\n')
    run = grade(GradeRequest(source, search, tmp_path / "out", load_rubric(rubric), engine=engine, repairs=0))
    by = {g.student: g for g in run.grades}
    assert by["b1"].group == by["b2"].group != by["c1"].group  # same failure signature, one group
    assert len(run.groups) == 2 and all(g.seconds > 0 for g in run.groups)  # the model ran once per group
    summary = run.summary()["model_feedback"]
    assert summary["groups"] == 2 and summary["mean_s"] > 0
    for student in ("b1", "b2", "c1"):
        grade_ = by[student]
        assert grade_.feedback_source in ("model", "analysis") and grade_.feedback
        nearest = run.nearest[student].code
        leaks = [
            r
            for r in check_hint(grade_.feedback, nearest, grade_.code).reasons
            if r.startswith("contains a line") or r.startswith("contains the avoided")
        ]
        assert not leaks, (student, grade_.feedback)
    for student in ("a1", "c1"):  # a 270M base model's verdicts are reported, not asserted to be right
        item = next(i for i in by[student].items if i.id == "loop")
        assert item.passed is not None and item.note == ""
        assert item.probability is not None and 0.0 <= item.probability <= 1.0
        assert item.passed == (item.probability >= 0.5)  # greedy grammar verdict = the likelier answer
        assert item.points == (1.0 if item.passed else 0.0)
    for student in ("b1", "c1"):  # a broken-down program is still judged; a file that does not run is not
        assert any(i.id == "loop" for i in by[student].items)
