"""The parent side of the sandbox: start one child per run, ask it one test at a time, judge its answers.

The child is ``python -I -S child.py`` inside the OS sandbox (``isolation.py``: bubblewrap, namespaces, seccomp,
a private tmpfs as its only writable folder), or, where no sandbox can start, a plain child process in a fresh
temporary folder and its own session. Either way the parent enforces the time limits and kills the whole process
tree (and with it the PID namespace) at the end of every run. The verdicts are made here (``verdict.py``): the child
is sent the program and then each test's call, never an expected value, and answers with plain data. Its answers
must follow the harness's protocol exactly (``loading``, ``ready``, then ``start``/``result`` per test asked, then
``done``); a line out of place (a forged result, a second result, an unknown event, a line that is not JSON) marks
the whole run as an error, never a pass.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

from tutor.exercises import Exercise, TestCase
from tutor.runner.harness import conduct, not_run
from tutor.runner.limits import Limits
from tutor.runner.report import SyntaxProblem, TestReport

LEARNER_FILE = "solution.py"


def run(exercise: Exercise, code: str, limits: Limits | None = None) -> TestReport:
    """Run ``code`` against every test of ``exercise``."""
    return run_tests(code, exercise.tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits)


def passes(exercise: Exercise, code: str, first: str | None = None, limits: Limits | None = None) -> bool:
    """Whether ``code`` passes every test, stopping at the first failure (the test labelled ``first`` runs
    first): the fast check used to validate repair candidates."""
    tests = sorted(exercise.tests, key=lambda t: t.label != first)
    report = run_tests(
        code, tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits, stop_on_failure=True
    )
    return report.passed


def run_tests(
    code: str,
    tests: Sequence[TestCase],
    entry: str = "",
    prelude: str = "",
    limits: Limits | None = None,
    stop_on_failure: bool = False,
) -> TestReport:
    """Run ``code`` in a fresh child process against ``tests``; never raises for anything the code does."""
    limits = limits or Limits()
    started = time.perf_counter()
    problem = syntax_problem(code)
    if problem is not None:
        report = TestReport(syntax_error=problem, tests=[not_run(t, problem.message, "error") for t in tests])
    else:
        report = conduct(code, tests, entry, prelude, limits, stop_on_failure)
    report.duration_s = time.perf_counter() - started
    return report


def syntax_problem(code: str) -> SyntaxProblem | None:
    """The first syntax error in ``code`` (line and column), or None; nothing is run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # e.g. SyntaxWarning for `is` with a literal: the child shows them
            compile(code, LEARNER_FILE, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return SyntaxProblem(f"SyntaxError: {exc.msg}", exc.lineno, exc.offset, (exc.text or "").rstrip("\n"))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return SyntaxProblem(f"The file cannot be compiled: {exc}", None, None)
    return None
