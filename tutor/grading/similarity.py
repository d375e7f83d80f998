"""Unusually similar submissions, found locally: winnowing (Schleimer, Wilkerson and Aiken, the idea behind MOSS)
over pygments tokens with names and literals normalised, so renaming variables or re-commenting changes nothing.

The exercise's starter is not evidence: every student was given it, so its fingerprints and its lines are set
aside before two programs are compared. Fingerprints find the candidate pairs; the figure a teacher reads is the
share of lines two programs have in common after renaming (names set aside, every other token kept), with the
reason in words: "same 14 of 16 lines after renaming". Two programs are 100% similar only when every line of
their own is the same after renaming.

A pair above the threshold is flagged *for review*: short exercises have few natural solutions, so similarity is
a reason for a teacher to look, never a verdict. Pairs are ranked by similarity and capped.
"""

from __future__ import annotations

import difflib
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
MIN_OWN_LINES = 3  # a program with fewer lines of its own than this (beyond the starter) is not compared
MAX_PAIRS = 50


@dataclass(frozen=True)
class SimilarPair:
    first: str
    second: str
    similarity: float  # the share of the longer program's own lines that the other has too, after renaming
    shared: int  # fingerprints in common (the starter's set aside)
    same_lines: int = 0
    lines: int = 0
    starter_lines: int = 0  # lines of the starter set aside in the longer program

    @property
    def reason(self) -> str:
        """Why the pair is flagged, in words."""
        aside = (
            f"; {self.starter_lines} line{'' if self.starter_lines == 1 else 's'} of the starter set aside"
            if self.starter_lines
            else ""
        )
        return f"same {self.same_lines} of {self.lines} lines after renaming{aside}"


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


def line_shapes(code: str) -> list[str]:
    """Each non-blank line as its tokens with names (not built-ins) replaced by ``N``: renaming changes nothing,
    a different operator, number or text does."""
    lines: dict[int, list[str]] = defaultdict(list)
    for token in tokens(code):
        named = token.kind in Name and token.kind not in Name.Builtin
        lines[token.line].append("N" if named else token.value)
    return [" ".join(parts) for _, parts in sorted(lines.items())]


def similar_pairs(
    programs: Sequence[tuple[str, str]],
    threshold: float = THRESHOLD,
    max_pairs: int = MAX_PAIRS,
    starter: str = "",
) -> list[SimilarPair]:
    """Pairs of (student, code) at or above ``threshold``, the ``starter``'s code set aside; programs too short
    to tell apart are skipped. An inverted index over fingerprints compares only pairs that share one."""
    given = fingerprints(starter) if starter.strip() else set()
    given_lines = set(line_shapes(starter)) if starter.strip() else set()
    prints: dict[str, set[int]] = {}
    by_code: dict[str, set[int]] = {}
    codes = dict(programs)
    for student, code in programs:
        own = [line for line in line_shapes(code) if line not in given_lines]
        if len(tokens(code)) >= MIN_TOKENS and len(own) >= MIN_OWN_LINES:
            if code not in by_code:
                by_code[code] = fingerprints(code) - given
            if by_code[code]:
                prints[student] = by_code[code]
    shared = _shared_fingerprints(prints)
    pairs = []
    for (first, second), count in shared.items():
        union = len(prints[first] | prints[second])
        if not union or count / union < threshold:
            continue
        pair = _line_pair(first, second, codes[first], codes[second], given_lines, count)
        if pair.similarity >= threshold:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.first, p.second))
    return pairs[:max_pairs]


def _shared_fingerprints(prints: dict[str, set[int]]) -> dict[tuple[str, str], int]:
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
    return shared


def _line_pair(
    first: str, second: str, code_a: str, code_b: str, given: set[str], shared: int
) -> SimilarPair:
    """The pair with its line figures: lines of the starter set aside, the rest matched in order."""
    all_a, all_b = line_shapes(code_a), line_shapes(code_b)
    own_a = [line for line in all_a if line not in given]
    own_b = [line for line in all_b if line not in given]
    matcher = difflib.SequenceMatcher(a=own_a, b=own_b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    lines = max(len(own_a), len(own_b))
    aside = len(all_a) - len(own_a) if len(own_a) >= len(own_b) else len(all_b) - len(own_b)
    return SimilarPair(first, second, round(same / lines, 3) if lines else 0.0, shared, same, lines, aside)
