"""How the app words an exercise and groups a course: its state, unit, concept tags and kind, and the units of
a loaded course (the pack's own, then one group per unit word found only in the exercises, and "Exercises" for
those without a unit, such as JSONL tasks)."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.exercises import Exercise, LoadResult
from tutor.progress import ExerciseProgress


@dataclass(frozen=True)
class UnitView:
    """A unit as the list shows it (``tutor.exercises.Unit`` has the same three fields)."""

    id: str
    title: str
    summary: str = ""


def state_of(progress: ExerciseProgress | None) -> str:
    """``not started``, ``attempted`` or ``passed``."""
    return "not started" if progress is None else progress.state


def unit_id(exercise: Exercise) -> str:
    return exercise.unit


def concepts_of(exercise: Exercise) -> tuple[str, ...]:
    return exercise.concepts or ((exercise.topic,) if exercise.topic else ())


def kind_label(exercise: Exercise) -> str:
    """ "Fix the bug" (the starter is a program with a bug) or "Write" (the starter is a stub)."""
    return "Fix the bug" if exercise.kind == "fix" else "Write"


def units_of(pack: LoadResult) -> list[UnitView]:
    """The pack's units in course order; exercises without a unit go under "Exercises" at the end."""
    units = [UnitView(u.id, u.title, u.summary) for u in pack.units]
    known = {u.id for u in units}
    for exercise in pack.exercises:
        uid = unit_id(exercise)
        if uid not in known:
            known.add(uid)
            units.append(UnitView(uid, uid.replace("_", " ").capitalize() if uid else "Exercises"))
    return units
