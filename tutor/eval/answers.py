"""A judge's answer probabilities, one way for every judge: each answer's share of the probability mass.

``answer_probabilities(logprobs, answers)`` takes log-probabilities of pieces (one step's top pieces, or the
scores of whole answers) and a matcher per answer (which pieces count for it), and renormalises over the answers.
The benchmark's yes/no judge (``yes_share``), the arena's A/B/tie judge and grading's yes/no rubric items
(scored continuations, ``tutor.grading.judge``) all use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

Matcher = Callable[[str], bool]


def answer_probabilities(
    logprobs: Mapping[str, float], answers: Mapping[str, Matcher], floor: bool = False
) -> dict[str, float] | None:
    """P(answer) among ``answers``: a piece counts for the first answer whose matcher accepts it. With
    ``floor`` an answer no piece counts for gets the smallest probability among the pieces (its upper bound), so
    the result stays graded. None when no piece counts for any answer."""
    mass = dict.fromkeys(answers, 0.0)
    for piece, logprob in logprobs.items():
        for name, matches in answers.items():
            if matches(piece):
                mass[name] += math.exp(logprob)
                break
    total = sum(mass.values())
    if total == 0:
        return None
    if floor:
        lowest = math.exp(min(logprobs.values()))
        mass = {name: value or lowest for name, value in mass.items()}
        total = sum(mass.values())
    return {name: value / total for name, value in mass.items()}


def starts(word: str) -> Matcher:
    """A piece that can start ``word`` (any case, spaces ignored): ``y``, ``ye``, ``yes`` for ``yes``."""
    return lambda piece: bool(piece.strip()) and word.startswith(piece.strip().lower())


YES_NO: dict[str, Matcher] = {"yes": starts("yes"), "no": starts("no")}


def yes_share(logprobs: Mapping[str, float], floor: bool = True) -> float | None:
    """P(yes) among yes and no from one step's top log-probabilities (see ``answer_probabilities``)."""
    found = answer_probabilities(logprobs, YES_NO, floor)
    return None if found is None else found["yes"]
