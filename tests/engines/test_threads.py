"""The load-aware thread count: the rule, the /proc arithmetic, and a real busy process being noticed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.engines import threads
from tutor.engines.threads import LoadMeter, choose_threads


@pytest.mark.parametrize(
    ("cores", "busy", "cap", "expected"),
    [
        (2, None, 8, 2),  # unknown load: every core
        (2, 0.0, 8, 2),
        (2, 0.2, 8, 2),  # a shell or a desktop ticking over does not cost a thread
        (2, 0.6, 8, 1),  # one busy process on a 2-core machine: one thread
        (2, 1.0, 8, 1),
        (2, 3.5, 8, 1),  # never fewer than one
        (1, 0.0, 8, 1),
        (8, 1.0, 8, 7),
        (8, 2.3, 8, 5),
        (16, 2.0, 8, 8),  # plenty left: the cap
        (4, 0.0, 2, 2),  # a count given by the user caps it
    ],
)
def test_one_thread_per_core_left_free(cores: int, busy: float | None, cap: int, expected: int) -> None:
    assert choose_threads(cores, busy, cap) == expected


def _write_proc(folder: Path, cpus: dict[str, tuple[int, int]], own_ticks: int) -> None:
    """A /proc with per-CPU (busy, idle) ticks and this process' utime + stime."""
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    lines += [f"{name} {busy} 0 0 {idle} 0 0 0 0 0 0" for name, (busy, idle) in cpus.items()]
    (folder / "stat").write_text("\n".join(lines) + "\n")
    (folder / "self").mkdir(exist_ok=True)
    fields = ["S"] + ["0"] * 10 + [str(own_ticks), "0"] + ["0"] * 30
    (folder / "self" / "stat").write_text(f"123 (python (x)) {' '.join(fields)}\n")


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_meter_counts_other_processes_on_our_cores_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(threads, "MIN_WINDOW_S", 0.0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    _write_proc(tmp_path, {"cpu0": (10, 10), "cpu1": (10, 10), "cpu2": (10, 10)}, own_ticks=5)
    meter = LoadMeter(tmp_path)
    # 200 ticks passed on our two cores: 150 busy, of which 50 were ours; cpu2 (not ours) was fully busy
    _write_proc(tmp_path, {"cpu0": (110, 10), "cpu1": (60, 60), "cpu2": (110, 10)}, own_ticks=55)
    assert meter.busy_cores() == pytest.approx(1.0)
    # next window: all 200 ticks ours, nobody else's
    _write_proc(tmp_path, {"cpu0": (210, 10), "cpu1": (160, 60), "cpu2": (210, 10)}, own_ticks=255)
    assert meter.busy_cores() == pytest.approx(0.0)


def test_meter_without_proc_says_unknown(tmp_path: Path) -> None:
    assert LoadMeter(tmp_path / "missing").busy_cores() is None


@pytest.mark.skipif(not Path("/proc/stat").is_file(), reason="needs /proc")
def test_meter_notices_a_real_busy_process() -> None:
    meter = LoadMeter()
    child = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"], stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.6)
        busy = meter.busy_cores()
    finally:
        child.kill()
        child.wait()
    assert busy is not None and busy >= 0.5  # other processes on this machine can only add to it
    assert choose_threads(2, busy) == 1
