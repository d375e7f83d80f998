"""Bradley-Terry scores fitted by maximum likelihood, with seeded bootstrap intervals and shared ranks.

Model: P(i beats j) = sigmoid(s_i - s_j [+ g * (len_i - len_j) / 10]). Scores are natural-log strengths centred
on a mean of 0 (a gap of 1 means the better system wins 73% of its battles). A tie counts as half a win for each
side (the binomial likelihood with outcome 0.5), not Davidson's model. The optional length control adds the
hint-length difference (in words, per 10 words) as a covariate with its own coefficient ``g``, so a judge that
simply prefers longer hints does not lift a wordy system. The fit is Newton's method on the concave
log-likelihood (numpy), with a very weak Gaussian prior (``ridge``) so that a system that won every battle gets
a large finite score instead of infinity; ``ridge=0`` is the plain MLE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tutor.eval.stats import bootstrap_indices, percentile_interval

DEFAULT_RIDGE = 1e-3
LENGTH_UNIT = 10.0  # words


@dataclass(frozen=True)
class Battle:
    """One decided comparison: ``outcome`` is 1.0 (a won), 0.5 (tie) or 0.0 (b won)."""

    a: str
    b: str
    outcome: float
    length_a: int = 0
    length_b: int = 0


@dataclass
class Fit:
    systems: list[str]
    scores: np.ndarray
    length_coef: float | None = None


def fit(
    battles: Sequence[Battle],
    systems: Sequence[str] | None = None,
    length_control: bool = False,
    ridge: float = DEFAULT_RIDGE,
) -> Fit:
    """Maximum-likelihood scores (mean 0) for ``systems`` (default: every system in ``battles``)."""
    names = list(systems) if systems is not None else sorted({b.a for b in battles} | {b.b for b in battles})
    index = {name: i for i, name in enumerate(names)}
    n = len(names)
    x = np.zeros((len(battles), n + (1 if length_control else 0)))
    y = np.array([b.outcome for b in battles], dtype=float)
    for row, battle in enumerate(battles):
        x[row, index[battle.a]] += 1.0
        x[row, index[battle.b]] -= 1.0
        if length_control:
            x[row, n] = (battle.length_a - battle.length_b) / LENGTH_UNIT
    beta = _newton(x, y, ridge, n)
    scores = beta[:n] - beta[:n].mean()
    return Fit(names, scores, float(beta[n]) if length_control else None)


def _newton(x: np.ndarray, y: np.ndarray, ridge: float, n_systems: int) -> np.ndarray:
    """Maximise sum(y*log p + (1-y)*log(1-p)) - ridge/2*|beta|^2 with one score pinned by a sum-zero step.

    Scores are only defined up to a constant, so the Hessian is singular along (1, ..., 1, 0); a tiny extra
    penalty on the mean of the scores removes that direction without changing any difference between them.
    """
    k = x.shape[1]
    beta = np.zeros(k)
    centre = np.zeros((k, k))
    centre[:n_systems, :n_systems] = 1.0 / max(n_systems, 1)
    penalty = ridge * np.eye(k) + centre
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (y - p) - penalty @ beta
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


@dataclass
class Interval:
    low: float
    high: float


def bootstrap(
    battles: Sequence[Battle],
    systems: Sequence[str],
    rounds: int = 1000,
    seed: int = 0,
    length_control: bool = False,
    ridge: float = DEFAULT_RIDGE,
) -> dict[str, Interval]:
    """95% percentile intervals of each score over ``rounds`` resamplings of the battles (with replacement)."""
    samples = np.empty((rounds, len(systems)))
    for r, chosen in enumerate(bootstrap_indices(len(battles), rounds, seed)):
        samples[r] = fit([battles[i] for i in chosen], systems, length_control, ridge).scores
    low, high = percentile_interval(samples)
    return {name: Interval(float(low[i]), float(high[i])) for i, name in enumerate(systems)}


def shared_ranks(scores: dict[str, float], intervals: dict[str, Interval]) -> dict[str, int]:
    """Rank = 1 + the number of systems whose interval lies wholly above this one's; overlapping intervals
    therefore share a place (the rule Chatbot Arena uses)."""
    return {
        name: 1 + sum(intervals[o].low > intervals[name].high for o in scores if o != name) for name in scores
    }
