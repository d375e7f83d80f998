"""The house rules over the import graph of ``tutor`` and ``ui``, read with ``ast`` (nothing is imported).

``check(root)`` reads every module under ``root/tutor`` and ``root/ui`` and returns a ``Report``: import cycles,
imports that go up a layer, files and functions over the size limits, and imports of ``tutor``/``ui`` modules
inside functions that are not marked as heavy. ``tests/test_layers.py`` asserts each list is empty;
``tools/house_counts.py`` prints their lengths.

The layers:
- ``ui`` -> ``tutor``, never back.
- Front doors -> core, never back. Front doors: ``tutor.cli`` (module or package), ``tutor.cli_*``, any
  ``*.cli`` or ``*_cli`` module, ``__main__`` modules, and all of ``ui``.
- ``tutor.eval`` sits below ``tutor.bench``, ``tutor.arena``, ``tutor.train`` and ``ui.compare_view``; those
  three never import each other.
- No cycles among run-time imports (imports inside functions count, ``if TYPE_CHECKING:`` blocks do not).
- An import of a ``tutor``/``ui`` module inside a function is kept only for a heavy module: the import (or the
  line above it) carries a comment containing ``heavy`` (``# heavy: llama_cpp``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("tutor", "ui")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
EVAL_USERS = ("tutor.bench", "tutor.arena", "tutor.train", "ui.compare_view")
SIBLINGS = ("tutor.bench", "tutor.arena", "tutor.train")
HEAVY_MARK = "heavy"
Found = tuple[ast.Import | ast.ImportFrom, bool, bool]  # an import statement, in a function, type-only


@dataclass(frozen=True)
class Import:
    """One import of a ``tutor``/``ui`` module (``target``, resolved to the module it names) by ``importer``."""

    importer: str
    target: str
    line: int
    in_function: bool
    type_only: bool  # inside ``if TYPE_CHECKING:``
    marked_heavy: bool


@dataclass
class Report:
    """What breaks the house rules; each list is empty in a tidy house."""

    cycles: list[tuple[str, ...]] = field(default_factory=list)
    upward: list[str] = field(default_factory=list)
    long_files: list[str] = field(default_factory=list)
    long_functions: list[str] = field(default_factory=list)
    lazy_imports: list[str] = field(default_factory=list)  # in-function internal imports not marked heavy
    in_function_imports: int = 0  # all in-function imports of tutor/ui modules, marked or not
    internal_imports: int = 0


def module_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module under ``root/<package>``, by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool = False, type_only: bool = False) -> Iterator[Found]:
    """Every import statement below ``node`` with where it stands."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for part in child.body:
                yield from _walk_one(part, in_function, True)
            for part in child.orelse:
                yield from _walk_one(part, in_function, type_only)
        else:
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _walk(child, inner, type_only)


def _walk_one(node: ast.AST, in_function: bool, type_only: bool) -> Iterator[Found]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, in_function, type_only
    else:
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _walk(node, inner, type_only)


def _targets(
    node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: set[str]
) -> list[str]:
    """The internal modules one import statement names (``from a import b`` names ``a.b`` when it is a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = importer.split(".") if is_package else importer.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name not in found:
            found.append(name)
    return found


def _marked(lines: list[str], node: ast.stmt) -> bool:
    end = node.end_lineno or node.lineno
    return any(
        HEAVY_MARK in lines[i - 1] for i in range(max(1, node.lineno - 1), end + 1) if "#" in lines[i - 1]
    )


def read_imports(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import of an internal module in the tree, resolved."""
    files = module_files(root, packages)
    modules = set(files)
    found = []
    for name, path in files.items():
        text = path.read_text()
        lines = text.splitlines()
        for node, in_function, type_only in _walk(ast.parse(text)):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                if target != name:
                    found.append(
                        Import(name, target, node.lineno, in_function, type_only, _marked(lines, node))
                    )
    return found


def is_front_door(module: str) -> bool:
    last = module.rpartition(".")[2]
    return (
        module.split(".")[0] == "ui"
        or module == "tutor.cli"
        or module.startswith(("tutor.cli.", "tutor.cli_"))
        or last in ("cli", "__main__")
        or last.endswith("_cli")
    )


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_breaks(imports: list[Import]) -> list[str]:
    """Imports that go up a layer, as ``importer:line -> target (rule)``."""
    broken = []
    for imp in imports:
        source, target = imp.importer, imp.target
        rule = ""
        if _under(source, "tutor") and _under(target, "ui"):
            rule = "tutor imports ui"
        elif not is_front_door(source) and is_front_door(target):
            rule = "core imports a front door"
        elif _under(source, "tutor.eval") and any(_under(target, user) for user in EVAL_USERS):
            rule = "eval imports a layer above it"
        elif any(_under(source, a) and _under(target, b) for a in SIBLINGS for b in SIBLINGS if a != b):
            rule = "bench, arena and train import each other"
        if rule:
            broken.append(f"{source}:{imp.line} -> {target} ({rule})")
    return sorted(set(broken))


def cycles(imports: list[Import]) -> list[tuple[str, ...]]:
    """Strongly connected components of more than one module among run-time imports (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.type_only:
            graph.setdefault(imp.importer, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def sizes(root: Path, packages: tuple[str, ...] = PACKAGES) -> tuple[list[str], list[str]]:
    """Files over ``MAX_FILE_LINES`` lines and functions over ``MAX_FUNCTION_LINES`` (``end - start + 1``)."""
    long_files, long_functions = [], []
    for path in module_files(root, packages).values():
        text = path.read_text()
        where = path.relative_to(root).as_posix()
        if (count := len(text.splitlines())) > MAX_FILE_LINES:
            long_files.append(f"{where} ({count} lines)")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.end_lineno is None:
                continue
            if (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                long_functions.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return sorted(long_files), sorted(long_functions)


def check(root: Path, packages: tuple[str, ...] = PACKAGES) -> Report:
    """Every house rule over the tree at ``root``."""
    imports = read_imports(root, packages)
    lazy = [i for i in imports if i.in_function and not i.type_only]
    long_files, long_functions = sizes(root, packages)
    return Report(
        cycles=cycles(imports),
        upward=layer_breaks(imports),
        long_files=long_files,
        long_functions=long_functions,
        lazy_imports=sorted({f"{i.importer}:{i.line} -> {i.target}" for i in lazy if not i.marked_heavy}),
        in_function_imports=len(lazy),
        internal_imports=len([i for i in imports if not i.type_only]),
    )
