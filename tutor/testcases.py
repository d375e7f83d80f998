"""One exercise test and how it is read from a pack's TOML or a JSONL task: the test kinds.

- **call**: ``call`` (an expression) and ``expected`` (a Python literal as text); optional ``tolerance`` (floats,
  also inside containers, equal within it) and ``unordered`` (a list or tuple result compared as a multiset);
- **raises**: ``call`` and ``raises`` (an exception class name): the call must raise it or a subclass;
- **program**: ``stdout`` (required) and ``stdin`` (optional): the whole file runs as a program, fresh, with that
  input; its output is compared (trailing whitespace ignored unless ``exact``; numbers within ``tolerance``);
- **statements**: ``assert`` (or ``code``): Python statements that must run without raising (the older form).

Any test may be ``hidden = true``. A wrong combination (``expected`` with ``raises``, ``stdout`` with ``call``, a
negative tolerance...) is a ``TestFieldError`` naming the field; ``tutor.exercises`` turns it into a PackError.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 100_000  # as tutor.exercises: characters in one text field
LABEL_INPUT = 40  # characters of a program test's input shown in its label


@dataclass(frozen=True)
class TestCase:
    """One test: ``call`` compared with ``expected`` (or that must raise ``raises``), a program run with ``stdin``
    whose output must be ``stdout``, or ``code`` (statements such as an ``assert``) that must run without
    raising."""

    __test__ = False  # not a pytest test class

    call: str | None = None
    expected: str | None = None
    code: str | None = None
    hidden: bool = False
    stdin: str | None = None
    stdout: str | None = None
    raises: str | None = None
    tolerance: float | None = None
    unordered: bool = False
    exact: bool = False
    echo: bool = False  # Run program only (never read from a pack): prompts and the lines read are printed

    @property
    def is_program(self) -> bool:
        """A program test: the whole file runs with ``stdin``, its output compared with ``stdout``."""
        return self.stdout is not None

    @property
    def kind(self) -> str:
        """ "program", "raises", "call" or "statements"."""
        if self.is_program:
            return "program"
        if self.raises is not None:
            return "raises"
        return "call" if self.call is not None else "statements"

    @property
    def label(self) -> str:
        """What the learner sees in the test table (a hidden test is shown as "hidden test N" instead)."""
        if self.is_program:
            return program_label(self.stdin or "")
        return self.call if self.call is not None else (self.code or "")

    @property
    def shown_expected(self) -> str | None:
        """The expected outcome as the report shows it: a literal, an exception name, or the output's repr."""
        if self.is_program:
            return repr(self.stdout)
        return self.raises if self.raises is not None else self.expected

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"call": self.call, "expected": self.expected, "code": self.code}
        extra = {
            "hidden": self.hidden,
            "stdin": self.stdin,
            "stdout": self.stdout,
            "raises": self.raises,
            "tolerance": self.tolerance,
            "unordered": self.unordered,
            "exact": self.exact,
        }
        data.update({k: v for k, v in extra.items() if v not in (None, False)})
        return data


def program_label(stdin: str) -> str:
    """``program, input '3'`` (cut when long), or ``program, no input``."""
    shown = stdin[:-1] if stdin.endswith("\n") else stdin
    if not shown:
        return "program, no input"
    text = repr(shown)
    return f"program, input {text if len(text) <= LABEL_INPUT else text[: LABEL_INPUT - 4] + '...' + text[0]}"


class TestFieldError(Exception):
    """A test field that is missing, of the wrong type, or combined with one it cannot go with."""

    __test__ = False

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def parse_test(item: Any, index: int) -> TestCase:
    """The test ``tests[index]`` of an exercise (a TOML table or a JSON object)."""
    where = f"tests[{index}]"
    if not isinstance(item, dict):
        raise TestFieldError(where, "must be a table with 'call' and 'expected', 'raises' or 'stdout'")
    hidden = _flag(item, "hidden", where)
    if "assert" in item or "code" in item:
        return _statements(item, where, hidden)
    if "stdout" in item or "stdin" in item:
        return _program(item, where, hidden)
    if "exact" in item:
        raise TestFieldError(f"{where}.exact", "only goes with 'stdout' (a program test)")
    call = item.get("call")
    if not isinstance(call, str) or not call.strip():
        raise TestFieldError(f"{where}.call", "is missing")
    check_python(f"{where}.call", call, "eval")
    if "raises" in item:
        return _raises(item, where, call, hidden)
    expected = item.get("expected")
    if not isinstance(expected, str):
        raise TestFieldError(f"{where}.expected", "must be a Python literal written as text")
    _length(f"{where}.expected", expected)
    return TestCase(
        call=call,
        expected=expected,
        hidden=hidden,
        tolerance=_tolerance(item, where),
        unordered=_flag(item, "unordered", where),
    )


def _statements(item: dict[str, Any], where: str, hidden: bool) -> TestCase:
    code = item.get("assert", item.get("code"))
    if not isinstance(code, str) or not code.strip():
        raise TestFieldError(f"{where}.assert", "must be Python statements")
    if "assert" in item and not code.lstrip().startswith("assert"):
        code = f"assert {code}"
    check_python(f"{where}.assert", code, "exec")
    return TestCase(code=code, hidden=hidden)


def _program(item: dict[str, Any], where: str, hidden: bool) -> TestCase:
    for name in ("call", "expected", "raises", "unordered"):
        if name in item:
            raise TestFieldError(f"{where}.{name}", "cannot go with 'stdin'/'stdout' (a program test)")
    stdout = item.get("stdout")
    if not isinstance(stdout, str):
        raise TestFieldError(f"{where}.stdout", "is missing: a program test compares what the program prints")
    stdin = item.get("stdin", "")
    if not isinstance(stdin, str):
        raise TestFieldError(f"{where}.stdin", "must be text (the lines the program reads)")
    _length(f"{where}.stdout", stdout)
    _length(f"{where}.stdin", stdin)
    exact = _flag(item, "exact", where)
    tolerance = _tolerance(item, where)
    if exact and tolerance is not None:
        raise TestFieldError(f"{where}.tolerance", "cannot go with 'exact = true'")
    return TestCase(stdin=stdin, stdout=stdout, hidden=hidden, exact=exact, tolerance=tolerance)


def _raises(item: dict[str, Any], where: str, call: str, hidden: bool) -> TestCase:
    for name in ("expected", "tolerance", "unordered"):
        if name in item:
            raise TestFieldError(
                f"{where}.{name}", "cannot go with 'raises': the call raises, it returns nothing"
            )
    raises = item.get("raises")
    if not isinstance(raises, str) or not raises.isidentifier():
        raise TestFieldError(
            f"{where}.raises", "must be the name of an exception class, such as 'ValueError'"
        )
    return TestCase(call=call, raises=raises, hidden=hidden)


def _flag(item: dict[str, Any], name: str, where: str) -> bool:
    value = item.get(name, False)
    if not isinstance(value, bool):
        raise TestFieldError(f"{where}.{name}", "must be true or false")
    return value


def _tolerance(item: dict[str, Any], where: str) -> float | None:
    if "tolerance" not in item:
        return None
    value = item["tolerance"]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise TestFieldError(f"{where}.tolerance", "must be a number that is 0 or more, such as 1e-6")
    return float(value)


def _length(name: str, value: str) -> None:
    if len(value) > TEXT_LIMIT:
        raise TestFieldError(name, f"is longer than {TEXT_LIMIT:,} characters")


def check_python(name: str, code: str, mode: str) -> None:
    """``code`` must be Python that ``ast.parse`` reads (the same rule for test fields and exercise fields)."""
    _length(name, code)
    try:
        ast.parse(code, mode=mode)
    except SyntaxError as exc:
        what = "a Python expression" if mode == "eval" else "valid Python"
        raise TestFieldError(name, f"is not {what} (line {exc.lineno}: {exc.msg})") from None
    except (ValueError, MemoryError, RecursionError):
        raise TestFieldError(
            name, "is not Python that can be read (nested too deeply, or a NUL byte)"
        ) from None


def parse_forbid(value: Any) -> tuple[str, ...]:
    """The exercise field ``forbid``: a list of Python names the learner's code must not use."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.isidentifier() for v in value):
        raise TestFieldError("forbid", 'must be a list of Python names, such as ["max", "sorted"]')
    return tuple(value)
