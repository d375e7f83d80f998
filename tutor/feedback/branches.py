"""Branches that can never run because of the order of conditions, found in the program's AST.

In ``if n % 3 == 0: ... elif n % 15 == 0: ...`` the second branch is dead: every number divisible by 15 is
divisible by 3, so the first branch takes it. A later condition that *implies* an earlier one in the same if/elif
chain (or after an earlier ``if`` whose body always returns) marks the later branch unreachable. The implications
known: the same condition; ``X % a == 0`` after ``X % b == 0`` where ``b`` divides ``a``; ``X >= 90`` after
``X >= 60`` (and the other directions of ``<``, ``<=``, ``>``); ``and``/``or`` of those. Nothing is guessed
beyond these, so a branch named here really is dead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_UP = (ast.Gt, ast.GtE)
_DOWN = (ast.Lt, ast.LtE)
_FLIP: dict[type, type] = {ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.LtE: ast.GtE}


@dataclass(frozen=True)
class DeadBranch:
    line: int  # the unreachable branch's condition
    condition: str
    earlier_line: int
    earlier: str


def dead_branches(code: str) -> list[DeadBranch]:
    """Every branch whose condition implies an earlier condition of its chain, in line order."""
    try:
        return _dead(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


def _dead(tree: ast.Module) -> list[DeadBranch]:
    found: list[DeadBranch] = []
    for chain in _chains(tree):
        for index, later in enumerate(chain):
            earlier = next((e for e in chain[:index] if implies(later, e)), None)
            if earlier is not None:
                found.append(
                    DeadBranch(
                        later.lineno, ast.unparse(later)[:80], earlier.lineno, ast.unparse(earlier)[:80]
                    )
                )
    return sorted(found, key=lambda d: d.line)


def _chains(tree: ast.AST) -> list[list[ast.expr]]:
    """The conditions of each if/elif chain, and of runs of ``if`` statements whose bodies always return."""
    chains: list[list[ast.expr]] = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and id(node) not in inner:
            chain, current = [node.test], node
            while len(current.orelse) == 1 and isinstance(current.orelse[0], ast.If):
                current = current.orelse[0]
                inner.add(id(current))
                chain.append(current.test)
            chains.append(chain)
        body = getattr(node, "body", None)
        if isinstance(body, list):
            chains += _returning_runs(body)
    return [c for c in chains if len(c) > 1]


def _returning_runs(body: list[ast.stmt]) -> list[list[ast.expr]]:
    """Consecutive ``if`` statements (no else) where each earlier one's body ends in return or raise: a later
    one is reached only when every earlier condition was false."""
    runs: list[list[ast.expr]] = []
    run: list[ast.expr] = []
    for statement in body:
        if isinstance(statement, ast.If) and not statement.orelse:
            run.append(statement.test)
            if isinstance(statement.body[-1], ast.Return | ast.Raise):
                continue
        runs.append(run)
        run = []
    runs.append(run)
    return [r for r in runs if len(r) > 1]


def implies(a: ast.expr, b: ast.expr) -> bool:
    """Whether ``a`` being true makes ``b`` true (only the cases in the module docstring)."""
    if ast.dump(a) == ast.dump(b):
        return True
    if isinstance(b, ast.BoolOp) and isinstance(b.op, ast.Or):
        return any(implies(a, value) for value in b.values)
    if isinstance(a, ast.BoolOp) and isinstance(a.op, ast.And):
        return any(implies(value, b) for value in a.values)
    if isinstance(b, ast.BoolOp) and isinstance(b.op, ast.And):
        return all(implies(a, value) for value in b.values)
    if isinstance(a, ast.BoolOp) and isinstance(a.op, ast.Or):
        return all(implies(value, b) for value in a.values)
    return _divides(a, b) or _bounds(a, b)


def _divides(a: ast.expr, b: ast.expr) -> bool:
    left, right = _modulo_zero(a), _modulo_zero(b)
    if left is None or right is None or ast.dump(left[0]) != ast.dump(right[0]):
        return False
    return right[1] != 0 and left[1] % right[1] == 0


def _modulo_zero(node: ast.expr) -> tuple[ast.expr, int] | None:
    """``X % k == 0`` as (X, k)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
        return None
    left, right = node.left, node.comparators[0]
    if _number(left) == 0:
        left, right = right, left
    if _number(right) != 0 or not (isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mod)):
        return None
    divisor = _number(left.right)
    return (left.left, int(divisor)) if isinstance(divisor, int) else None


def _bounds(a: ast.expr, b: ast.expr) -> bool:
    first, second = _bound(a), _bound(b)
    if first is None or second is None or ast.dump(first[0]) != ast.dump(second[0]):
        return False
    (_, op_a, value_a), (_, op_b, value_b) = first, second
    if op_a in _UP and op_b in _UP:
        return value_a > value_b or (value_a == value_b and not (op_a is ast.GtE and op_b is ast.Gt))
    if op_a in _DOWN and op_b in _DOWN:
        return value_a < value_b or (value_a == value_b and not (op_a is ast.LtE and op_b is ast.Lt))
    return False


def _bound(node: ast.expr) -> tuple[ast.expr, type, float] | None:
    """``X > c`` (or ``c < X``) as (X, the operator with X on the left, c)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    op, left, right = type(node.ops[0]), node.left, node.comparators[0]
    if op not in _FLIP:
        return None
    if _number(right) is not None and _number(left) is None:
        return left, op, float(_number(right))  # type: ignore[arg-type]
    if _number(left) is not None and _number(right) is None:
        return right, _FLIP[op], float(_number(left))  # type: ignore[arg-type]
    return None


def _number(node: ast.expr) -> int | float | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    return None
