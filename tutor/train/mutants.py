"""Beginner-style bugs made in correct programs, each labelled with its kind.

The one-token edits of ``tutor.feedback.mutations`` (a comparison flipped or changed, a wrong operator, a number
one off, ``and``/``or``) are labelled by ``analysis.changes``; this module adds the mistakes that are more than one
token, found in the syntax tree and written back into the source text so the rest of the program keeps its
layout:

- ``off-by-one``: a ``range`` end or an index moved by one, a ``+ 1`` / ``- 1`` dropped;
- ``return-value``: ``return x`` returning another variable of the function;
- ``missing-case``: an ``if`` (or ``elif``) branch deleted, one operand of ``and``/``or`` dropped;
- ``accumulator-init``: the start value of a variable a loop updates changed (``0`` <-> ``1``, ``xs[0]`` -> ``0``);
- ``changed-input``: a copy of an argument removed, so the function changes its caller's list.

A mutant is a bug only when a test fails on it; ``tutor.train.sources`` keeps those (the original passing).
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator

from tutor.feedback import analysis
from tutor.feedback.mutations import mutants as one_token_mutants

_TOKEN_KINDS = {"comparison": "comparison", "arithmetic": "operator", "number": "number", "logic": "logic"}
_COPY_CALLS = {"list", "dict", "set"}


def candidates(source: str) -> list[tuple[str, str]]:
    """Every ``(kind, program)`` mutant of ``source`` that parses, each program once (first kind wins)."""
    seen = {source}
    found: list[tuple[str, str]] = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    edits = list(_tree_edits(source, tree))
    for kind, program in edits + [(_token_kind(source, p), p) for p in one_token_mutants(source, limit=400)]:
        if program in seen or not _parses(program):
            continue
        seen.add(program)
        found.append((kind, program))
    return found


def ordered(found: list[tuple[str, str]], seed: str) -> list[tuple[str, str]]:
    """The mutants in a seeded order that takes the kinds in turn, so a few tries cover several kinds."""
    rng = random.Random(seed)
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for item in found:
        by_kind.setdefault(item[0], []).append(item)
    queues = list(by_kind.values())
    for queue in queues:
        rng.shuffle(queue)
    rng.shuffle(queues)
    result: list[tuple[str, str]] = []
    while any(queues):
        for queue in queues:
            if queue:
                result.append(queue.pop())
    return result


def _token_kind(source: str, program: str) -> str:
    found = analysis.changes(program, source)
    return _TOKEN_KINDS.get(found[0].kind, "token") if found else "token"


def _parses(program: str) -> bool:
    try:
        ast.parse(program)
    except (SyntaxError, ValueError):
        return False
    return True


class _Text:
    """Source text addressed by the syntax tree's (line, UTF-8 byte column) positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        text = self.lines[line - 1] if line - 1 < len(self.lines) else ""
        return self.starts[line - 1] + len(text.encode()[:column].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def replace(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return self.source[:start] + text + self.source[end:]

    def without_lines(self, first: int, last: int) -> str:
        return "".join(self.lines[: first - 1] + self.lines[last:])


def _tree_edits(source: str, tree: ast.Module) -> Iterator[tuple[str, str]]:
    text = _Text(source)
    counters = _integer_names(tree)
    for node in ast.walk(tree):
        yield from _off_by_one(text, node, counters)
        yield from _missing_case(text, node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _return_value(text, node)
            yield from _accumulator_init(text, node)
            yield from _changed_input(text, node)


def _integer_names(tree: ast.Module) -> set[str]:
    """Names that hold positions or counts: ``for i in range(...)``, ``for i, x in enumerate(...)``, and names
    set to a whole number or to ``len(...)`` (an index off by one is a bug in those, not in a dict's key)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.For)
            and isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
        ):
            target = node.target
            if node.iter.func.id == "enumerate" and isinstance(target, ast.Tuple) and target.elts:
                target = target.elts[0]
            if node.iter.func.id in ("range", "enumerate") and isinstance(target, ast.Name):
                names.add(target.id)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            whole = isinstance(value, ast.Constant) and type(value.value) is int
            length = (
                isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "len"
            )
            if whole or length:
                names.add(node.targets[0].id)
    return names


def _off_by_one(text: _Text, node: ast.AST, counters: set[str]) -> Iterator[tuple[str, str]]:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and node.args
    ):
        stop = node.args[0] if len(node.args) == 1 else node.args[1]
        if not isinstance(stop, ast.Constant):  # a constant is a one-token edit already
            segment = text.segment(stop)
            for delta in (" + 1", " - 1"):
                yield "off-by-one", text.replace(stop, f"{segment}{delta}")
    if isinstance(node, ast.Subscript) and _is_position(node.slice, counters):
        segment = text.segment(node.slice)
        for delta in (" + 1", " - 1"):
            yield "off-by-one", text.replace(node.slice, f"{segment}{delta}")
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add | ast.Sub)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 1
    ):
        yield "off-by-one", text.replace(node, text.segment(node.left))


def _is_position(index: ast.expr, counters: set[str]) -> bool:
    if isinstance(index, ast.Name):
        return index.id in counters
    return isinstance(index, ast.BinOp) and isinstance(index.op, ast.Add | ast.Sub)


def _missing_case(text: _Text, node: ast.AST) -> Iterator[tuple[str, str]]:
    for body in _bodies(node):
        for statement in body:
            if isinstance(statement, ast.If) and len(body) > 1 and not statement.orelse:
                assert statement.end_lineno is not None
                yield "missing-case", text.without_lines(statement.lineno, statement.end_lineno)
    if isinstance(node, ast.If) and len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
        branch = node.orelse[0]
        if text.lines[branch.lineno - 1].lstrip().startswith("elif"):
            last = _branch_end(text, branch)
            yield "missing-case", text.without_lines(branch.lineno, last)
    if isinstance(node, ast.BoolOp) and len(node.values) == 2:
        for kept in node.values:
            yield "missing-case", text.replace(node, text.segment(kept))


def _bodies(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value


def _branch_end(text: _Text, branch: ast.If) -> int:
    """The last line of an ``elif`` branch, before its own ``elif`` or ``else``."""
    assert branch.end_lineno is not None
    if not branch.orelse:
        return branch.end_lineno
    line = branch.orelse[0].lineno - 1
    while line > branch.lineno and not text.lines[line - 1].lstrip().startswith(("else", "elif")):
        line -= 1
    return line - 1 if line > branch.lineno else branch.end_lineno


def _return_value(text: _Text, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, str]]:
    names = [a.arg for a in function.args.args]
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.For):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    unique = list(dict.fromkeys(names))
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
            for other in [n for n in unique if n != node.value.id][:3]:
                yield "return-value", text.replace(node.value, other)


def _accumulator_init(
    text: _Text, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> Iterator[tuple[str, str]]:
    body = function.body
    for index, statement in enumerate(body):
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            continue
        name = statement.targets[0].id
        loops = [s for s in body[index + 1 :] if isinstance(s, ast.For | ast.While)]
        if not any(_updates(loop, name) for loop in loops):
            continue
        replacement = _other_start(statement.value)
        if replacement is not None:
            yield "accumulator-init", text.replace(statement.value, replacement)


def _updates(loop: ast.AST, name: str) -> bool:
    for node in ast.walk(loop):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AugAssign) and any(
            isinstance(t, ast.Name) and t.id == name for t in targets
        ):
            return True
    return False


def _other_start(value: ast.expr) -> str | None:
    if isinstance(value, ast.Constant) and type(value.value) in (int, float):
        return "1" if value.value == 0 else "0"
    if isinstance(value, ast.Subscript | ast.Call | ast.UnaryOp):
        return "0"  # xs[0], float("inf"), -float("inf"), len(xs): the beginner's "start at zero"
    return None


def _changed_input(
    text: _Text, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> Iterator[tuple[str, str]]:
    params = {a.arg for a in function.args.args}
    for node in ast.walk(function):
        copied = None
        if (
            isinstance(node, ast.Call)
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.func, ast.Name)
            and node.func.id in _COPY_CALLS
        ):
            copied = node.args[0]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "copy"
            and not node.args
        ):
            copied = node.func.value
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            whole = node.slice.lower is None and node.slice.upper is None and node.slice.step is None
            copied = node.value if whole else None
        if isinstance(copied, ast.Name) and copied.id in params:
            yield "changed-input", text.replace(node, copied.id)
