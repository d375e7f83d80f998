"""The verdict on each of the child's answers, made in the parent: a value compared with the expected literal
(with a tolerance or in any order where the test says so), a raised exception's classes against the one a
``raises`` test expects, a program's printed output against the expected text. An answer of the wrong kind for
its test is ``Interfered``: the run no longer counts."""

from __future__ import annotations

import signal
from typing import Any

from tutor.exercises import TestCase
from tutor.runner import compare
from tutor.runner.limits import Limits
from tutor.runner.report import TestResult
from tutor.runner.verdict import (
    Check,
    Opaque,
    ProtocolError,
    decode,
    mismatch_message,
    same,
    short_repr,
    truthy,
)

OUTPUT_LIMIT = 2000  # characters of a test's printed output kept in its result


class Interfered(Exception):
    """The child's events broke the protocol."""


def judge(test: TestCase, check: Check, answer: dict[str, Any]) -> TestResult:
    """The verdict on one answer: only a value or an exception (judged here), or, for a statements test, "ran"
    can pass."""
    result = _verdict(test, check, answer)
    result.output = _text(answer.get("output"))[:OUTPUT_LIMIT]
    return result


def _verdict(test: TestCase, check: Check, answer: dict[str, Any]) -> TestResult:
    status = answer.get("status")
    if status == "value" and check.kind == "program":
        return _judge_program(test, answer)
    if status == "value" and check.kind == "raises":
        got = _decoded(answer.get("value"))
        message = f"Calling {test.call} should raise {test.raises}, but it returned {short_repr(got)}."
        return _result(test, "fail", got=short_repr(got), message=message)
    if status == "value" and check.kind != "statements":
        return _judge_value(test, check, answer.get("value"))
    if status == "ran" and check.kind == "statements":
        return _result(test, "pass")
    if status in ("error", "fail") and check.kind == "raises" and isinstance(answer.get("exception"), str):
        return _judge_raised(test, answer)
    if status in ("error", "timeout", "fail"):
        message = _text(answer.get("message"))
        if check.kind == "program" and answer.get("waiting") is True and status == "error":
            message = compare.waiting_message(test.stdin or "")
        return _result(
            test,
            status,
            message=message,
            exception=_text(answer.get("exception")) or None,
            line=_line(answer),
        )
    raise Interfered(f"an answer of the wrong kind ({str(status)[:40]!r})")


def _result(test: TestCase, status: str, **fields: Any) -> TestResult:
    return TestResult(call=test.label, status=status, expected=test.shown_expected, **fields)  # type: ignore[arg-type]


def _line(answer: dict[str, Any]) -> int | None:
    line = answer.get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) else None


def _decoded(data: Any) -> Any:
    try:
        return decode(data)
    except ProtocolError as exc:
        raise Interfered(str(exc)) from None


def _judge_value(test: TestCase, check: Check, data: Any) -> TestResult:
    got = _decoded(data)
    if check.kind == "value":
        passed = _same_value(got, check.expected or "None", test)
    else:
        passed = truthy(got) == (check.kind == "truthy")
    result = _result(test, "pass", got=short_repr(got))
    if not passed:
        result.status = "fail"
        result.message = mismatch_message(check, got)
        if test.unordered and not isinstance(got, Opaque):
            result.message += " (The order does not matter here, but the items differ.)"
        result.exception = "AssertionError" if check.from_assert else None
    return result


def _same_value(got: Any, expected_text: str, test: TestCase) -> bool:
    if test.tolerance is None and not test.unordered:
        return same(got, expected_text)
    ok, expected = compare.literal(expected_text)
    if not ok:
        return same(got, expected_text)
    if test.unordered:
        return compare.same_unordered(got, expected, test.tolerance)
    return compare.close(got, expected, test.tolerance or 0.0)


def _judge_raised(test: TestCase, answer: dict[str, Any]) -> TestResult:
    classes = _text(answer.get("classes")).split()
    name = _text(answer.get("exception"))
    wanted = test.raises or ""
    if compare.raised_matches(classes, wanted):
        return _result(test, "pass", got=name)
    mine = f"builtins.{name}" not in classes and any(c.rpartition(".")[2] == wanted for c in classes)
    detail = (
        f"it raised a class of its own named {wanted}, not Python's {wanted}"
        if mine
        else f"it raised {_text(answer.get('message')) or name}"
    )
    return _result(
        test,
        "fail",
        got=name,
        exception=name or None,
        line=_line(answer),
        message=f"Calling {test.call} should raise {wanted}, but {detail}.",
    )


def _judge_program(test: TestCase, answer: dict[str, Any]) -> TestResult:
    got = _decoded(answer.get("value"))
    if not isinstance(got, str):
        raise Interfered("a program test answered with something other than text")
    expected = test.stdout or ""
    result = _result(test, "pass", got=short_repr(got))
    if answer.get("cut") is True:
        result.status = "fail"
        result.message = "The program printed more than the tests keep (an endless loop of print()?)."
    elif not compare.same_output(got, expected, test.exact, test.tolerance):
        result.status = "fail"
        result.message = compare.first_difference(got, expected, test.exact)
    return result


def _text(value: Any) -> str:
    return value[:2000] if isinstance(value, str) else ""


def not_run(test: TestCase, message: str, status: str) -> TestResult:
    """A test that has no result of its own, with the reason."""
    return _result(test, status, message=message)


def from_module_error(test: TestCase, event: dict[str, Any]) -> TestResult:
    """A test that could not run because loading the file failed."""
    status = event.get("status") if event.get("status") in ("error", "timeout") else "error"
    return _result(
        test,
        str(status),
        message=_text(event.get("message")),
        exception=_text(event.get("exception")) or None,
        line=_line(event),
    )


def stop_reason(returncode: int, timed_out: bool, limits: Limits, loaded: bool) -> str:
    """Why the run ended before every test had a result."""
    if timed_out:
        return f"The program ran longer than the {limits.total_s:g} s allowed for all tests and was stopped."
    if not loaded:
        return "The test harness could not start."
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.Signals._value2member_map_ else "?"
        if name == "SIGXCPU":
            return "The program used more processor time than allowed and was stopped."
        if name == "SIGSEGV":
            return "The program crashed (segmentation fault), perhaps from recursion that goes too deep."
        return f"The program was stopped by signal {name}."
    return f"The program ended the process itself (exit code {returncode}), e.g. with os._exit()."
