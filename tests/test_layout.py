"""The house rules: ``tutor/`` never imports Qt or ``ui``; every module has a docstring; no file over 400 lines
and no function over 60 lines in ``tutor/`` and ``ui/`` (the import layers: ``test_layers.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

from tools.layers import sizes

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
    offenders = {
        str(p.relative_to(ROOT)): _imports(p) & {"PySide6", "shiboken6", "ui", "PyQt5", "PyQt6"}
        for p in (ROOT / "tutor").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for folder in ("tutor", "ui")
        for p in (ROOT / folder).rglob("*.py")
        if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []


def test_ui_never_passes_qt_properties_as_constructor_keywords() -> None:
    """PySide6 6.12 on Python 3.11 drops a reference to None for every Qt property given as a constructor
    keyword (QLabel(wordWrap=True)); enough windows later the interpreter aborts. Use setters instead."""
    offenders = []
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id.startswith("Q")
                and node.keywords
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.func.id}")
    assert offenders == []


def test_installed_pyside_keeps_none_alive() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void setter and property keyword, and
    the interpreter aborts (none_dealloc / bool_dealloc) once enough widgets were made: pyproject pins below it.
    This fails if an installed PySide6 brings the leak back."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\nfrom PySide6.QtWidgets import QApplication, QLabel\napp = QApplication([])\n"
        "label = QLabel()\nbefore = sys.getrefcount(None)\nfor _ in range(100):\n    QLabel(wordWrap=True)\n"
        "    label.setVisible(False)\n"
        "print(sys.getrefcount(None) - before, flush=True)\nimport os\nos._exit(0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    out = result.stdout.strip()
    assert out.lstrip("-").isdigit(), result.stderr[-1000:]
    assert int(out) > -20, f"PySide6 drops references to None ({out} over 200 calls)"


def test_no_file_over_400_lines_in_tutor_or_ui() -> None:
    long_files, _ = sizes(ROOT)
    assert long_files == []


def test_no_function_over_60_lines_in_tutor_or_ui() -> None:
    _, long_functions = sizes(ROOT)
    assert long_functions == []
