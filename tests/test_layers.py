"""The layers of the house over the import graph (``tools/layers.py``): ``ui`` -> ``tutor``, front doors -> core,
``tutor.eval`` below ``bench``/``arena``/``train``, no cycles, imports of ``tutor``/``ui`` modules inside functions
only for heavy ones. The checker itself is tested on a planted tree first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.layers import Report, check

ROOT = Path(__file__).resolve().parent.parent


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def house() -> Report:
    return check(ROOT)


def test_checker_finds_a_planted_upward_import_and_cycle(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        {
            "tutor/__init__.py": '"""core"""\n',
            "tutor/a.py": "import ui.x\n",
            "tutor/b.py": "from tutor import c\n",
            "tutor/c.py": "def f():\n    import tutor.b  # heavy: planted\n",
            "tutor/d.py": "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from tutor.e import E\n",
            "tutor/e.py": "from . import d\n",
            "ui/__init__.py": "",
            "ui/x.py": "import tutor.b\n",
        },
    )
    report = check(tmp_path)
    assert report.upward == ["tutor.a:1 -> ui.x (tutor imports ui)"]
    assert report.cycles == [("tutor.b", "tutor.c")]  # d <-> e is for type checking only
    assert report.lazy_imports == []  # the one in-function import is marked heavy
    assert report.in_function_imports == 1


def test_checker_finds_the_other_layer_rules(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        {
            "tutor/__init__.py": "",
            "tutor/cli.py": "from tutor import core\n",
            "tutor/core.py": "def f():\n    from tutor.cli import main\n",
            "tutor/eval/__init__.py": "from tutor.bench import run\n",
            "tutor/bench/__init__.py": "",
            "tutor/bench/run.py": "from tutor.eval import stats\nfrom ..arena import board\n",
            "tutor/eval/stats.py": "",
            "tutor/arena/__init__.py": "",
            "tutor/arena/board.py": "\n" * 401 + "def g():\n" + "    pass\n" * 60,
        },
    )
    report = check(tmp_path)
    assert report.upward == [
        "tutor.bench.run:2 -> tutor.arena.board (bench, arena and train import each other)",
        "tutor.core:2 -> tutor.cli (core imports a front door)",
        "tutor.eval:1 -> tutor.bench.run (eval imports a layer above it)",
    ]
    assert report.lazy_imports == ["tutor.core:2 -> tutor.cli"]
    assert report.cycles == [("tutor.cli", "tutor.core")]
    assert report.long_files == ["tutor/arena/board.py (462 lines)"]
    assert report.long_functions == ["tutor/arena/board.py:402 g (61 lines)"]


def test_no_import_cycles(house: Report) -> None:
    assert house.cycles == []


def test_no_upward_imports(house: Report) -> None:
    assert house.upward == []


def test_in_function_imports_of_our_modules_are_marked_heavy(house: Report) -> None:
    assert house.lazy_imports == []
