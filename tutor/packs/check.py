"""``tutor pack check``: is a pack ready for a lab? Every rule, with the file and line of each problem.

The rules (docs/packs.md):

1. every file loads (``pack.toml`` and each exercise: the loader's errors, with their lines);
2. the reference (``solution``) passes every test, three times: twice in one child process (a result that
   depends on state left by an earlier call shows) and once in a fresh one (a result that depends on the hash
   seed, such as the order of a set, shows); a test that gives different results is reported as such;
3. every test runs under the time limit, and one run of the reference takes at most half a run's time budget;
4. the starter fails at least one test;
5. every exercise has at least one hidden test;
6. nothing the learner sees gives the reference away: no *distinctive line* of the reference (a line that is not
   in the starter, not a ``def``/``class`` line, and at least ``REVEAL_MIN`` characters long without its spaces)
   appears, spaces ignored, in the description or in a test's call, expected value or assert.

The reference and starter runs use the real sandboxed runner, one child per run, ``cores + 1`` runs at a time.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tutor.exercises import Exercise, LoadResult, load_pack
from tutor.pack_format import header_line
from tutor.runner import Limits, TestReport, run_tests

REVEAL_MIN = 12


@dataclass
class PackCheck:
    """The outcome of checking one pack: ``problems`` (one sentence each, with file and line where known)."""

    path: Path
    name: str = ""
    exercises: int = 0
    units: int = 0
    problems: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and self.exercises > 0

    def summary(self) -> str:
        head = f"Pack {self.name or self.path.name!r} ({self.path}): {_count(self.exercises, 'exercise')}"
        head += f" in {_count(self.units, 'unit')}" if self.units else ""
        lines = [head + f", checked in {self.duration_s:.1f} s."]
        if self.ok:
            lines.append(
                "Ready to share: every file loads, every reference passes every test three times within the "
                "time limit, every starter fails a test, every exercise has hidden tests, and no test or "
                "description shows the reference's code."
            )
            return "\n".join(lines)
        count = len(self.problems) or 1
        lines.append(f"Not ready: {count} problem{'s' if count != 1 else ''} to fix before a lab gets it.")
        lines += [f"  - {problem}" for problem in self.problems or ["the pack has no exercises"]]
        return "\n".join(lines)


def default_workers() -> int:
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, count) + 1


def check_pack(path: Path, limits: Limits | None = None, workers: int | None = None) -> PackCheck:
    """Check the pack folder ``path`` against every rule (see the module docstring)."""
    started = time.perf_counter()
    loaded = load_pack(path)
    check = PackCheck(path, loaded.name, len(loaded.exercises), len(loaded.units))
    check.problems += [str(error) for error in loaded.errors]
    if not loaded.exercises and not loaded.errors:
        check.problems.append(f"{path}: no exercise files (*.toml) in the folder or its sub-folders")
    for exercise in loaded.exercises:
        check.problems += static_problems(exercise)
    check.problems += run_problems(loaded, limits or Limits(), workers or default_workers())
    check.duration_s = time.perf_counter() - started
    return check


def _where(exercise: Exercise, test: int | None = None) -> str:
    line = header_line(_source_text(exercise), "tests", test) if test else None
    return f"{exercise.source}" + (f", line {line}" if line else "") + f": exercise {exercise.id!r}"


def _source_text(exercise: Exercise) -> str:
    try:
        return Path(exercise.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def static_problems(exercise: Exercise) -> list[str]:
    """The rules that need no run: a reference, hidden tests, nothing that gives the reference away."""
    where = _where(exercise)
    if not exercise.solution:
        return [f"{where}: has no solution (the reference is needed to check the tests)"]
    problems = []
    if not any(getattr(t, "hidden", False) for t in exercise.tests):
        problems.append(f"{where}: has no hidden test (add `hidden = true` to at least one [[tests]])")
    for number, text in revealing(exercise):
        place = "the description" if number == 0 else f"test {number}"
        problems.append(f"{_where(exercise, number or None)}: {place} shows the reference's line {text!r}")
    return problems


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def distinctive_lines(exercise: Exercise) -> list[str]:
    """The reference's lines that would give it away (see rule 6)."""
    starter = {_squash(line) for line in exercise.starter.splitlines()}
    lines = []
    for line in (exercise.solution or "").splitlines():
        squashed = _squash(line)
        if (
            len(squashed) >= REVEAL_MIN
            and squashed not in starter
            and not line.lstrip().startswith(("def ", "class "))
        ):
            lines.append(line.strip())
    return lines


def revealing(exercise: Exercise) -> list[tuple[int, str]]:
    """(0 for the description or the test's number, the line) for each distinctive line shown to the learner."""
    places = [(0, exercise.description)]
    for number, test in enumerate(exercise.tests, start=1):
        shown = (
            test.call,
            test.expected,
            test.code,
            getattr(test, "stdin", None),
            getattr(test, "stdout", None),
        )
        places.append((number, " ".join(t for t in shown if t)))
    found = []
    for line in distinctive_lines(exercise):
        found += [(number, line) for number, text in places if _squash(line) in _squash(text)]
    return found


def run_problems(loaded: LoadResult, limits: Limits, workers: int) -> list[str]:
    """Rules 2-4, every run of every exercise spread over ``workers`` runs at a time."""
    exercises = [e for e in loaded.exercises if e.solution]
    twice = replace(limits, total_s=limits.total_s * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [
            (
                pool.submit(_run, e, e.solution or "", 2, twice),
                pool.submit(_run, e, e.solution or "", 1, limits),
                pool.submit(_run, e, e.starter, 1, limits),
            )
            for e in exercises
        ]
        problems: list[str] = []
        for exercise, (same, fresh, starter) in zip(exercises, jobs, strict=True):
            problems += reference_problems(exercise, same.result(), fresh.result(), limits)
            if starter.result().passed:
                problems.append(
                    f"{_where(exercise)}: the starter passes every test (it must fail at least one)"
                )
    return problems


def _run(exercise: Exercise, code: str, times: int, limits: Limits) -> TestReport:
    tests = list(exercise.tests) * times
    return run_tests(code, tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits)


def reference_problems(exercise: Exercise, same: TestReport, fresh: TestReport, limits: Limits) -> list[str]:
    """What the reference's three runs of each test say (``same``: two rounds in one child; ``fresh``: one)."""
    if same.syntax_error is not None:
        return [f"{_where(exercise)}: the solution is not valid Python: {same.syntax_error.message}"]
    count = len(exercise.tests)
    problems = []
    for index in range(count):
        runs = [r for r in (same.tests[index::count] + fresh.tests[index : index + 1])]
        statuses = [r.status for r in runs]
        where = _where(exercise, index + 1)
        if any(s == "timeout" for s in statuses):
            problems.append(f"{where}: test {index + 1} runs over the time limit ({limits.per_test_s:g} s)")
        elif len(set(statuses)) > 1:
            problems.append(
                f"{where}: test {index + 1} gives different results on three runs ({', '.join(statuses)})"
            )
        elif statuses[0] != "pass":
            problems.append(f"{where}: the solution fails test {index + 1}: {runs[0].message}")
    if fresh.duration_s > limits.total_s / 2:
        problems.append(
            f"{_where(exercise)}: one run of the solution takes {fresh.duration_s:.1f} s, over half of the "
            f"{limits.total_s:g} s a run may take (a slower lab machine may time out)"
        )
    return problems


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
