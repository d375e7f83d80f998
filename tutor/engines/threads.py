"""How many llama.cpp threads to run now: one per core that other busy processes leave free.

llama.cpp's threads meet at a barrier many times per token and spin while they wait. When another CPU-bound
process takes one of the cores, the thread that lost its core holds up all the others, and generation collapses
(measured: 40 -> 3.9 tok/s for the default model on 2 cores beside two busy processes). One thread fewer than
cores, on a busy machine, only loses that core's share. So before each call the native engine measures how many
cores other processes kept busy since its previous call (``/proc/stat`` for the cores this process may use, minus
this process' own time) and runs one thread per core left free, at least one.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

MAX_THREADS = 8
# A core counts as taken only when other processes used more than this share of it: short bursts (a shell, the
# desktop) do not cost a thread.
SLACK = 0.25
MIN_WINDOW_S = 0.1
MAX_WINDOW_S = 5.0  # an older reading says little about now: start a fresh window


def usable_cores() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def choose_threads(cores: int, busy: float | None, cap: int = MAX_THREADS) -> int:
    """Threads for llama.cpp on ``cores`` cores while other processes keep ``busy`` cores busy (None: unknown,
    so assume an idle machine)."""
    taken = math.ceil(busy - SLACK) if busy is not None and busy > SLACK else 0
    return max(1, min(cap, cores - taken))


@dataclass(frozen=True)
class _Sample:
    at: float
    busy_ticks: int
    total_ticks: int
    own_ticks: int


class LoadMeter:
    """Cores kept busy by other processes (this process' children included) between two readings.

    Linux only (``/proc``); elsewhere ``busy_cores`` returns None and the engine keeps its thread count.
    """

    def __init__(self, proc: Path = Path("/proc")) -> None:
        self._proc = proc
        self._cpus = {
            f"cpu{n}" for n in (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ())
        }
        self._last = self._sample()

    def busy_cores(self) -> float | None:
        """Other processes' CPU use, in cores, since the previous reading (at most ``MAX_WINDOW_S`` ago; waits
        so the window is at least ``MIN_WINDOW_S`` long); None where it cannot be measured."""
        if self._last is None:
            return None
        if time.monotonic() - self._last.at > MAX_WINDOW_S:
            self._last = self._sample() or self._last
        wait = MIN_WINDOW_S - (time.monotonic() - self._last.at)
        if wait > 0:
            time.sleep(wait)
        now = self._sample()
        if now is None:
            return None
        before, self._last = self._last, now
        total = now.total_ticks - before.total_ticks
        if total <= 0:
            return None
        cores = len(self._cpus)
        others = (now.busy_ticks - before.busy_ticks) - (now.own_ticks - before.own_ticks)
        return max(0.0, others / total * cores)

    def _sample(self) -> _Sample | None:
        try:
            stat = (self._proc / "stat").read_text().splitlines()
            own = (self._proc / "self" / "stat").read_text()
        except OSError:
            return None
        busy = total = 0
        for line in stat:
            name, *fields = line.split()
            if name in self._cpus:
                ticks = [int(value) for value in fields[:8]]  # user nice system idle iowait irq softirq steal
                total += sum(ticks)
                busy += sum(ticks) - ticks[3] - ticks[4]
        if total == 0:
            return None
        # utime and stime (fields 14 and 15) for every thread of this process; the name may contain spaces
        own_fields = own.rsplit(")", 1)[1].split()
        return _Sample(time.monotonic(), busy, total, int(own_fields[11]) + int(own_fields[12]))
