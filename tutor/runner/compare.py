"""The trusted comparisons of the newer test kinds: floats within a tolerance (also inside containers), unordered
results as multisets, a program's output against the expected text, and a raised exception against the expected
class. All of it runs in the parent, on what the child answered (``verdict.decode``); the child never sees an
expected value."""

from __future__ import annotations

import ast
import builtins
import math
import re
from collections import Counter
from typing import Any

from tutor.runner.verdict import Opaque

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
GREEDY_LIMIT = 2_000  # unordered comparison of unhashable items pairs them one by one up to this many


def literal(text: str) -> tuple[bool, Any]:
    """``(True, value)`` for a Python literal, ``(False, None)`` otherwise."""
    try:
        return True, ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def close(got: Any, expected: Any, tolerance: float) -> bool:
    """Equal, with every float within ``tolerance`` (absolute, or relative for large numbers) wherever it sits in
    lists, tuples and dict values; the container types must match."""
    if isinstance(got, Opaque):
        return False
    if _number(got) and _number(expected) and (isinstance(got, float) or isinstance(expected, float)):
        return math.isclose(got, expected, rel_tol=tolerance, abs_tol=tolerance)
    if type(got) is not type(expected):
        return False
    if isinstance(got, (list, tuple)):
        return len(got) == len(expected) and all(close(g, e, tolerance) for g, e in zip(got, expected))
    if isinstance(got, dict):
        return got.keys() == expected.keys() and all(close(got[k], expected[k], tolerance) for k in got)
    try:
        return bool(got == expected)
    except RecursionError:
        return False


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_unordered(got: Any, expected: Any, tolerance: float | None) -> bool:
    """A list or tuple result equal to ``expected`` in any order (as a multiset); the types must match."""
    if type(got) is not type(expected) or not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    if tolerance is None:
        try:
            return Counter(got) == Counter(expected)
        except TypeError:  # unhashable items (lists in a list): paired one by one below
            pass
    if len(got) > GREEDY_LIMIT:
        return sorted(map(repr, got)) == sorted(map(repr, expected))
    left = list(expected)
    for item in got:
        match = next((i for i, e in enumerate(left) if close(item, e, tolerance or 0.0)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def normal_lines(text: str) -> list[str]:
    """The output as compared by default: each line without its trailing whitespace, no blank lines at the end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_output(got: str, expected: str, exact: bool, tolerance: float | None) -> bool:
    """Whether a program's output matches: exactly; else line by line ignoring trailing whitespace and blank lines
    at the end; with a tolerance, every number within it and the text between the numbers the same."""
    if exact:
        return got == expected
    left, right = normal_lines(got), normal_lines(expected)
    if tolerance is None:
        return left == right
    return len(left) == len(right) and all(_line_close(a, b, tolerance) for a, b in zip(left, right))


def _line_close(got: str, expected: str, tolerance: float) -> bool:
    if _NUMBER.split(got) != _NUMBER.split(expected):
        return False
    numbers = zip(_NUMBER.findall(got), _NUMBER.findall(expected))
    return all(math.isclose(float(a), float(b), rel_tol=tolerance, abs_tol=tolerance) for a, b in numbers)


def first_difference(got: str, expected: str, exact: bool) -> str:
    """Where a program's output first differs, in words."""
    left = got.split("\n") if exact else normal_lines(got)
    right = expected.split("\n") if exact else normal_lines(expected)
    for number, (a, b) in enumerate(zip(left, right), start=1):
        if a != b:
            return f"Line {number} of the output is {_cut(a)}, but the test expects {_cut(b)}."
    if len(left) < len(right):
        return f"The output stops after {_lines(len(left))}; the test expects {_lines(len(right))}."
    if len(left) > len(right):
        return f"The output has {_lines(len(left))}; the test expects {_lines(len(right))}."
    return "The output differs from what the test expects in its spacing or line endings."


def _lines(count: int) -> str:
    return f"{count} line" + ("" if count == 1 else "s")


def _cut(text: str, limit: int = 120) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "..." + shown[0]


def raised_matches(mro: list[str], wanted: str) -> bool:
    """Whether an exception whose classes are ``mro`` (``module.qualname`` each, the child's report) is a
    ``wanted``. A built-in name (``ValueError``) means Python's own class: a class the learner defined with the
    same name is not it (``except ValueError`` would not catch it). Any other name is matched by class name (an
    exercise may ask for an exception class the learner defines)."""
    if _is_builtin_exception(wanted):
        return f"builtins.{wanted}" in mro
    return any(entry.rpartition(".")[2] == wanted for entry in mro)


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


def waiting_message(stdin: str) -> str:
    """What a program test says when the program asked for more input than the test gave."""
    count = len(stdin.splitlines())
    return f"The program waited for input, but the test gave no more (it gave {_lines(count)})."
