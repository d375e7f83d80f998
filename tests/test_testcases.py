"""Reading the test kinds from a pack's TOML and a JSONL task: the fields of each kind, and a clear field error for
every combination that cannot work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.exercises import TestCase, load_pack, load_tasks
from tutor.runner import run

PROGRAM = '''id = "adder"
title = "Add two numbers"
description = "Read two numbers and print their sum."
starter = "a = input()\\n"
solution = "a = int(input())\\nb = int(input())\\nprint(a + b)\\n"
forbid = ["sum"]

[[tests]]
stdin = "3\\n4\\n"
stdout = "7\\n"

[[tests]]
stdin = "1\\n1\\n"
stdout = "2\\n"
exact = true
hidden = true

[[tests]]
stdin = "1\\n2\\n"
stdout = "3.001"
tolerance = 0.01
'''


def _load(folder: Path, text: str) -> tuple[list, list[str]]:  # type: ignore[type-arg]
    (folder / "ex.toml").write_text(text, encoding="utf-8")
    result = load_pack(folder)
    return result.exercises, [str(e) for e in result.errors]


def test_a_program_exercise_needs_no_entry(tmp_path: Path) -> None:
    exercises, errors = _load(tmp_path, PROGRAM)
    assert errors == []
    exercise = exercises[0]
    assert exercise.entry == "" and exercise.forbid == ("sum",)
    first, hidden, tolerant = exercise.tests
    assert first == TestCase(stdin="3\n4\n", stdout="7\n") and first.is_program and first.kind == "program"
    assert first.label == "program, input '3\\n4'" and TestCase(stdout="x").label == "program, no input"
    assert hidden.hidden and hidden.exact and tolerant.tolerance == 0.01
    assert run(exercise, exercise.solution or "").passed
    assert run(exercise, "a = int(input())\nb = int(input())\nprint(a + b + 1)\n").passed_count == 0
    assert not run(exercise, exercise.starter).passed


def test_call_raises_tolerance_unordered_and_hidden(tmp_path: Path) -> None:
    text = (
        'id = "e"\nentry = "f"\n'
        '[[tests]]\ncall = "f(1)"\nexpected = "[0.5]"\ntolerance = 1e-6\nunordered = true\nhidden = true\n'
        '[[tests]]\ncall = "f(-1)"\nraises = "ValueError"\n'
    )
    exercises, errors = _load(tmp_path, text)
    assert errors == []
    call, raises = exercises[0].tests
    assert (call.tolerance, call.unordered, call.hidden, call.kind) == (1e-6, True, True, "call")
    assert (raises.raises, raises.expected, raises.kind, raises.shown_expected) == ("ValueError", None, "raises", "ValueError")


@pytest.mark.parametrize(
    ("test", "field", "words"),
    [
        ('call = "f(1)"\nexpected = "1"\nraises = "ValueError"', "tests[1].expected", "cannot go with 'raises'"),
        ('call = "f(1)"\nstdout = "1"', "tests[1].call", "cannot go with 'stdin'/'stdout'"),
        ('stdin = "1"', "tests[1].stdout", "is missing"),
        ('stdout = "1"\nexpected = "1"', "tests[1].expected", "cannot go with"),
        ('stdout = "1"\nunordered = true', "tests[1].unordered", "cannot go with"),
        ('call = "f(1)"\nexpected = "1"\ntolerance = -0.1', "tests[1].tolerance", "0 or more"),
        ('call = "f(1)"\nexpected = "1"\ntolerance = "small"', "tests[1].tolerance", "0 or more"),
        ('call = "f(1)"\nexpected = "1"\nexact = true', "tests[1].exact", "only goes with 'stdout'"),
        ('stdout = "1"\nexact = true\ntolerance = 0.1', "tests[1].tolerance", "cannot go with 'exact"),
        ('call = "f(1)"\nexpected = "1"\nhidden = "yes"', "tests[1].hidden", "true or false"),
        ('call = "f(1)"\nraises = "Value Error"', "tests[1].raises", "name of an exception class"),
        ('call = "f(1)"\nraises = "ValueError"\ntolerance = 0.1', "tests[1].tolerance", "cannot go with 'raises'"),
        ('stdout = 7', "tests[1].stdout", "is missing"),
    ],
)
def test_wrong_combinations_are_field_errors(tmp_path: Path, test: str, field: str, words: str) -> None:
    exercises, errors = _load(tmp_path, f'id = "e"\nentry = "f"\n[[tests]]\n{test}\n')
    assert exercises == [] and len(errors) == 1
    assert f"field {field!r}" in errors[0] and words in errors[0], errors[0]


def test_entry_is_still_required_with_a_call_test_and_forbid_must_be_names(tmp_path: Path) -> None:
    _, errors = _load(tmp_path, 'id = "e"\n[[tests]]\nstdout = "1"\n[[tests]]\ncall = "f()"\nexpected = "1"\n')
    assert len(errors) == 1 and "field 'entry': is missing" in errors[0]
    _, errors = _load(tmp_path, 'id = "e"\nforbid = "max"\n[[tests]]\nstdout = "1"\n')
    assert len(errors) == 1 and "field 'forbid'" in errors[0]


def test_jsonl_tasks_take_the_new_kinds_too(tmp_path: Path) -> None:
    task = {"id": "t", "entry": "f", "tests": [{"call": "f()", "raises": "KeyError"}, {"call": "f()", "expected": "1"}]}
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")
    result = load_tasks(path)
    assert result.errors == [] and [t.kind for t in result.exercises[0].tests] == ["raises", "call"]
