"""The usual beginner mistakes, recognised from the failing test and the program's AST, each with a sentence that
says what happened and a reason that says why (the reason goes in the explanation, not the hint):

- ``None`` from a function that prints its answer (print instead of return), or that ends without a return;
- text instead of a value (``'[1, 3, 6, 10]'`` against ``[1, 3, 6, 10]``), or a number where text is expected;
- whole-number division (``//``, ``int()``) where the answer has a fraction, or ``/`` where it must not;
- an unreachable branch because of the order of conditions (``tutor.feedback.branches``);
- a list changed while a loop walks through it, or an argument changed when a test checks it afterwards.

Each is recognised only from facts (the values the test compared, nodes of the program), so a sentence here is
true of the program it is said about; ``find_mistake`` returns None when none applies.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from tutor.feedback.branches import dead_branches
from tutor.runner.report import TestResult

_MUTATORS = {
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "sort",
    "reverse",
    "clear",
    "update",
    "add",
    "discard",
}
_KINDS = {list: "a list", tuple: "a tuple", dict: "a dictionary", set: "a set", bool: "True or False"}


@dataclass(frozen=True)
class Mistake:
    kind: str  # print-not-return | no-return | text-not-value | value-not-text | whole-division | ...
    sentence: str  # what the program does, for the hint
    why: str  # the reason, for the explanation
    line: int | None = None


def find_mistake(code: str, failure: TestResult) -> Mistake | None:
    """The first beginner mistake that explains ``failure`` in ``code``, or None."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    got, expected = _value(failure.got), _value(failure.expected)
    for check in (_none_returned, _text_not_value, _division):
        found = check(tree, failure, got, expected)
        if found is not None:
            return found
    return _dead_branch(code) or _changed_while_looping(tree) or _mutated_argument(tree, failure)


def _none_returned(tree: ast.Module, failure: TestResult, got: Any, expected: Any) -> Mistake | None:
    if failure.got != "None" or failure.expected in (None, "None"):
        return None
    function = _function(tree, failure.call)
    if function is None:
        return None
    printed = [n for n in ast.walk(function) if isinstance(n, ast.Call) and _name(n.func) == "print"]
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    why = (
        "print only shows a value on the screen; the test, like any code that calls your function, receives "
        "what the function gives back with return, and a function that ends without return gives back None."
    )
    if printed and not returns:
        line = printed[0].lineno
        return Mistake(
            "print-not-return",
            f"Your function prints its answer (line {line}) instead of returning it, so it returns None.",
            why,
            line,
        )
    if not returns:
        return Mistake("no-return", "Your function returns None: it never returns a value.", why)
    return Mistake(
        "no-return",
        "For this input your function reaches its end without a return, so it returns None.",
        why,
    )


def _text_not_value(tree: ast.Module, failure: TestResult, got: Any, expected: Any) -> Mistake | None:
    if isinstance(got, str) and expected is not None and not isinstance(expected, str):
        kind = _kind(expected)
        looks = _value(got) == expected
        sentence = (
            f"Your function returns text that looks like {kind} ({failure.got}), not {kind.replace('a ', 'the ', 1)} itself."
            if looks
            else f"Your function returns text (a string) where the test expects {kind}."
        )
        why = (
            "A value in quotes is a string: characters that only look like a number or a list when printed. "
            "str() or an f-string turns a value into text; return the value itself so the caller can compute "
            "with it."
        )
        return Mistake("text-not-value", sentence, why)
    if isinstance(expected, str) and isinstance(got, int | float) and not isinstance(got, bool):
        return Mistake(
            "value-not-text",
            f"Your function returns the number {failure.got} where the test expects the text {failure.expected}.",
            "A number and the text of its digits are different values in Python: the number 7 is not equal to "
            "the text '7'. str() turns a number into text.",
        )
    return None


def _division(tree: ast.Module, failure: TestResult, got: Any, expected: Any) -> Mistake | None:
    if not (_is_number(got) and _is_number(expected)) or got == expected:
        return None
    if not (math.isfinite(got) and math.isfinite(expected)):
        return None
    why = (
        "Python has two divisions: dividing 7 by 2 with / gives 3.5, and whole-number division (//) gives 3, "
        "rounded down. int() also cuts off everything after the decimal point."
    )
    if (
        isinstance(expected, float)
        and not expected.is_integer()
        and got in (math.floor(expected), int(expected))
    ):
        node = _first(tree, lambda n: isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv))
        node = node or _first(tree, lambda n: isinstance(n, ast.Call) and _name(n.func) == "int")
        if node is not None:
            what = (
                "the whole-number division (//) on line"
                if isinstance(node, ast.BinOp)
                else "the int() on line"
            )
            return Mistake(
                "whole-division",
                f"Your function returns {failure.got} where the test expects {failure.expected}: "
                f"{what} {node.lineno} drops the part after the decimal point.",
                why,
                node.lineno,
            )
    if (
        isinstance(got, float)
        and not got.is_integer()
        and isinstance(expected, int)
        and math.floor(got) == expected
    ):
        node = _first(tree, lambda n: isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div))
        if node is not None:
            return Mistake(
                "fraction-division",
                f"Your function returns {failure.got} where the test expects the whole number {failure.expected}: "
                f"the / on line {node.lineno} keeps the fraction.",
                why,
                node.lineno,
            )
    return None


def _dead_branch(code: str) -> Mistake | None:
    dead = dead_branches(code)
    if not dead:
        return None
    first = dead[0]
    return Mistake(
        "unreachable-branch",
        f"The branch on line {first.line} can never run: whenever its condition is true, the condition on "
        f"line {first.earlier_line} is true as well, and that branch comes first.",
        "Python checks the conditions of an if/elif chain from the top and runs only the first one that is "
        "true, so a special case must come before the general case that also covers it.",
        first.line,
    )


def _changed_while_looping(tree: ast.Module) -> Mistake | None:
    for loop in (n for n in ast.walk(tree) if isinstance(n, ast.For)):
        name = _name(loop.iter)
        if not name:
            continue
        for node in (
            n for statement in loop.body for n in ast.walk(statement) if isinstance(n, ast.stmt | ast.expr)
        ):
            if _mutates(node, {name}) or (isinstance(node, ast.Delete) and _deletes(node, name)):
                return Mistake(
                    "changed-while-looping",
                    f"Your code changes the list {name} on line {node.lineno} while the loop on line "
                    f"{loop.lineno} walks through it.",
                    "A for loop walks through a list by position: removing an item moves the next one into "
                    "its place, so the loop skips it (and adding items can make it run on). Build a new list "
                    "instead, or loop over a copy.",
                    node.lineno,
                )
    return None


def _mutated_argument(tree: ast.Module, failure: TestResult) -> Mistake | None:
    """An argument changed in place, said only when the failing test checks state after the call."""
    if "assert" not in failure.call and "\n" not in failure.call and ";" not in failure.call:
        return None
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        params = {a.arg for a in function.args.args}
        node = _first(function, lambda n, names=params: _mutates(n, names))
        if node is not None:
            return Mistake(
                "mutated-argument",
                f"Your function changes the list or dictionary it was given (line {node.lineno}), so the "
                "caller's own value is changed too.",
                "A list passed to a function is not copied: the function and the caller share the very same "
                "list, so changing it inside the function changes it for the caller. Work on a copy.",
                node.lineno,
            )
    return None


# -- helpers ----------------------------------------------------------------------------------------------------
def _mutates(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in _MUTATORS and _name(node.func.value) in names
    targets = (
        node.targets
        if isinstance(node, ast.Assign)
        else [node.target]
        if isinstance(node, ast.AugAssign)
        else []
    )
    return any(isinstance(t, ast.Subscript) and _name(t.value) in names for t in targets)


def _deletes(node: ast.Delete, name: str) -> bool:
    return any(isinstance(t, ast.Subscript) and _name(t.value) == name for t in node.targets)


def _function(tree: ast.Module, call: str) -> ast.FunctionDef | None:
    try:
        expression = ast.parse(call.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    name = _name(expression.func) if isinstance(expression, ast.Call) else ""
    return next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _first(tree: ast.AST, wanted: Any) -> Any:
    found = [n for n in ast.walk(tree) if isinstance(n, ast.stmt | ast.expr) and wanted(n)]
    return min(found, key=lambda n: (n.lineno, n.col_offset), default=None)


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else ""


def _value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "a number" if _is_number(value) else _KINDS.get(type(value), "a value")
