"""Fixtures for the grader's tests: exercises from the shared datasets and small hand-made classes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tutor.exercises import Exercise, load_tasks

from ..conftest import DATASETS as BESIDE

# the datasets beside the project, or where TUTOR_DATASETS says (a worktree that is not beside them)
DATASETS = Path(os.environ.get("TUTOR_DATASETS") or BESIDE)


def programs() -> list[dict[str, str]]:
    """The Refactory student programs (skips when the datasets are not here)."""
    path = DATASETS / "refactory.programs.jsonl"
    if not path.is_file():
        pytest.skip("the shared datasets are not beside the project")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def refactory() -> dict[str, Exercise]:
    path = DATASETS / "refactory.tasks.jsonl"
    if not path.is_file():
        pytest.skip("the shared datasets are not beside the project")
    return {e.id: e for e in load_tasks(path).exercises}


@pytest.fixture(scope="session")
def search(refactory: dict[str, Exercise]) -> Exercise:
    return refactory["refactory/q1"]


CORRECT = """def search(x, seq):
    for i, item in enumerate(seq):
        if x <= item:
            return i
    return len(seq)
"""

OFF_BY_ONE = """def search(x, seq):
    for i, item in enumerate(seq):
        if x < item:
            return i
    return len(seq)
"""


def write_class(folder: Path) -> Path:
    """A small class with every kind of broken file beside two real programs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alice.py").write_text(CORRECT)
    (folder / "bob.py").write_text(OFF_BY_ONE)
    (folder / "carol.py").write_text("")
    (folder / "dave.py").write_bytes(b"\x00\x01\x02binary")
    (folder / "erin.py").write_bytes("def search(x, seq):\n    return 'caf\xe9'\n".encode("latin-1"))
    (folder / "frank.py").write_text("def search(x, seq)\n    return 0\n")
    (folder / "grace.py").write_text("def search(x, seq):\n    while True:\n        pass\n")
    (folder / "heidi.py").write_text("import os\ndef search(x, seq):\n    os._exit(3)\n")
    (folder / "ivan.py").write_text("# " + "x" * 300_000 + "\n")
    student = folder / "judy"
    student.mkdir()
    (student / "notes.txt").write_text("my notes")
    (student / "helpers.py").write_text("X = 1\n")
    (student / "main.py").write_text(CORRECT)
    return folder
