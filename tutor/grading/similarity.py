"""Unusually similar submissions, found locally: winnowing (Schleimer, Wilkerson and Aiken, the idea behind MOSS)
over pygments tokens with names and literals normalised, so renaming variables or re-commenting changes nothing.

A pair above the threshold is flagged *for review*: short exercises have few natural solutions, so similarity is
a reason for a teacher to look, never a verdict. Pairs are ranked by similarity and capped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pygments.token import Name, Number, String

from tutor.feedback.tokens import tokens

K_GRAM = 5
WINDOW = 4
THRESHOLD = 0.8
MIN_TOKENS = 25
MAX_PAIRS = 50


@dataclass(frozen=True)
class SimilarPair:
    first: str
    second: str
    similarity: float  # Jaccard index of the two fingerprint sets
    shared: int


def normalised_tokens(code: str) -> list[str]:
    out = []
    for token in tokens(code):
        if token.kind in Name and token.kind not in Name.Builtin:
            out.append("N")
        elif token.kind in String:
            out.append("S")
        elif token.kind in Number:
            out.append("0")
        else:
            out.append(token.value)
    return out


def fingerprints(code: str, k: int = K_GRAM, window: int = WINDOW) -> set[int]:
    """The winnowed hashes of the program's normalised token k-grams."""
    stream = normalised_tokens(code)
    hashes = [
        int.from_bytes(hashlib.blake2b(" ".join(stream[i : i + k]).encode(), digest_size=8).digest(), "big")
        for i in range(len(stream) - k + 1)
    ]
    if len(hashes) <= window:
        return set(hashes)
    chosen: set[int] = set()
    for start in range(len(hashes) - window + 1):
        chunk = hashes[start : start + window]
        chosen.add(min(chunk))
    return chosen


def similar_pairs(
    programs: Sequence[tuple[str, str]], threshold: float = THRESHOLD, max_pairs: int = MAX_PAIRS
) -> list[SimilarPair]:
    """Pairs of (student, code) at or above ``threshold``; programs too short to tell apart are skipped.
    An inverted index over fingerprints compares only pairs that share at least one."""
    prints: dict[str, set[int]] = {}
    by_code: dict[str, set[int]] = {}
    for student, code in programs:
        if len(tokens(code)) >= MIN_TOKENS:
            if code not in by_code:
                by_code[code] = fingerprints(code)
            prints[student] = by_code[code]
    index: dict[int, list[str]] = defaultdict(list)
    for student, found in prints.items():
        for value in found:
            index[value].append(student)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for students in index.values():
        if len(students) > 200:
            continue  # a fingerprint half the class has (boilerplate) says nothing about a pair
        for i, first in enumerate(students):
            for second in students[i + 1 :]:
                shared[(first, second)] += 1
    pairs = []
    for (first, second), count in shared.items():
        union = len(prints[first] | prints[second])
        similarity = count / union if union else 0.0
        if similarity >= threshold:
            pairs.append(SimilarPair(first, second, round(similarity, 3), count))
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.first, p.second))
    return pairs[:max_pairs]
