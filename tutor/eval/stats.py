"""The statistics of the evaluation layer, one of each: the seeded bootstrap, Cohen's kappa and rounding.

``bootstrap_indices`` draws every resampling at once from one seeded generator (the same indices as drawing them
round by round), so a mean's interval (``mean_interval``) and a refitted model's (the arena's Bradley-Terry
scores) come from the one resampling scheme; ``percentile_interval`` is the 95% percentile interval of such
samples. The token edit distance is ``tutor.feedback.tokens.edit_distance`` (``sequence_distance`` for token
lists with a cap).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MEAN_ROUNDS = 2000


def bootstrap_indices(n: int, rounds: int, seed: int = 0) -> np.ndarray:
    """``rounds`` resamplings (with replacement) of ``range(n)``: an integer array of shape ``(rounds, n)``."""
    return np.random.default_rng(seed).integers(0, n, size=(rounds, n))


def percentile_interval(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2.5th and 97.5th percentiles of ``samples`` along the first axis (one per column)."""
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    return low, high


def mean_interval(
    values: Sequence[float], seed: int = 0, rounds: int = MEAN_ROUNDS
) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high): the mean and its 95% percentile-bootstrap interval (None for no values)."""
    if not values:
        return None, None, None
    data = np.asarray(values, dtype=float)
    means = data[bootstrap_indices(len(data), rounds, seed)].mean(axis=1)
    low, high = percentile_interval(means)
    return float(data.mean()), float(low), float(high)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa between two raters' labels on the same items (None when there are no items, or when
    chance agreement is already 1 and kappa is undefined)."""
    if not first or len(first) != len(second):
        return None
    labels = sorted(set(first) | set(second))
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
    expected = sum(
        (list(first).count(c) / len(first)) * (list(second).count(c) / len(second)) for c in labels
    )
    return None if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
