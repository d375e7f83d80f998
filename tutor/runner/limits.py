"""Resource limits for one run of learner code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run."""

    per_test_s: float = 2.0
    total_s: float = 8.0
    memory_mb: int = 512
    file_size_mb: int = 8
    processes: int = 64
    output_kb: int = 64
    recursion: int = 3000
    nice: int = 0  # added to the child's scheduling niceness (background work: yields the CPU to the rest)
