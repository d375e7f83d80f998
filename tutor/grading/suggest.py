"""Unusual inputs worth trying, chosen by the types the exercise's tests pass to the function: 0 and negative
numbers for a number, the empty text for a string, the empty list for a list... so that ``fizzbuzz(n)`` is never
told to try "an empty one". Nothing is suggested where the tests say nothing about the arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from tutor.exercises import Exercise

# the argument's type -> the unusual inputs a learner should try for it
_EDGES: dict[type, str] = {
    bool: "both True and False",
    int: "0 and a negative number",
    float: "0, a negative number and a number with a fraction",
    str: 'the empty text "" and a text of one character',
    list: "the empty list [] and a list of one item",
    tuple: "the empty tuple () and a tuple of one item",
    dict: "the empty dictionary {} and a dictionary of one entry",
    set: "the empty set and a set of one item",
}


def argument_types(calls: Iterable[str]) -> list[type]:
    """The types of the literal arguments in the test calls, in order of first appearance."""
    seen: list[type] = []
    for call in calls:
        try:
            node = ast.parse(call.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            continue
        if not isinstance(node, ast.Call):
            continue
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            try:
                value = ast.literal_eval(argument)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            kind = type(value)
            if kind in _EDGES and kind not in seen:
                seen.append(kind)
    return seen


def edge_cases(exercise: Exercise) -> str:
    """ "0 and a negative number" for ``fizzbuzz(n)``; "" when the tests' arguments are not plain values."""
    kinds = argument_types(t.call for t in exercise.tests if t.call)
    return "; ".join(_EDGES[kind] for kind in kinds[:2])
