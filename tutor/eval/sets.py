"""The evaluation sets: buggy programs with a reference fix, in JSON Lines, with their tasks.

An items file has one buggy program a line: ``{"task", "name", "code", "fix"}`` (optionally ``"kind"``, the kind
of bug). Its tasks are in the datasets' task format (``tutor.exercises.load_tasks``). Bundled sets live in
``resources/eval/`` (built by ``python -m tutor.eval.build``); the items themselves are
``tutor.eval.items``:

- ``basics``: beginner bugs written for each exercise of the bundled pack, each with its minimal fix;
- ``quixbugs``: QuixBugs buggy -> fixed (MIT);
- ``refactory``: Refactory ``wrong`` submissions, each with the nearest ``correct`` one of its task (LGPL-3.0);
- ``course``: beginner bugs written for each exercise of the bundled course's units (issue 25), each with its fix;
- ``all``: the four together.
"""

from __future__ import annotations

import random
from pathlib import Path

from tutor.eval.items import Item, SetError, read_items
from tutor.exercises import Exercise, LoadResult, load_exercises, load_tasks
from tutor.paths import resources_dir

SET_NAMES = ("basics", "quixbugs", "refactory", "course")


def eval_dir() -> Path:
    return resources_dir() / "eval"


def items_path(name: str) -> Path:
    return eval_dir() / f"{name}.items.jsonl"


def tasks_path(name: str) -> Path:
    return eval_dir() / f"{name}.tasks.jsonl"


def load_set(name: str) -> tuple[list[Item], dict[str, Exercise]]:
    """A bundled set (or ``all``): its items and the exercises they need, by task id."""
    names = SET_NAMES if name == "all" else (name,)
    if any(n not in SET_NAMES for n in names):
        raise SetError(f"unknown set {name!r} (choose from {', '.join((*SET_NAMES, 'all'))})")
    items: list[Item] = []
    exercises: dict[str, Exercise] = {}
    for set_name in names:
        items += read_items(items_path(set_name), set_name)
        exercises.update(exercises_from(load_tasks(tasks_path(set_name))))
    return items, exercises


def load_items_file(path: Path, tasks: list[Path]) -> tuple[list[Item], dict[str, Exercise]]:
    """``--items FILE [--tasks FILE]``: tasks from the given files, the bundled pack and the bundled sets."""
    items = read_items(path, path.name.split(".")[0])
    result = load_exercises(tasks)
    exercises = exercises_from(result)
    for set_name in SET_NAMES:
        for task_id, exercise in exercises_from(load_tasks(tasks_path(set_name))).items():
            exercises.setdefault(task_id, exercise)
    missing = sorted({i.task for i in items} - set(exercises))
    if missing:
        raise SetError(f"no task for {', '.join(missing[:5])} (give its task file with --tasks)")
    return items, exercises


def choose_items(
    set_name: str, items_file: Path | None, tasks: list[Path]
) -> tuple[list[Item], dict[str, Exercise], str]:
    """``--set NAME`` or ``--items FILE [--tasks FILE]``: the items, their exercises and the set's label (the
    name, or the items file's path)."""
    if items_file is not None:
        items, exercises = load_items_file(items_file, tasks)
        return items, exercises, str(items_file)
    items, exercises = load_set(set_name)
    return items, exercises, set_name


def exercises_from(result: LoadResult) -> dict[str, Exercise]:
    if result.errors:
        raise SetError(f"bad task file: {result.errors[0]}")
    return {e.id: e for e in result.exercises}


def sample(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    """A seeded sample of ``limit`` items per set (all when ``limit`` is None), in file order."""
    if not limit:
        return list(items)
    chosen: list[Item] = []
    for set_name in dict.fromkeys(i.set for i in items):
        members = [i for i in items if i.set == set_name]
        if len(members) > limit:
            picked = set(random.Random(f"{seed}/{set_name}").sample(range(len(members)), limit))
            members = [m for index, m in enumerate(members) if index in picked]
        chosen += members
    return chosen
