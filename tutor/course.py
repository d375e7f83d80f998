"""The learner's path through a course: each exercise's state, the next exercise, and each unit's progress.

States come from ``ProgressStore.all()`` (``ExerciseProgress.state``): "not started", "attempted" or "passed".
Course order is the order of ``LoadResult.exercises`` (units in ``pack.toml`` order, then file order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from tutor.exercises import Exercise, Unit

NOT_STARTED, ATTEMPTED, PASSED = "not started", "attempted", "passed"


class HasState(Protocol):
    @property
    def state(self) -> str: ...


States = Mapping[str, HasState]


def state_of(exercise_id: str, states: States) -> str:
    progress = states.get(exercise_id)
    return progress.state if progress is not None else NOT_STARTED


def next_exercise(
    exercises: Sequence[Exercise], states: States, after_id: str | None = None
) -> Exercise | None:
    """The first exercise after ``after_id`` in course order that is not passed, else the first not passed
    anywhere (None when every exercise is passed)."""
    start = next((n + 1 for n, e in enumerate(exercises) if e.id == after_id), 0)
    for exercise in [*exercises[start:], *exercises[:start]]:
        if state_of(exercise.id, states) != PASSED:
            return exercise
    return None


def unit_progress(
    units: Sequence[Unit], exercises: Sequence[Exercise], states: States
) -> list[tuple[Unit, int, int]]:
    """Each unit with how many of its exercises are passed and how many it has (units without exercises too)."""
    rows: list[tuple[Unit, int, int]] = []
    for unit in units:
        mine = [e for e in exercises if e.unit == unit.id]
        passed = sum(state_of(e.id, states) == PASSED for e in mine)
        rows.append((unit, passed, len(mine)))
    return rows


def select(exercises: Sequence[Exercise], unit: str = "", concept: str = "") -> list[Exercise]:
    """The exercises of a unit and/or with a concept tag (a tag containing ``concept``, case-insensitive)."""
    needle = concept.strip().lower()
    return [
        e
        for e in exercises
        if (not unit or e.unit == unit) and (not needle or any(needle in tag for tag in e.concepts))
    ]
