"""The value channel: the child's plain-data encoding round-trips through the parent's decoder, anything that is
not an exact built-in value stays opaque, and the parent's comparison and test splitting."""

from __future__ import annotations

import json
import math

import pytest

from tutor.exercises import TestCase
from tutor.runner import child_values as child
from tutor.runner.verdict import Opaque, ProtocolError, check_for, decode_line, same, truthy

VALUES = [
    None,
    True,
    False,
    0,
    -7,
    2**70,
    -(2**20000),
    0.1,
    -0.0,
    1e308,
    "",
    "a\nb\"'\\",
    "é \u00e9 \U0001f600",
    "\ud800",
    b"\x00\xff",
    1 + 2j,
    [1, [2, [3]]],
    (1, "x", (2.5,)),
    {1, 2, 3},
    frozenset({"a"}),
    {"a": [1], 2: (3, 4), (1, 2): None},
    [],
    (),
    {},
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_plain_values_round_trip(value: object) -> None:
    got = decode_line(child.encode_value(value))
    assert got == value and type(got) is type(value)


def test_special_floats_round_trip() -> None:
    assert math.isnan(decode_line(child.encode_value(float("nan"))))
    assert decode_line(child.encode_value(float("-inf"))) == float("-inf")


class Sneaky(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return "'Fizz'"


def test_subclasses_and_objects_stay_opaque_and_equal_nothing() -> None:
    for value in (Sneaky("x"), [Sneaky("x")], {"k": Sneaky("x")}, object()):
        decoded = decode_line(child.encode_value(value))
        assert (
            not same(decoded, "'Fizz'")
            and not same(decoded, "['Fizz']")
            and not same(decoded, "{'k': 'Fizz'}")
        )
    assert not truthy(decode_line(child.encode_value(Sneaky("x"))))


def test_values_too_big_or_deep_are_refused_in_the_child() -> None:
    nested: list[object] = []
    for _ in range(child.VALUE_DEPTH + 5):
        nested = [nested]
    with pytest.raises(child.ValueTooBig):
        child.encode_value(nested)
    with pytest.raises(child.ValueTooBig):
        child.encode_value(list(range(child.VALUE_NODES + 1)))


@pytest.mark.parametrize(
    "text",
    ['{"t": "list"}', '{"t": "bogus", "v": []}', '{"t": "float", "r": "x"}', "[1, 2]", '{"t": "dict", "v": [[1]]}',
     "[" * 100_000 + "]" * 100_000],
)  # fmt: skip
def test_malformed_answers_are_protocol_errors(text: str) -> None:
    with pytest.raises(ProtocolError):
        decode_line(text)


def test_comparison_rules() -> None:
    assert same(0.1 + 0.2, "0.3") and not same(0.31, "0.3")
    assert same({"b": 2, "a": 1}, "{'a': 1, 'b': 2}")
    assert not same("1", "1") and same(1, "1")
    assert same(Opaque("Point", "Point(1, 2)"), "Point(1, 2)")  # an expected text that is no literal: reprs
    assert not same(Opaque("MyList", "[1, 2]"), "[1, 2]")


def test_asserts_are_split_so_the_literal_stays_outside() -> None:
    check = check_for(TestCase(code="assert [fizzbuzz(i) for i in range(1, 4)] == ['1', '2', 'Fizz']"))
    assert check.kind == "value" and check.expected == "['1', '2', 'Fizz']"
    assert "Fizz" not in json.dumps(check.command(0))
    assert check_for(TestCase(code="assert 3 == f(1)")).expr == "f(1)"
    assert check_for(TestCase(code="assert is_ok('a')")).kind == "truthy"
    assert check_for(TestCase(code="assert not is_ok('a'), 'no'")).kind == "falsy"
    assert check_for(TestCase(code="assert f(1) == f(2)")).kind == "statements"
    assert check_for(TestCase(code="x = f(1)\nassert x == 2")).kind == "statements"
    call = check_for(TestCase(call="f(1)", expected="2"))
    assert call.command(3) == {"index": 3, "expr": "f(1)"}
