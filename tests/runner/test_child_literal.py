"""The child's import-free ``literal_eval`` agrees with ``ast.literal_eval``, and its JSON events parse."""

from __future__ import annotations

import ast
import json

import pytest

from tutor.runner import child

CASES = [
    "3",
    "-2.5",
    "+4",
    "'a\\nb'",
    "b'x'",
    "(1, [2, {3: 'x'}])",
    "{1, 2}",
    "set()",
    "None",
    "True",
    "1+2j",
    "-1-2j",
    "  [1, 2]",
    "{'a': (1,)}",
    "()",
    "[-0.0]",
    "('é', '\\u00e9')",
]
BAD = ["x", "f(1)", "[1, x]", "{**a}", "1 + 2", "-'a'", "set([1])", "[1,", ""]


@pytest.mark.parametrize("text", CASES)
def test_same_values_as_ast(text: str) -> None:
    assert child.literal_eval(text) == ast.literal_eval(text)


@pytest.mark.parametrize("text", BAD)
def test_same_refusals_as_ast(text: str) -> None:
    with pytest.raises((ValueError, SyntaxError)):
        ast.literal_eval(text)
    with pytest.raises((ValueError, SyntaxError)):
        child.literal_eval(text)


def test_events_are_json() -> None:
    values = {"event": "result", "index": 3, "got": None, "ok": True, "message": 'say "hi"\n\u00e9\ud800'}
    line = "{" + ", ".join(f"{child._json_string(k)}: {child.encode(v)}" for k, v in values.items()) + "}"
    assert json.loads(line) == values
