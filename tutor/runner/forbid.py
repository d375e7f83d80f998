"""``forbid``: names an exercise asks the learner not to use ("without using max()"), found in the learner's
code before it runs. This is a teaching rule, checked on the syntax tree in the parent, not a security wall: a
program that builds the name at run time (``getattr(builtins, "m" + "ax")``) is not caught."""

from __future__ import annotations

import ast
from collections.abc import Sequence


def forbidden_use(code: str, forbid: Sequence[str]) -> tuple[str, int | None] | None:
    """``(message, line)`` for the first use of a forbidden name (a name, an attribute such as ``.sort``, an
    import), or None when there is none (or the code does not parse: the syntax check reports that)."""
    if not forbid:
        return None
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    wanted = set(forbid)
    found: list[tuple[int, int, str, bool]] = []
    for node in ast.walk(tree):
        for name, module in _used_names(node):
            if name in wanted:
                found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), name, module))
    if not found:
        return None
    line, _, name, module = min(found)
    what = f"the module {name}" if module else f"{name}()"
    return f"This exercise asks you not to use {what}.", line or None


def _used_names(node: ast.AST) -> list[tuple[str, bool]]:
    """The names ``node`` uses, each with whether it is a module."""
    if isinstance(node, ast.Name):
        return [(node.id, False)]
    if isinstance(node, ast.Attribute):
        return [(node.attr, False)]
    if isinstance(node, ast.Import):
        return [(alias.name.split(".")[0], True) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        names = [(alias.name, False) for alias in node.names]
        return names + ([(node.module.split(".")[0], True)] if node.module else [])
    return []
