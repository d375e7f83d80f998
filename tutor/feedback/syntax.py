"""A syntax error in a beginner's words, at the position Python really means.

Python's message is kept as the fact (``expected ':'``) and is followed by what it means on that line. The column
is given only where it points into the line: for indentation errors Python's offset counts past the end of the
line (``line 4, column 31`` on a 10-character line), so those name the line alone and talk about its indentation.
"""

from __future__ import annotations

import re

from tutor.runner.report import SyntaxProblem

_INDENTATION = ("indent", "tabs and spaces")
WHY = (
    "Python reads the whole file before it runs any of it, so a single line it cannot read stops every test "
    "at once; nothing about your logic has been checked yet. Once that line reads correctly, the tests run."
)

# (pattern in Python's message, what it means; {line} is the line number)
_MEANINGS: tuple[tuple[str, str], ...] = (
    (
        r"expected an indented block after '?(\w+)'? statement on line (\d+)",
        "The line after a line ending with a colon must be indented (moved to the right) to belong to it: "
        "line {line} should start further right than line {g2}.",
    ),
    (r"expected an indented block", "Line {line} should be indented further than the line above it."),
    (
        r"unindent does not match",
        "Line {line} is indented by an amount no line above it uses: line its start up exactly with the "
        "lines of the block it belongs to.",
    ),
    (
        r"unexpected indent",
        "Line {line} is indented further than the line before it, but nothing there starts a new block: "
        "move it back in line with its neighbours.",
    ),
    (
        r"tabs and spaces",
        "Line {line} mixes tabs and spaces in its indentation: indent with spaces only.",
    ),
    (r"expected ':'", "A colon (:) is missing at the end of line {line}."),
    (r"'(.)' was never closed", "A bracket {g1} opened on line {line} is never closed."),
    (r"unmatched '(.)'", "Line {line} has a closing bracket {g1} without a matching opening one."),
    (r"closing parenthesis '(.)' does not match", "The brackets on line {line} do not match in pairs."),
    (
        r"unterminated (triple-quoted )?string",
        "A piece of text (a string) on line {line} has no closing quote.",
    ),
    (
        r"Maybe you meant '==' or ':=' instead of '='",
        "On line {line} a single = (which stores a value) is used where a comparison needs ==.",
    ),
    (r"Missing parentheses in call to 'print'", "In Python 3, print needs brackets around what it prints."),
    (r"cannot assign to", "The left side of = on line {line} is not a name that can hold a value."),
    (
        r"invalid character",
        "Line {line} has a character Python does not accept (often a curly quote or dash pasted from a "
        "document).",
    ),
    (r"'return' outside function", "Line {line} has a return that is not inside any function."),
    (r"invalid decimal literal", "On line {line} a name starts with a digit, or a number has letters in it."),
)


def describe_syntax(problem: SyntaxProblem) -> str:
    """Where Python stopped reading and what that means, in one or two sentences."""
    message = problem.message.removeprefix("SyntaxError: ")
    where = _where(problem, message)
    meaning = _meaning(message, problem.line)
    fact = f"Python cannot read your program: {where}it says {message!r}."
    if meaning:
        return f"{fact} {meaning}"
    return (
        f"{fact} Look at that line and the one just before it: a missing colon, bracket, quote or operator "
        "is the usual cause."
    )


def is_indentation(message: str) -> bool:
    return any(word in message for word in _INDENTATION)


def _where(problem: SyntaxProblem, message: str) -> str:
    if not problem.line:
        return ""
    column = problem.column
    inside = bool(problem.text) and column is not None and 1 <= column <= len(problem.text.rstrip())
    if column and inside and not is_indentation(message):
        return f"at line {problem.line}, column {column}, "
    return f"at line {problem.line}, "


def _meaning(message: str, line: int | None) -> str:
    for pattern, text in _MEANINGS:
        found = re.search(pattern, message)
        if found:
            groups = {f"g{i}": g or "" for i, g in enumerate(found.groups(), start=1)}
            return text.format(line=line or "?", **groups)
    return ""
