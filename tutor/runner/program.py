"""The app's "Run" button: the learner's whole file run once as ``__main__`` with the given standard input, in the
same sandbox and under the same limits as the tests, its printed output captured and capped
(``Limits.output_kb``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from tutor.exercises import TestCase
from tutor.runner.harness import conduct
from tutor.runner.limits import Limits
from tutor.runner.sandbox import syntax_problem
from tutor.runner.verdict import ProtocolError, decode

ProgramStatus = Literal["ok", "error", "timeout", "waiting"]
CUT_NOTE = "\n[… output cut: too much printed]"


@dataclass
class ProgramRun:
    """One run of a program: what it printed (capped), how it ended, and where an error happened."""

    stdout: str
    status: ProgramStatus
    message: str
    line: int | None
    duration_s: float


def run_program(code: str, stdin: str = "", limits: Limits | None = None) -> ProgramRun:
    """Run ``code`` once with ``stdin`` as its input; never raises for anything the code does. What comes back
    reads like a terminal: each ``input()`` prompt followed by the line it read. "waiting": the program asked for
    more input than was given."""
    started = time.perf_counter()
    problem = syntax_problem(code)
    if problem is not None:
        where = f" (line {problem.line}, column {problem.column})" if problem.line else ""
        return ProgramRun("", "error", problem.message + where, problem.line, time.perf_counter() - started)
    answers: list[dict[str, Any]] = []
    test = TestCase(stdin=stdin, stdout="", exact=True, echo=True)
    result = conduct(code, [test], "", "", limits or Limits(), False, answers).tests[0]
    printed = _printed(answers, result.output)
    status: ProgramStatus
    if result.status in ("pass", "fail"):  # it ran to the end (the expected text means nothing here)
        status, message = "ok", ""
    elif result.status == "timeout":
        status, message = "timeout", result.message
    elif result.message.startswith("The program waited for input"):
        status, message = "waiting", _waiting(stdin)
    else:
        status, message = "error", result.message
    return ProgramRun(printed, status, message, result.line, time.perf_counter() - started)


def _printed(answers: list[dict[str, Any]], output: str) -> str:
    """What the program printed: the whole captured text when it ran to the end, else what the test kept."""
    if not answers or answers[0].get("status") != "value":
        return output
    try:
        text = decode(answers[0].get("value"))
    except ProtocolError:
        return output
    if not isinstance(text, str):
        return output
    return text + CUT_NOTE if answers[0].get("cut") is True else text


def _waiting(stdin: str) -> str:
    lines = len(stdin.splitlines())
    given = "no input" if not lines else f"{lines} line" + ("" if lines == 1 else "s")
    return f"The program waited for input, but none was left (it was given {given})."
