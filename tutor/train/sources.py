"""Bug/fix pairs for training, each checked by the runner, from dev-split tasks only.

- ``refactory``: Refactory ``wrong`` programs of the dev tasks, each with the nearest ``correct`` program of its
  task (the benchmark builder's own pairing, ``tutor.eval.build.build_refactory``);
- ``quixbugs``: QuixBugs buggy -> fixed of the dev tasks (``build_quixbugs``);
- ``mutant:refactory`` / ``mutant:humaneval`` / ``mutant:basics``: beginner-style mutants
  (``tutor.train.mutants``) of Refactory dev ``correct`` programs, HumanEval canonical solutions and the references
  of the bundled pack's dev exercises. A mutant is kept only when the original passes every test and a test fails
  on the mutant;
- ``course``: the course's own authored bugs of its dev tasks (the benchmark's ``course`` set, dev split), and
  ``mutant:course``: mutants of those dev exercises' references.

A pair carries the first failing test of its buggy program (what the pipeline puts in the prompt). A buggy program
with a syntax error is left out: the pipeline answers those without the model. Every pair goes through
``refuse_test_items``: no task or program of the benchmark's test split can come out of here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from tutor.eval.build import build_quixbugs, build_refactory, read_rows
from tutor.eval.items import Item, Pair
from tutor.eval.sets import load_set
from tutor.eval.splits import dev_tasks, load_splits, refuse_test_items
from tutor.exercises import Exercise, load_bundled, load_tasks
from tutor.runner import Limits, TestResult, run
from tutor.train import humaneval, mutants

LICENSES = {
    "refactory": "LGPL-3.0, Refactory dataset (Hu et al., ASE 2019)",
    "quixbugs": "MIT, Copyright 2017-2019 James Koppel (QuixBugs benchmark)",
    "humaneval": humaneval.LICENSE,
    "basics": "the project's own bundled exercise pack (resources/packs/basics)",
    "course": "the project's own course (resources/packs/basics) and its authored bugs (resources/eval/course)",
}
PER_PROGRAM = {"refactory": 1, "humaneval": 3, "basics": 6, "course": 4}  # mutants kept per correct program
MUTANT_LIMITS = Limits(per_test_s=1.0, total_s=4.0)
SOURCE_NAMES = (
    "refactory",
    "quixbugs",
    "mutant:refactory",
    "mutant:humaneval",
    "mutant:basics",
    "course",
    "mutant:course",
)

Progress = Callable[[str], None]


@dataclass
class Collected:
    pairs: list[Pair] = field(default_factory=list)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    tried: dict[str, int] = field(default_factory=dict)  # candidates run, per source
    notes: list[str] = field(default_factory=list)  # sources missing, items left out


def first_failure(exercise: Exercise, code: str, limits: Limits | None = None) -> TestResult | None:
    """The first failing test of ``code`` as the pipeline sees it; None when it passes or does not parse."""
    report = run(exercise, code, limits)
    if report.syntax_error is not None or report.passed:
        return None
    return report.first_failure


def collect(
    datasets: Path | None,
    max_per_source: int | None = None,
    seed: int = 7,
    sources: tuple[str, ...] = SOURCE_NAMES,
    progress: Progress | None = None,
) -> Collected:
    """Every pair of the chosen sources (at most ``max_per_source`` each), refused if any is a test item."""
    tick = progress or (lambda source: None)
    out = Collected()
    limit = max_per_source or 10**9
    if datasets is None or not (datasets / "refactory.programs.jsonl").is_file():
        out.notes.append(f"no Refactory/QuixBugs here ({datasets}): those sources are skipped")
        sources = tuple(s for s in sources if s not in ("refactory", "quixbugs", "mutant:refactory"))
    for source in sources:
        before = len(out.pairs)
        for pair in _source(source, datasets, limit, seed, out):
            out.pairs.append(pair)
            tick(source)
        if len(out.pairs) == before:
            out.notes.append(f"{source}: no pairs")
    refuse_test_items(p.record() for p in out.pairs)
    return out


def _source(source: str, datasets: Path | None, limit: int, seed: int, out: Collected) -> Iterator[Pair]:
    if source == "refactory":
        assert datasets is not None
        return _benchmark_pairs("refactory", datasets, limit, seed, out)
    if source == "quixbugs":
        assert datasets is not None
        return _benchmark_pairs("quixbugs", datasets, limit, seed, out)
    if source == "course":
        return _course_pairs(limit, out)
    origin = source.split(":", 1)[1]
    programs = _correct_programs(origin, datasets, seed, out)
    return mutant_pairs(source, programs, PER_PROGRAM[origin], limit, seed, out)


def _benchmark_pairs(name: str, folder: Path, limit: int, seed: int, out: Collected) -> Iterator[Pair]:
    dev = _dev_of(name)
    exercises = {e.id: e for e in load_tasks(folder / f"{name}.tasks.jsonl").exercises if e.id in dev}
    out.exercises.update(exercises)
    if name == "refactory":
        items, problems = build_refactory(folder, limit, seed, tasks=dev, quiet=True)
    else:
        items, problems = build_quixbugs(folder, tasks=dev)
    out.notes += [f"{name}: left out {p}" for p in problems]
    out.tried[name] = len(items) + len(problems)
    return _checked_pairs(name, items, exercises, limit, out, "a syntax error (no model is asked)")


def _checked_pairs(
    name: str, items: list[Item], exercises: dict[str, Exercise], limit: int, out: Collected, left_out: str
) -> Iterator[Pair]:
    """The items whose buggy program fails a test, with that first failing test, at most ``limit``; an item
    that passes or does not parse is noted as left out (``left_out`` says why)."""
    kept = 0
    for item in items:
        if kept >= limit:
            return
        failure = first_failure(exercises[item.task], item.code)
        if failure is None:
            out.notes.append(f"{name}: left out {item.task}/{item.name}: {left_out}")
            continue
        kept += 1
        yield Pair(name, item.task, item.name, item.code, item.fix, item.kind or name, failure)


def _course_pairs(limit: int, out: Collected) -> Iterator[Pair]:
    """The course set's authored bugs of its dev tasks, in the set's order."""
    dev = _dev_of("course")
    items, exercises = load_set("course")
    out.exercises.update({task: e for task, e in exercises.items() if task in dev})
    chosen = [replace(item, fix=item.fix.strip("\n") + "\n") for item in items if item.task in dev]
    out.tried["course"] = len(chosen)
    return _checked_pairs("course", chosen, exercises, limit, out, "it passes or does not parse")


def _dev_of(name: str) -> frozenset[str]:
    return frozenset(load_splits()[name]["dev"]) & dev_tasks()


def _correct_programs(
    origin: str, datasets: Path | None, seed: int, out: Collected
) -> list[tuple[Exercise, str, str]]:
    """``(exercise, name, program)`` of the correct programs mutants are made from, in a seeded order."""
    found: list[tuple[Exercise, str, str]] = []
    if origin == "refactory":
        assert datasets is not None
        dev = _dev_of("refactory")
        exercises = {e.id: e for e in load_tasks(datasets / "refactory.tasks.jsonl").exercises if e.id in dev}
        rows = read_rows(datasets / "refactory.programs.jsonl")
        found = [
            (exercises[r["task"]], r["name"], r["code"])
            for r in rows
            if r["task"] in dev and r["label"] == "correct"
        ]
    elif origin == "humaneval":
        try:
            found = [(p.exercise, "canonical", p.reference) for p in humaneval.load_problems()]
        except humaneval.HumanEvalMissing as exc:
            out.notes.append(f"mutant:humaneval: skipped: {exc}")
    elif origin == "basics":
        dev = _dev_of("basics")
        found = [(e, "reference", e.solution) for e in load_bundled().exercises if e.id in dev and e.solution]
    elif origin == "course":
        dev = _dev_of("course")
        bundled = {e.id: e for e in load_bundled().exercises}
        found = [
            (bundled[i], "reference", bundled[i].solution or "")
            for i in sorted(dev)
            if i in bundled and bundled[i].solution
        ]
    random.Random(f"{seed}/{origin}").shuffle(found)
    for exercise, _, _ in found:
        out.exercises.setdefault(exercise.id, exercise)
    return found


def mutant_pairs(
    source: str,
    programs: list[tuple[Exercise, str, str]],
    per_program: int,
    limit: int,
    seed: int,
    out: Collected | None = None,
) -> Iterator[Pair]:
    """Mutants of correct programs that a test catches: at most ``per_program`` each, ``limit`` in all. A
    program that does not pass its own tests gives none."""
    kept_all = 0
    tried = 0
    for exercise, name, program in programs:
        if kept_all >= limit:
            break
        fix = program.strip("\n") + "\n"
        tried += 1
        if not run(exercise, fix, MUTANT_LIMITS).passed:
            if out is not None:
                out.notes.append(f"{source}: {exercise.id}/{name} fails its own tests; no mutants")
            continue
        kept = 0
        for kind, mutant in mutants.ordered(mutants.candidates(fix), f"{seed}/{exercise.id}/{name}")[
            : per_program * 4
        ]:
            if kept >= per_program or kept_all >= limit:
                break
            tried += 1
            failure = first_failure(exercise, mutant, MUTANT_LIMITS)
            if failure is None:  # the tests do not tell it from the original: not a bug we can teach
                continue
            if failure.status == "timeout":  # again with the app's limits, which the message names
                failure = first_failure(exercise, mutant)
                if failure is None:
                    continue
            kept += 1
            kept_all += 1
            yield Pair(source, exercise.id, f"{name}/{kind}/{kept}", mutant, fix, kind, failure)
    if out is not None:
        out.tried[source] = out.tried.get(source, 0) + tried
