"""The course APIs of issue 25 as the app uses them, in one place.

The core (``tutor.course``, ``tutor.packs``, ``tutor.runner.run_program``, the new ``Exercise`` fields and
``ProgressStore.reset_all``) is built on other branches; each name here calls the core's when it is there and
otherwise does the smallest honest thing (a unit from the exercise's ``topic``, "not started" for "new",
``None`` where nothing can stand in). Once every branch is merged the fallbacks are dead code and can go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.exercises import Exercise, LoadResult
from tutor.progress import ExerciseProgress

STATES = ("not started", "attempted", "passed")
_OLD_STATES = {"new": "not started", "solved": "passed"}


@dataclass(frozen=True)
class UnitView:
    """A unit as the list shows it (``tutor.exercises.Unit`` has the same three fields)."""

    id: str
    title: str
    summary: str = ""


def state_of(progress: ExerciseProgress | None) -> str:
    """``not started``, ``attempted`` or ``passed`` (older cores said ``new`` and ``solved``)."""
    if progress is None:
        return "not started"
    return _OLD_STATES.get(progress.state, progress.state)


def unit_id(exercise: Exercise) -> str:
    return str(getattr(exercise, "unit", "") or "")


def concepts_of(exercise: Exercise) -> tuple[str, ...]:
    concepts = tuple(getattr(exercise, "concepts", ()) or ())
    return concepts or ((exercise.topic,) if exercise.topic else ())


def kind_of(exercise: Exercise) -> str:
    """``fix`` (the starter has a bug to find) or ``write`` (the starter is a stub)."""
    return "fix" if getattr(exercise, "kind", "write") == "fix" else "write"


def kind_label(exercise: Exercise) -> str:
    return "Fix the bug" if kind_of(exercise) == "fix" else "Write"


def units_of(pack: LoadResult) -> list[UnitView]:
    """The pack's units in course order; exercises without a unit go under "Exercises" at the end."""
    units = [UnitView(u.id, u.title, getattr(u, "summary", "")) for u in getattr(pack, "units", []) or []]
    known = {u.id for u in units}
    for exercise in pack.exercises:
        uid = unit_id(exercise)
        if uid not in known:
            known.add(uid)
            units.append(UnitView(uid, uid.replace("_", " ").capitalize() if uid else "Exercises"))
    return units


def next_exercise(
    exercises: Sequence[Exercise], states: dict[str, ExerciseProgress], after_id: str | None
) -> Exercise | None:
    """The first exercise after ``after_id`` in course order that is not passed, else the first not passed."""
    try:
        from tutor.course import next_exercise as core_next  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        core_next = None
    if core_next is not None:
        found: Exercise | None = core_next(list(exercises), states, after_id)
        return found
    ids = [e.id for e in exercises]
    start = ids.index(after_id) + 1 if after_id in ids else 0
    for exercise in [*exercises[start:], *exercises[:start]]:
        if state_of(states.get(exercise.id)) != "passed":
            return exercise
    return None


def reset_all(progress: Any) -> Any:
    """``ProgressStore.reset_all`` (keeps a backup beside the database); refused with a clear message if the
    core in this build does not have it yet."""
    reset = getattr(progress, "reset_all", None)
    if reset is None:
        raise RuntimeError("resetting progress is not available in this build.")
    return reset()


def run_program_api() -> Any:
    """``tutor.runner.run_program`` or None when the runner in this build cannot run a program on its own."""
    from tutor import runner

    return getattr(runner, "run_program", None)


def import_pack_api() -> tuple[Any, Any] | None:
    """``(tutor.packs.import_pack, tutor.packs.installed_packs_dir)`` or None when packs cannot be imported."""
    try:
        from tutor import packs  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return packs.import_pack, packs.installed_packs_dir
