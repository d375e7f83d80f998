"""The nearest passing repair of a failing submission: the class's correct submission closest to it in token edit
distance (pygments tokens, comments and layout ignored), for the teacher's diff. Every candidate has passed all
tests (hidden ones included) in the sandbox, so it is a validated repair.

Candidates are narrowed with a bag-of-tokens cosine (one matrix product), then ranked by exact Levenshtein
distance over token sequences (rapidfuzz).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from tutor.feedback.tokens import tokens

SHORTLIST = 8


@dataclass(frozen=True)
class Nearest:
    student: str
    code: str
    distance: int


def nearest_repairs(failing: Sequence[tuple[str, str]], passing: Sequence[tuple[str, str]]) -> dict[str, Nearest]:
    """For each failing (student, code), the nearest passing (student, code) of another student."""
    if not failing or not passing:
        return {}
    vocabulary: dict[tuple[str, str], int] = {}
    fail_ids = [_ids(code, vocabulary) for _, code in failing]
    pass_ids = [_ids(code, vocabulary) for _, code in passing]
    fail_bag, pass_bag = _bags(fail_ids, len(vocabulary)), _bags(pass_ids, len(vocabulary))
    cosine = fail_bag @ pass_bag.T
    found = {}
    for row, (student, _) in enumerate(failing):
        order = np.argsort(-cosine[row])
        shortlist = [int(i) for i in order[: SHORTLIST + 1] if passing[int(i)][0] != student][:SHORTLIST]
        if not shortlist:
            continue
        best = min(shortlist, key=lambda i: (Levenshtein.distance(fail_ids[row], pass_ids[i]), i))
        found[student] = Nearest(passing[best][0], passing[best][1], Levenshtein.distance(fail_ids[row], pass_ids[best]))
    return found


def _ids(code: str, vocabulary: dict[tuple[str, str], int]) -> list[int]:
    return [vocabulary.setdefault((str(t.kind), t.value), len(vocabulary)) for t in tokens(code)]


def _bags(sequences: list[list[int]], size: int) -> np.ndarray:
    bags = np.zeros((len(sequences), max(size, 1)), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        np.add.at(bags[row], sequence, 1.0)
    norms = np.linalg.norm(bags, axis=1, keepdims=True)
    return bags / np.where(norms == 0, 1.0, norms)


def unified_diff(code: str, repair: str) -> str:
    return "".join(difflib.unified_diff(code.splitlines(keepends=True), repair.splitlines(keepends=True),
                                        fromfile="submission", tofile="nearest passing repair"))
