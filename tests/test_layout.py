"""The house rules: ``tutor/`` never imports Qt or ``ui``; every module has a docstring."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_qt_or_ui() -> None:
    offenders = {str(p.relative_to(ROOT)): _imports(p) & {"PySide6", "shiboken6", "ui", "PyQt5", "PyQt6"}
                 for p in (ROOT / "tutor").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_module_has_a_docstring() -> None:
    missing = [str(p.relative_to(ROOT)) for folder in ("tutor", "ui") for p in (ROOT / folder).rglob("*.py")
               if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text())) is None]
    assert missing == []
