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
from tutor.runner.forbid import forbidden_use
from tutor.runner.harness import conduct
from tutor.runner.judge import not_run
from tutor.runner.limits import Limits
from tutor.runner.report import SyntaxProblem, TestReport, TestResult

LEARNER_FILE = "solution.py"


def run(exercise: Exercise, code: str, limits: Limits | None = None) -> TestReport:
    """Run ``code`` against every test of ``exercise``."""
    return run_tests(
        code,
        exercise.tests,
        entry=exercise.entry,
        prelude=exercise.prelude,
        limits=limits,
        forbid=exercise.forbid,
    )


def passes(exercise: Exercise, code: str, first: str | None = None, limits: Limits | None = None) -> bool:
    """Whether ``code`` passes every test, stopping at the first failure (the test shown as ``first``, a label
    or "hidden test N", runs first): the fast check used to validate repair candidates."""
    shown = {id(t): shown_label(t, n) for n, t in enumerate(exercise.tests, start=1)}
    tests = sorted(exercise.tests, key=lambda t: shown[id(t)] != first)
    report = run_tests(
        code,
        tests,
        entry=exercise.entry,
        prelude=exercise.prelude,
        limits=limits,
        stop_on_failure=True,
        forbid=exercise.forbid,
    )
    return report.passed


def shown_label(test: TestCase, number: int) -> str:
    """What the learner sees for test ``number`` (from 1): its label, or "hidden test N"."""
    return f"hidden test {number}" if test.hidden else test.label


def run_tests(
    code: str,
    tests: Sequence[TestCase],
    entry: str = "",
    prelude: str = "",
    limits: Limits | None = None,
    stop_on_failure: bool = False,
    forbid: Sequence[str] = (),
    reveal_hidden: bool = False,
) -> TestReport:
    """Run ``code`` in a fresh child process against ``tests``; never raises for anything the code does. Code
    that uses a name in ``forbid`` fails every test without running. A hidden test's result keeps no input,
    expected or actual value, or output, unless ``reveal_hidden`` (a teacher checking a pack)."""
    limits = limits or Limits()
    started = time.perf_counter()
    problem = syntax_problem(code)
    forbidden = forbidden_use(code, forbid) if problem is None else None
    if problem is not None:
        report = TestReport(syntax_error=problem, tests=[not_run(t, problem.message, "error") for t in tests])
    elif forbidden is not None:
        message, line = forbidden
        report = TestReport(tests=[not_run(t, message, "fail") for t in tests])
        for result in report.tests:
            result.line = line
    else:
        report = conduct(code, tests, entry, prelude, limits, stop_on_failure)
    for number, (test, result) in enumerate(zip(tests, report.tests, strict=True), start=1):
        _annotate(test, result, number, reveal_hidden)
    report.duration_s = time.perf_counter() - started
    return report


def _annotate(test: TestCase, result: TestResult, number: int, reveal_hidden: bool) -> None:
    """The test's kind (for the wording of its failure) and, for a hidden test, its content removed."""
    result.kind, result.hidden = test.kind, test.hidden
    result.stdin = test.stdin if test.is_program else None
    if not test.hidden or reveal_hidden:
        return
    result.call, result.expected, result.got, result.output, result.stdin = (
        shown_label(test, number),
        None,
        None,
        "",
        None,
    )
    result.message = hidden_message(result)


def hidden_message(result: TestResult) -> str:
    """What a learner is told about a failing hidden test: how it failed, never its input or values."""
    if result.passed:
        return ""
    where = f" on line {result.line}" if result.line else ""
    if result.status == "timeout":
        return "A hidden test did not finish in time (an endless loop?)."
    if result.message.startswith(("This exercise asks you not to use", "Not run:", "SyntaxError")):
        return result.message
    if result.message.startswith("The program waited for input"):
        return "In a hidden test, the program asked for more input than the test gives."
    if result.status == "error":
        name = f" ({result.exception})" if result.exception else ""
        return f"A hidden test stops with an error{name}{where}."
    return "A hidden test fails: it checks a case the visible tests do not show."


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
