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
from pygments.token import Name, _TokenType
from rapidfuzz.distance import Levenshtein

from tutor.feedback.tokens import lex, tokens

SHORTLIST = 8


@dataclass(frozen=True)
class Nearest:
    student: str
    code: str
    distance: int


def nearest_repairs(
    failing: Sequence[tuple[str, str]], passing: Sequence[tuple[str, str]]
) -> dict[str, Nearest]:
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
        found[student] = Nearest(
            passing[best][0], passing[best][1], Levenshtein.distance(fail_ids[row], pass_ids[best])
        )
    return found


def _ids(code: str, vocabulary: dict[tuple[str, str], int]) -> list[int]:
    """Token ids with names folded together, so a renamed variable costs nothing and the nearest repair is the
    one with the closest structure."""
    return [vocabulary.setdefault(_key(t.kind, t.value), len(vocabulary)) for t in tokens(code)]


def _key(kind: _TokenType, value: str) -> tuple[str, str]:
    return ("name", "") if _renamable(kind) else (str(kind), value)


def _renamable(kind: _TokenType) -> bool:
    return kind in Name and kind not in Name.Builtin and kind not in Name.Function


def with_names_of(code: str, repair: str) -> str:
    """``repair`` with its variable names replaced by the ones ``code`` uses in the same places (a consistent
    one-to-one mapping only), so that what is left of the difference is the real change."""
    ours, theirs = tokens(code), tokens(repair)
    matcher = difflib.SequenceMatcher(
        a=[_key(t.kind, t.value) for t in theirs], b=[_key(t.kind, t.value) for t in ours], autojunk=False
    )
    mapping: dict[str, str] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            old, new = theirs[block.a + offset], ours[block.b + offset]
            if _renamable(old.kind) and mapping.setdefault(old.value, new.value) != new.value:
                return repair  # not a consistent renaming: leave the repair as it is
    others = {t.value for t in theirs if _renamable(t.kind)} - set(mapping)
    if len(set(mapping.values())) != len(mapping) or others & set(mapping.values()):
        return repair  # two names would become one
    return "".join(mapping.get(value, value) if _renamable(kind) else value for _, kind, value in lex(repair))


def _bags(sequences: list[list[int]], size: int) -> np.ndarray:
    bags = np.zeros((len(sequences), max(size, 1)), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        np.add.at(bags[row], sequence, 1.0)
    norms = np.linalg.norm(bags, axis=1, keepdims=True)
    return bags / np.where(norms == 0, 1.0, norms)


def unified_diff(code: str, repair: str) -> str:
    """Line diff, blank lines and trailing spaces left out (they change nothing)."""

    def lines(text: str) -> list[str]:
        return [line.rstrip() + "\n" for line in text.splitlines() if line.strip()]

    return "".join(
        difflib.unified_diff(
            lines(code), lines(repair), fromfile="submission", tofile="nearest passing repair"
        )
    )
