"""The trusted side of a test: what the child is asked, how its answer is decoded, and the comparison.

The child (``child.py``) is never told an expected value. A test written as ``call`` + ``expected`` is sent as
the call alone; a test written as an ``assert`` of the usual shapes (``assert EXPR == LITERAL``, ``assert EXPR``,
``assert not EXPR``) is split the same way, so its literal stays here. The child answers with the value as plain
data (exact built-in types, see ``child.encode_value``), which ``decode`` turns back into Python values and
``same`` compares. Only a test written as other statements (``assert f(1) == f(2)``, a loop, a ``check()``
function) still runs whole in the child, which reports whether it raised: such tests can be forged by the code
they test, and pack authors are told to write graded tests in the first two forms.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any, Literal

from tutor.exercises import TestCase

VALUE_LIMIT = 300
MAX_DEPTH = 120
Kind = Literal["value", "truthy", "falsy", "statements", "raises", "program"]


@dataclass(frozen=True)
class Check:
    """How one test is judged. ``expr`` is what the child evaluates (or the statements it runs)."""

    kind: Kind
    expr: str
    expected: str | None = None  # the literal text, for "value"
    note: str = ""  # an assert's own message
    from_assert: bool = False  # written as an assert: a failure is reported as an AssertionError

    def command(self, index: int, quiet: bool = False, stdin: str = "", echo: bool = False) -> dict[str, Any]:
        """What the child is sent: never the expected value (nor, for ``raises``, the exception expected). With
        ``quiet`` (a hidden test), what the code prints goes neither to the run's stdout nor to its stderr."""
        extra = {"quiet": True} if quiet else {}
        if self.kind == "program":
            return {
                "index": index,
                "program": True,
                "stdin": stdin,
                **extra,
                **({"echo": True} if echo else {}),
            }
        if self.kind == "statements":
            return {"index": index, "code": self.expr, **extra}
        return {"index": index, "expr": self.expr, **extra}


def check_for(test: TestCase) -> Check:
    """How ``test`` is judged outside the child."""
    if test.is_program:
        return Check("program", "", test.stdout)
    if test.raises is not None and test.call is not None:
        return Check("raises", test.call, test.raises)
    if test.call is not None:
        return Check("value", test.call, test.expected or "None")
    return _assert_check(test.code or "") or Check("statements", test.code or "")


def _assert_check(code: str) -> Check | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    statement = tree.body[0]
    note = _literal_text(statement.msg) if statement.msg is not None else ""
    if note is None:
        return None
    test = statement.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        if _is_literal(right):
            return Check("value", ast.unparse(left), ast.unparse(right), note, True)
        if _is_literal(left):
            return Check("value", ast.unparse(right), ast.unparse(left), note, True)
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return Check("falsy", ast.unparse(test.operand), note=note, from_assert=True)
    if isinstance(test, (ast.Compare, ast.BoolOp)):
        return None  # `f(1) < f(2)`, `a and b`: the comparison itself would run in the child
    return Check("truthy", ast.unparse(test), note=note, from_assert=True)


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _literal_text(node: ast.expr) -> str | None:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return str(value)


class Opaque:
    """A value the child could not send as plain data (an instance of a class, a subclass of a built-in):
    equal to nothing but itself, shown by the name and repr the child gave."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text

    __hash__ = object.__hash__


class ProtocolError(ValueError):
    """The child's answer is not a value the harness could have written."""


def decode(data: Any, depth: int = 0) -> Any:
    """The Python value of the child's JSON answer; ProtocolError for anything else."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise ProtocolError(f"not a value: {str(data)[:80]}")
    tag = data["t"]
    try:
        if tag in _CONTAINERS:
            items = [decode(item, depth + 1) for item in _list(data, "v")]
            return _CONTAINERS[tag](items)
        if tag == "dict":
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in _pairs(data)}
        if tag in _SCALARS:
            return _SCALARS[tag](data)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(f"bad {tag}: {exc}") from None
    if tag == "object":
        return Opaque(str(data.get("type", "?"))[:100], str(data.get("r", ""))[:VALUE_LIMIT])
    raise ProtocolError(f"unknown value type {tag!r}")


def _list(data: dict[str, Any], key: str) -> list[Any]:
    items = data.get(key)
    if not isinstance(items, list):
        raise ProtocolError("a container without items")
    return items


def _pairs(data: dict[str, Any]) -> list[tuple[Any, Any]]:
    pairs = _list(data, "v")
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise ProtocolError("a dict entry is not a pair")
    return [(p[0], p[1]) for p in pairs]


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or len(value) > 100_000:
        raise ProtocolError(f"bad field {key!r}")
    return value


_CONTAINERS: dict[str, Any] = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
_SCALARS: dict[str, Any] = {
    "float": lambda d: float(_text(d, "r")),
    "complex": lambda d: complex(_text(d, "r")),
    "bytes": lambda d: bytes.fromhex(_text(d, "x")),
    "int": lambda d: int(_text(d, "x"), 16),
}


def decode_line(raw: bytes | str) -> Any:
    """``decode`` of one JSON text (the ``value`` field of a result line)."""
    try:
        return decode(json.loads(raw))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(str(exc)[:200]) from None


def short_repr(value: Any) -> str:
    """``repr`` cut to what the learner is shown."""
    text = repr(value)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 3] + "..."


def same(got: Any, expected_text: str) -> bool:
    """Whether ``got`` (a decoded value) is the expected literal: floats within 1e-9 (relative), containers by
    ``==``; an expected text that is not a literal is compared with ``got``'s repr."""
    try:
        expected = ast.literal_eval(expected_text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return short_repr(got) == expected_text.strip()
    if isinstance(got, Opaque):
        return False
    if isinstance(got, float) and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return abs(got - expected) <= 1e-9 * max(1.0, abs(expected)) or got == expected
    try:
        return bool(got == expected)
    except RecursionError:
        return False


def truthy(got: Any) -> bool:
    """An ``assert EXPR`` passes on a true plain value; an object the child could not send is not trusted."""
    return not isinstance(got, Opaque) and bool(got)


def mismatch_message(check: Check, got: Any) -> str:
    """Why a value test failed, in the learner's words."""
    shown = short_repr(got)
    if check.kind == "value":
        expected = check.expected or ""
        if isinstance(got, Opaque):
            text = f"Expected {expected}, got {shown} (a {got.type_name} object; tests compare plain values)."
        else:
            text = f"Expected {expected}, got {shown}."
    else:
        wanted = "true" if check.kind == "truthy" else "false"
        text = f"{check.expr} should be {wanted}, but it gave {shown}."
    return f"Assertion failed: {check.note}" if check.note else text
