"""The course and pack commands of ``tutor``: ``exercises [--unit U] [--concept C]``, ``next``, ``show ID`` and
``pack new|check|build|import``. ``pack check`` exits 0 when the pack is ready, 1 when it has problems, 2 when
it cannot be checked at all (no such folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tutor import packs
from tutor.cli_common import course as _course
from tutor.cli_common import emit as _emit
from tutor.course import next_exercise, select, state_of, unit_progress
from tutor.errors import UsageError
from tutor.exercises import Exercise, LoadResult
from tutor.session import Session


def _states(args: argparse.Namespace) -> dict[str, Any]:
    session = Session()
    try:
        return dict(session.progress.all())
    finally:
        session.close()


def _row(e: Exercise, states: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": e.id,
        "title": e.title,
        "unit": e.unit,
        "topic": e.topic,
        "concepts": list(e.concepts),
        "kind": e.kind,
        "difficulty": e.difficulty,
        "tests": len(e.tests),
        "state": state_of(e.id, states),
        "source": e.source,
    }


def cmd_exercises(args: argparse.Namespace) -> int:
    course = _course(args)
    if args.unit and all(u.id != args.unit for u in course.units):
        known = ", ".join(u.id for u in course.units) or "none"
        raise UsageError(f"no unit {args.unit!r} (units: {known})")
    states = _states(args)
    chosen = select(course.exercises, args.unit or "", args.concept or "")
    progress = [(u, p, t) for u, p, t in unit_progress(course.units, course.exercises, states)]
    data = {
        "exercises": [_row(e, states) for e in chosen],
        "units": [{"id": u.id, "title": u.title, "passed": p, "total": t} for u, p, t in progress],
        "errors": [str(e) for e in course.errors],
    }
    _emit(args, data, _exercises_text(course, chosen, states, progress))
    return 0


def _exercises_text(
    course: LoadResult, chosen: list[Exercise], states: dict[str, Any], progress: list[Any]
) -> str:
    width = max((len(e.id) for e in chosen), default=10)
    lines: list[str] = []
    for unit, passed, total in [*progress, (None, 0, 0)]:
        mine = [
            e for e in chosen if (e.unit == unit.id if unit else e.unit not in {u.id for u in course.units})
        ]
        if not mine:
            continue
        lines.append(f"{unit.title} ({unit.id}): {passed}/{total} passed" if unit else "Other exercises")
        for e in mine:
            tags = ", ".join(e.concepts[:3]) or "-"
            lines.append(f"  {e.id:<{width}}  {state_of(e.id, states):<11}  {e.title}  [{e.kind}, {tags}]")
    return "\n".join(lines) or "No exercise matches."


def cmd_next(args: argparse.Namespace) -> int:
    course = _course(args)
    exercise = next_exercise(course.exercises, _states(args), args.after)
    if exercise is None:
        _emit(args, {"next": None}, "Every exercise is passed. Well done!")
        return 0
    unit = course.unit_of(exercise.id)
    data = {"next": _row(exercise, {}), "unit": unit.title if unit else ""}
    text = (
        f"Next: {exercise.title} ({exercise.id})"
        + (f", unit {unit.title!r}" if unit else "")
        + f"\nStart it: tutor show {exercise.id} --starter > {exercise.id}.py"
        + f"\nRead it:  tutor show {exercise.id}"
        + f"\nTest it:  tutor check {exercise.id}.py -e {exercise.id}"
    )
    _emit(args, data, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    course = _course(args)
    exercise = course.find(args.exercise)
    if exercise is None:
        raise UsageError(f"no exercise with id {args.exercise!r} (try `tutor exercises`)")
    if args.starter:
        print(exercise.starter, end="" if exercise.starter.endswith("\n") else "\n")
        return 0
    unit = course.unit_of(exercise.id)
    data = {**_row(exercise, {}), "description": exercise.description, "starter": exercise.starter}
    data.pop("state")
    head = f"{exercise.title} ({exercise.id})" + (f", unit {unit.title!r}" if unit else "")
    kind = "Fix the bug in this program." if exercise.kind == "fix" else "Complete this program."
    text = f"{head}\n\n{exercise.description.strip()}\n\n{kind} Starter code:\n\n{exercise.starter.strip()}\n"
    _emit(args, data, text)
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    if args.action == "new":
        folder = Path(args.path)
        try:
            written = packs.new_pack(folder, args.name or folder.name)
        except OSError as exc:
            raise UsageError(str(exc)) from None
        _emit(
            args,
            {"files": [str(p) for p in written]},
            f"Wrote a pack template in {folder}:\n"
            + "\n".join(f"  {p}" for p in written)
            + f"\nCheck it: tutor pack check {folder}",
        )
        return 0
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"no such pack folder or file: {path}")
    if args.action == "check":
        check = packs.check_any(path)  # a folder or a built file
        _emit(args, _check_json(check), check.summary())
        return 0 if check.ok else 1
    if args.action == "build":
        return _build(args, path)
    return _import(args, path)


def _check_json(check: Any) -> dict[str, Any]:
    return {
        "ok": check.ok,
        "name": check.name,
        "exercises": check.exercises,
        "units": check.units,
        "problems": check.problems,
        "duration_s": check.duration_s,
    }


def _build(args: argparse.Namespace, path: Path) -> int:
    check = packs.check_pack(path)
    if not check.ok:
        print(check.summary(), file=sys.stderr)
        print("tutor: not built: fix the problems above first", file=sys.stderr)
        return 1
    out = Path(args.output or f"{path.resolve().name}{packs.SUFFIX}")
    packs.build_pack(path, out)
    _emit(
        args,
        {**_check_json(check), "file": str(out)},
        f"{check.summary()}\nBuilt {out}: give this one file to the lab.",
    )
    return 0


def _import(args: argparse.Namespace, path: Path) -> int:
    check = packs.import_pack(path, packs.installed_packs_dir(), taken=_course(args))
    where = packs.installed_packs_dir()
    text = check.summary() + (
        f"\nImported into {where}." if check.ok else "\nNot imported: nothing was changed."
    )
    _emit(args, _check_json(check), text)
    return 0 if check.ok else 1


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register the commands on ``tutor``'s sub-parsers."""
    ex = sub.add_parser("exercises", parents=[common], help="list the exercises, by unit, with your progress")
    ex.add_argument("--unit", help="only this unit (its id, e.g. loops)")
    ex.add_argument("--concept", help="only exercises with a concept tag containing this")
    ex.set_defaults(func=cmd_exercises)
    nxt = sub.add_parser("next", parents=[common], help="the next exercise to do, and how to start it")
    nxt.add_argument("--after", help="the exercise just finished (default: the first not passed)")
    nxt.set_defaults(func=cmd_next)
    show = sub.add_parser("show", parents=[common], help="an exercise's description and starter code")
    show.add_argument("exercise")
    show.add_argument("--starter", action="store_true", help="print only the starter code (to start a file)")
    show.set_defaults(func=cmd_show)
    pack = sub.add_parser("pack", parents=[common], help="write, check, build or import an exercise pack")
    pack.add_argument("action", choices=["new", "check", "build", "import"])
    pack.add_argument(
        "path",
        help="new: the folder to create; build: a pack folder; check/import: a pack folder or built file",
    )
    pack.add_argument("-o", "--output", help="build: the file to write (default NAME.tutorpack)")
    pack.add_argument("--name", help="new: the pack's name (default: the folder's name)")
    pack.set_defaults(func=cmd_pack)
