"""Build the bundled evaluation sets in ``resources/eval/`` (a maintainer's command; its output is committed).

    python -m tutor.eval.build [--datasets ../shared/datasets] [--refactory-per-task 60]

- ``basics``: the bug edits in ``resources/eval/basics.bugs.json`` applied to each exercise's solution (the fix);
- ``course``: the same for the course's exercises (``resources/eval/course/<unit>.bugs.json``, written with them);
- ``quixbugs``: every buggy program with its fixed version;
- ``refactory``: a seeded sample of ``wrong`` submissions per task, each paired with the ``correct`` submission of
  the same task at the least token edit distance.

Every item is checked by the runner (the bug fails a test, the fix passes them all); one that does not is left out
and listed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from tutor.eval.items import Item, write_items
from tutor.eval.sets import eval_dir, items_path, tasks_path
from tutor.exercises import Exercise, load_bundled, load_tasks
from tutor.feedback.tokens import sequence_distance, tokens
from tutor.jsonl import read_jsonl
from tutor.runner import run

DEFAULT_DATASETS = next(
    (
        p / "shared" / "datasets"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "datasets").is_dir()
    ),
    Path("shared/datasets"),
)


def check(exercise: Exercise, item: Item) -> str:
    """ "" when the bug fails a test and the fix passes every test, else what is wrong."""
    if run(exercise, item.code).passed:
        return "the buggy program passes every test"
    report = run(exercise, item.fix)
    return (
        "" if report.passed else f"the fix fails {report.first_failure.call if report.first_failure else '?'}"
    )


def nearest(code: str, candidates: list[tuple[str, list[Any]]]) -> tuple[str, int]:
    """The candidate at the least token edit distance (ties: the first), pruned by the length difference."""
    mine = [(t.kind, t.value) for t in tokens(code)]
    best, best_code = 10**9, ""
    for text, theirs in sorted(candidates, key=lambda c: abs(len(c[1]) - len(mine))):
        if abs(len(theirs) - len(mine)) >= best:
            break
        distance = sequence_distance(mine, theirs, best)
        if distance < best:
            best, best_code = distance, text
    return best_code, best


def build_basics() -> tuple[list[Item], list[str]]:
    return build_from_edits("basics", _read_bugs([eval_dir() / "basics.bugs.json"]))


def build_course() -> tuple[list[Item], list[str]]:
    return build_from_edits("course", _read_bugs(sorted((eval_dir() / "course").glob("*.bugs.json"))))


def _read_bugs(files: list[Path]) -> list[dict[str, str]]:
    return [bug for path in files for bug in json.loads(path.read_text(encoding="utf-8"))]


def build_from_edits(set_name: str, bugs: list[dict[str, str]]) -> tuple[list[Item], list[str]]:
    """Each bug edit applied once to its exercise's solution (the fix), checked by the runner."""
    pack = load_bundled()
    items, problems = [], []
    for bug in bugs:
        exercise = pack.find(bug["task"])
        assert exercise is not None and exercise.solution, bug["task"]
        fix = exercise.solution.strip("\n") + "\n"
        if bug["old"] not in fix:
            problems.append(f"{bug['task']}/{bug['name']}: edit not found in the solution")
            continue
        code = fix.replace(bug["old"], bug["new"], 1)
        item = Item(bug["task"], bug["name"], code, fix, bug["kind"], set_name)
        if problem := check(exercise, item):
            problems.append(f"{bug['task']}/{bug['name']}: {problem}")
        else:
            items.append(item)
    return items, problems


def write_bundled_tasks(set_name: str, task_ids: Collection[str]) -> None:
    """The bundled exercises of ``task_ids`` in the JSONL task format (every test kind kept)."""
    lines = [
        json.dumps(_task_json(e), ensure_ascii=False) for e in load_bundled().exercises if e.id in task_ids
    ]
    tasks_path(set_name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _task_json(exercise: Exercise) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": exercise.id,
        "title": exercise.title,
        "description": exercise.description,
        "entry": exercise.entry,
        "prelude": exercise.prelude,
        "forbid": list(exercise.forbid),
        "tests": [{k: v for k, v in t.to_json().items() if v is not None} for t in exercise.tests],
    }
    return {k: v for k, v in data.items() if v or k in ("id", "tests")}


def build_quixbugs(folder: Path, tasks: Collection[str] | None = None) -> tuple[list[Item], list[str]]:
    """Every buggy program (of ``tasks`` only, when given) with its fixed version."""
    exercises = {e.id: e for e in load_tasks(folder / "quixbugs.tasks.jsonl").exercises}
    rows = read_rows(folder / "quixbugs.programs.jsonl")
    fixed = {r["task"]: r["code"] for r in rows if r["label"] == "fixed"}
    items, problems = [], []
    for row in (r for r in rows if r["label"] == "buggy" and (tasks is None or r["task"] in tasks)):
        item = Item(
            row["task"],
            row.get("name") or row["task"].split("/")[-1],
            row["code"],
            fixed[row["task"]],
            "",
            "quixbugs",
        )
        if problem := check(exercises[row["task"]], item):
            problems.append(f"{item.task}: {problem}")
        else:
            items.append(item)
    return items, problems


def build_refactory(
    folder: Path, per_task: int, seed: int, tasks: Collection[str] | None = None, quiet: bool = False
) -> tuple[list[Item], list[str]]:
    """A seeded sample of ``per_task`` wrong programs per task (of ``tasks`` only, when given), each with the
    nearest correct program of its task."""
    exercises = {e.id: e for e in load_tasks(folder / "refactory.tasks.jsonl").exercises}
    if tasks is not None:
        exercises = {k: v for k, v in exercises.items() if k in tasks}
    rows = read_rows(folder / "refactory.programs.jsonl")
    items, problems = [], []
    for task in sorted(exercises):
        correct = [
            (r["code"], [(t.kind, t.value) for t in tokens(r["code"])])
            for r in rows
            if r["task"] == task and r["label"] == "correct"
        ]
        wrong = [r for r in rows if r["task"] == task and r["label"] == "wrong"]
        random.Random(f"{seed}/{task}").shuffle(wrong)
        kept = 0
        for row in wrong:
            if kept >= per_task:
                break
            fix, distance = nearest(row["code"], correct)
            item = Item(task, row["name"], row["code"], fix, f"distance {distance}", "refactory")
            if problem := check(exercises[task], item):
                problems.append(f"{task}/{row['name']}: {problem}")
                continue
            items.append(item)
            kept += 1
            if not quiet:
                print(f"  {task} {kept}/{per_task}", file=sys.stderr, end="\r")
    return items, problems


def read_rows(path: Path) -> list[dict[str, Any]]:
    return read_jsonl(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.eval.build", description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--refactory-per-task", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--only", choices=["basics", "quixbugs", "refactory", "course"])
    args = parser.parse_args(argv)
    builders = {
        "basics": build_basics,
        "quixbugs": lambda: build_quixbugs(args.datasets),
        "refactory": lambda: build_refactory(args.datasets, args.refactory_per_task, args.seed),
        "course": build_course,
    }
    # basics.tasks.jsonl stays the copy of the 16 exercises as the published results used them (before the
    # course gave them units and hidden tests); the course's tasks are written from the bundled course
    course_bugs = _read_bugs(sorted((eval_dir() / "course").glob("*.bugs.json")))
    write_bundled_tasks("course", {bug["task"] for bug in course_bugs})
    for name in ("quixbugs", "refactory"):
        shutil.copyfile(args.datasets / f"{name}.tasks.jsonl", tasks_path(name))
    for name, build in builders.items():
        if args.only and name != args.only:
            continue
        items, problems = build()
        write_items(items_path(name), items)
        print(f"{name}: {len(items)} items, {len(problems)} left out", file=sys.stderr)
        for problem in problems:
            print(f"  left out {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
