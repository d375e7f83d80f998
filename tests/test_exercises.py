"""The bundled pack, the JSONL task format, and clear errors for malformed packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.exercises import load_bundled, load_pack, load_tasks
from tutor.runner import run

BUNDLED = load_bundled()


def test_bundled_pack_has_at_least_twelve_exercises_and_no_errors() -> None:
    assert BUNDLED.errors == []
    assert len(BUNDLED.exercises) >= 12
    topics = {e.topic for e in BUNDLED.exercises}
    assert {"strings", "lists", "loops", "dicts", "recursion", "sorting"} <= topics


@pytest.mark.parametrize("exercise", BUNDLED.exercises, ids=lambda e: e.id)
def test_reference_solution_passes_and_starter_fails(exercise) -> None:  # type: ignore[no-untyped-def]
    assert exercise.solution and exercise.description.strip() and exercise.starter.strip()
    assert run(exercise, exercise.solution).passed
    assert not run(exercise, exercise.starter).passed


def test_assert_tests_are_loaded() -> None:
    with_asserts = [e for e in BUNDLED.exercises if any(t.code for t in e.tests)]
    assert with_asserts, "the pack should show plain assert tests too"
    assert all(t.code.startswith("assert") for e in with_asserts for t in e.tests if t.code)


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


GOOD = """id = "double"
title = "Double"
entry = "double"
description = "Double it."
starter = "def double(x):\\n    return x\\n"
[[tests]]
call = "double(2)"
expected = "4"
"""


def test_malformed_pack_names_file_exercise_and_field_and_keeps_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "a_good.toml", GOOD)
    _write(
        tmp_path, "b_no_entry.toml", GOOD.replace('entry = "double"\n', "").replace('"double"', '"twice"', 1)
    )
    _write(
        tmp_path,
        "c_bad_expected.toml",
        GOOD.replace('id = "double"', 'id = "third"').replace('expected = "4"', "expected = 4"),
    )
    _write(tmp_path, "d_not_toml.toml", "id = [unclosed\n")
    _write(
        tmp_path,
        "e_bad_python.toml",
        GOOD.replace('id = "double"', 'id = "fifth"').replace("return x", "return ("),
    )
    result = load_pack(tmp_path)
    assert [e.id for e in result.exercises] == ["double"]
    by_file = {Path(e.file).name: e for e in result.errors}
    assert by_file["b_no_entry.toml"].exercise == "twice" and by_file["b_no_entry.toml"].field == "entry"
    assert by_file["c_bad_expected.toml"].field == "tests[1].expected"
    assert "not valid TOML" in by_file["d_not_toml.toml"].message
    assert by_file["e_bad_python.toml"].field == "starter"
    assert "b_no_entry.toml" in str(by_file["b_no_entry.toml"]) and "'entry'" in str(
        by_file["b_no_entry.toml"]
    )


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD)
    _write(tmp_path, "b.toml", GOOD)
    result = load_pack(tmp_path)
    assert len(result.exercises) == 1 and result.errors[0].field == "id"


def test_dataset_tasks_load_as_exercises(datasets_dir: Path) -> None:
    quix = load_tasks(datasets_dir / "quixbugs.tasks.jsonl")
    refactory = load_tasks(datasets_dir / "refactory.tasks.jsonl")
    assert quix.errors == [] and refactory.errors == []
    assert len(quix.exercises) == 31 and len(refactory.exercises) == 3
    assert refactory.find("refactory/q2").prelude.startswith("tuple_of_possible_birthdays")


def test_malformed_jsonl_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(
        '{"id": "t/ok", "entry": "f", "tests": [{"call": "f()", "expected": "1"}]}\n'
        "not json\n"
        '{"id": "t/bad", "entry": "f", "tests": []}\n'
    )
    result = load_tasks(path)
    assert [e.id for e in result.exercises] == ["t/ok"]
    assert result.errors[0].file.endswith(":2") and "JSON" in result.errors[0].message
    assert result.errors[1].exercise == "t/bad" and result.errors[1].field == "tests"
