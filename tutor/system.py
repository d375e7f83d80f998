"""Figures about this machine and process that the engines, ``tutor doctor``, the CLI and the app all need: the
thread count for a model, the machine's RAM, and this process's memory."""

from __future__ import annotations

import os
from pathlib import Path


def default_threads() -> int:
    """Physical-ish core count: llama.cpp gains nothing from hyper-threads."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, min(count, 8))


def memory_gib() -> tuple[float, float]:
    """Total and available RAM in GiB (0 where the platform does not say)."""
    try:
        info = dict(
            line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line
        )
        total = int(info["MemTotal"].split()[0]) / 2**20
        available = int(info.get("MemAvailable", info["MemFree"]).split()[0]) / 2**20
        return round(total, 1), round(available, 1)
    except (OSError, KeyError, ValueError):
        pass
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return round(pages * size / 2**30, 1), 0.0
    except (ValueError, OSError, AttributeError):
        return 0.0, 0.0


def memory_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, e.g. ``VmRSS`` or ``VmHWM`` (0 where none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return 0.0
