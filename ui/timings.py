"""Moments of the learner loop that the window stamps as they happen, for ``tutor app --self-test``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Timings:
    """Moments of the learner loop, in seconds since the window was created (for the self-test)."""

    created: float = 0.0
    tests_started: float = 0.0
    tests_shown: float = 0.0
    tests_runner_s: float = 0.0
    hint_started: float = 0.0
    first_token: float = 0.0
    first_text: float = 0.0  # the first hint-pane text: the observation, else the first hint token
    hint_done: float = 0.0
    model_ready: float = 0.0
