"""Program analysis as a hint source: what the failing test shows, and where and what kind of change a
validated repair makes, said in words and never as code.

This is what the learner gets when the model's text fails the leak guard, and it is true by construction: it is
built from the test report and from a repair that passed the tests.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pygments.token import Keyword, Name, Number, Operator, String

from tutor.feedback import syntax
from tutor.feedback.tokens import SourceToken, tokens
from tutor.runner.report import SyntaxProblem, TestResult

_COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
_ARITHMETIC = {"+", "-", "*", "/", "//", "%", "**", "+=", "-=", "*=", "/=", "//=", "%="}
_LOGIC = {"and", "or", "not", "is", "in", "True", "False", "None"}


@dataclass(frozen=True)
class Change:
    """One region where the repair differs from the learner's code."""

    line: int
    kind: str  # comparison | arithmetic | number | name | logic | string | missing | extra | statement
    question: str


def describe_failure(test: TestResult) -> str:
    """One sentence about the first failing test, from its call (or the program's input), expected and actual
    values. A hidden test is only said to fail, with how (never its input or values)."""
    if test.hidden:
        said = test.message.strip()
        return quote(said if said.startswith("A hidden test") else f"A hidden test fails: {said}", 160)
    if test.kind == "program":
        return _describe_program(test)
    call = quote(test.call.strip())
    if test.status == "timeout":
        return (
            f"When the tests call {call}, your program never finishes: some loop or recursion does not stop."
        )
    if test.kind == "raises" and test.status == "fail":
        return _describe_raises(test, call)
    if test.status == "error":
        where = f" on line {test.line}" if test.line else ""
        return f"When the tests call {call}, your program stops with an error{where}: {quote(test.message.strip(), 140)}"
    if test.got is not None and test.expected is not None:
        return f"For {call} your function returns {quote(test.got)}, but the test expects {quote(test.expected)}."
    return f"The test {call} fails: {quote(test.message.strip(), 140)}"


def given_input(test: TestResult) -> str:
    """ "Given the input '3'", or "" for a program test without input."""
    shown = (test.stdin or "").removesuffix("\n")
    return f"Given the input {quote(repr(shown))}" if shown else ""


def _describe_program(test: TestResult) -> str:
    given = given_input(test)
    run = f"{given}, your program" if given else "Your program"
    if test.status == "timeout":
        return f"{run} never finishes: some loop does not stop, or it waits for something that never comes."
    if test.message.startswith("The program waited for input"):
        return f"{run} asks for more input than the test gives: {quote(test.message.strip(), 140)}"
    if test.status == "error":
        where = f" on line {test.line}" if test.line else ""
        return f"{run} stops with an error{where}: {quote(test.message.strip(), 140)}"
    if test.got is not None and test.expected is not None:
        return f"{run} printed {quote(test.got)} but the test expects {quote(test.expected)}."
    return f"{run} fails the test: {quote(test.message.strip(), 140)}"


def _describe_raises(test: TestResult, call: str) -> str:
    if test.exception is None and test.got is not None:
        return f"Calling {call} should raise {test.expected}, but it returned {quote(test.got)}."
    return quote(test.message.strip(), 160)


def describe_syntax(problem: SyntaxProblem) -> str:
    """The syntax error in a beginner's words at its real position (``tutor.feedback.syntax``)."""
    return syntax.describe_syntax(problem)


def changes(original: str, fixed: str) -> list[Change]:
    """Where and what kind of edits turn ``original`` into ``fixed``."""
    left, right = tokens(original), tokens(fixed)
    matcher = difflib.SequenceMatcher(a=[t.value for t in left], b=[t.value for t in right], autojunk=False)
    found: list[Change] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old, new = left[i1:i2], right[j1:j2]
        line = old[0].line if old else (left[i1].line if i1 < len(left) else (left[-1].line if left else 1))
        found.append(_classify(op, old, new, line))
    return found


def describe_change(original: str, fixed: str) -> str:
    """A Socratic sentence pointing at the first change a passing repair makes, without saying the change."""
    found = changes(original, fixed)
    if not found:
        return ""
    first = found[0]
    more = " It may not be the only place to look." if len({c.line for c in found}) > 1 else ""
    return first.question + more


def _classify(op: str, old: list[SourceToken], new: list[SourceToken], line: int) -> Change:
    values = {t.value for t in old} | {t.value for t in new}
    if op == "insert":
        return Change(
            line,
            "missing",
            f"Something seems to be missing around line {line}: which case or step "
            "does your code not handle yet?",
        )
    if op == "delete":
        return Change(line, "extra", f"Look at line {line}: is everything there really needed?")
    if values & _COMPARISONS and all(t.kind in Operator for t in old + new):
        return Change(
            line,
            "comparison",
            f"Look at the comparison on line {line}: should the boundary value "
            "itself count, and is it facing the right way?",
        )
    if all(t.kind in Operator for t in old + new):
        return Change(
            line, "arithmetic", f"Check the operator on line {line}: is that the operation you mean?"
        )
    if all(t.kind in Number for t in old + new):
        return Change(
            line,
            "number",
            f"Check the number on line {line}: is it off by one, or the wrong start or end value?",
        )
    if values & _LOGIC or all(t.kind in Keyword for t in old + new):
        return Change(
            line, "logic", f"Think about the logic of line {line}: when should that condition be true?"
        )
    if (
        all(t.kind in Number or t.kind in Name or t.kind in String for t in old + new)
        and len(old) == len(new) == 1
    ):
        return Change(
            line, "value", f"Check the value used on line {line}: is it the right one for this case?"
        )
    if all(t.kind in String for t in old + new):
        return Change(
            line,
            "string",
            f"Compare the text your code builds on line {line} with the expected "
            "value, character by character.",
        )
    if all(t.kind in Name for t in old + new):
        return Change(line, "name", f"On line {line}, is the right variable or function being used?")
    return Change(
        line,
        "statement",
        f"Have a close look at line {line}: trace what it does for the failing test, step by step.",
    )


def quote(text: str | None, limit: int = 80) -> str:
    """``text`` exactly as it is, every space kept (``'Hello,   Grace !'`` is not ``'Hello, Grace !'``): a value
    quoted in a hint must be the one the program returned. Only the ends of a message are trimmed. A text longer
    than ``limit``, or of several lines, is cut at ``limit`` characters or at its first line break, and then says
    that it was cut and how long it is."""
    text = text or ""
    first, newline, _ = text.partition("\n")
    if len(first) <= limit and not newline:
        return text
    kept = first[: limit - 1]
    return f"{kept}… (cut here; {len(text)} characters in all)"
