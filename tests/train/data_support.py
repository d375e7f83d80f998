"""Shared pieces of the training-data tests (not a conftest, so the training-model tests beside it merge cleanly):
the datasets folder (skipped where it is not here), a real bug/fix pair of a bundled dev exercise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.eval.build import DEFAULT_DATASETS
from tutor.exercises import Exercise, load_bundled
from tutor.train.sources import Pair, first_failure


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not (DEFAULT_DATASETS / "refactory.programs.jsonl").is_file():
        pytest.skip(f"{DEFAULT_DATASETS} is not here (the shared datasets sit beside the project)")
    return DEFAULT_DATASETS


def sum_of_evens() -> Exercise:
    exercise = next(e for e in load_bundled().exercises if e.id == "sum_of_evens")
    assert exercise.solution
    return exercise


def evens_pair() -> Pair:
    """sum_of_evens with ``n % 2 == 0`` turned into ``n % 2 == 1`` on line 4 (a number) (the fix is the pack's reference)."""
    exercise = sum_of_evens()
    fix = (exercise.solution or "").strip("\n") + "\n"
    code = fix.replace("n % 2 == 0", "n % 2 == 1")
    failure = first_failure(exercise, code)
    assert failure is not None
    return Pair("mutant:basics", exercise.id, "reference/number/1", code, fix, "number", failure)
