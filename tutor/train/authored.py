"""Hint targets written by the team: the strong teacher's data (issue 24).

For dev-split bug/fix pairs, a teacher read the task, the buggy program, its first failing test and a passing fix,
and wrote one explanation sentence and one hint question by the house rules (``resources/train/hint-targets.md``).
Each row is keyed by its pair (``pair_key``: task, buggy program and fix), so ``tutor train data`` finds the
target of a pair whichever order or source the pairs come in. Loading refuses a target of a test-split task.

Every target still goes through the same checks as a teacher model's answer (``teacher.teacher_reasons``): the
answer grammar, the leak guard, agreement with the fix's changed line, a question. A target passing them with the
fix shown makes a ``hint`` example with the fix (what the pipeline asks after a validated repair); one that also
passes the guard with no fix makes a second example without it (what the model is asked when no repair passed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tutor.eval.splits import split_of
from tutor.jsonl import read_jsonl
from tutor.paths import resources_dir


def default_targets() -> Path:
    return resources_dir() / "train" / "hint-targets.jsonl"


class AuthoredError(ValueError):
    """The targets file is broken or holds a test-split task; the message says which row."""


@dataclass(frozen=True)
class AuthoredTarget:
    key: str
    task: str
    source: str
    explanation: str
    hint: str
    writer: str  # "team:writer-N": who wrote it (authored, not generated)

    @property
    def answer(self) -> str:
        """The target in the model's answer format."""
        return f"Explanation: {self.explanation}\nHint: {self.hint}\n"


def pair_key(task: str, code: str, fix: str) -> str:
    """The key of a bug/fix pair: the same program pair of the same task is the same pair."""
    return hashlib.sha256(f"{task}\0{code}\0{fix}".encode()).hexdigest()[:16]


def load_targets(path: Path | None = None) -> dict[str, AuthoredTarget]:
    """Targets by pair key. A row of a test-split task, a key written twice or a missing field is an error."""
    path = path or default_targets()
    targets: dict[str, AuthoredTarget] = {}
    for number, row in enumerate(read_jsonl(path, "hint target"), 1):
        try:
            target = AuthoredTarget(**{name: str(row[name]) for name in AuthoredTarget.__dataclass_fields__})
        except KeyError as exc:
            raise AuthoredError(f"{path}: row {number} has no {exc.args[0]!r}") from None
        if split_of(target.task) == "test":
            raise AuthoredError(
                f"{path}: row {number} is of the test task {target.task}; only dev tasks may train"
            )
        if target.key in targets:
            raise AuthoredError(f"{path}: row {number} repeats the pair {target.key}")
        targets[target.key] = target
    return targets
