"""The engine process dies in the middle of a hint (a signal sent to it, as a crash in llama.cpp or the kernel's
out-of-memory killer would): the hint still arrives (the analysis hint and one sentence saying so), and the next
hint runs in a fresh engine process. From the pipeline directly and from `tutor hint` in a terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tutor.engines.base import CRASHED
from tutor.engines.process import ProcessEngine
from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig

from ..conftest import venv_tutor

pytestmark = pytest.mark.slow
PACK = load_bundled()
EXERCISE = PACK.find("factorial")
STAGE_TO_KILL_IN = {"repairing": "repairing", "hint": "writing hint"}


@pytest.mark.parametrize(("stage", "sig"), [("hint", signal.SIGSEGV), ("repairing", signal.SIGKILL)])
def test_a_crash_mid_hint_gives_the_analysis_hint_and_the_next_hint_a_fresh_engine(
    default_model: Path, stage: str, sig: signal.Signals
) -> None:
    assert EXERCISE is not None
    engine = ProcessEngine()
    engine.load(default_model)
    first = engine.pid
    assert first is not None
    killed: list[int] = []

    def on_stage(name: str) -> None:
        if name == STAGE_TO_KILL_IN[stage] and not killed:
            killed.append(first)
            threading.Timer(0.4, os.kill, (first, sig)).start()  # while the model is reading or writing

    try:
        # no repair passes on this starter: the model is asked for a hint anyway, so that it can crash there
        config = PipelineConfig(repairs=1 if stage == "repairing" else 0, model_hint_needs_repair=False)
        hint = HintPipeline(engine, config, on_stage=on_stage).run(EXERCISE, EXERCISE.starter)
        assert killed and hint.status == "hint" and hint.source == "analysis" and hint.notice == CRASHED
        assert len(hint.hint.split()) >= 5 and hint.failing_test and hint.line
        assert engine.pid is None  # nothing is restarted behind the learner's back until the next request
        again = HintPipeline(
            engine, PipelineConfig(repairs=0, hint_max_tokens=30, model_hint_needs_repair=False)
        ).run(EXERCISE, EXERCISE.starter)
        assert again.status == "hint" and again.notice == "" and again.tokens["hint_calls"] >= 1
        assert engine.pid not in (None, first) and again.engine["details"]["process"]["pid"] == engine.pid
        assert engine.restarts == 1
    finally:
        engine.close()


def engine_children(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` and whose command line names the engine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and "engine" in command:
            found.append(int(entry.name))
    return found


def run_in_terminal(args: list[str], kill_on: str, sig: signal.Signals) -> tuple[int, str, list[int]]:
    """Run the ``tutor`` command in a pseudo-terminal (so it prints its stages), kill its engine process
    shortly after the stage ``kill_on`` is printed; the exit status, everything printed, the pids killed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*venv_tutor(), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, close_fds=True
    )
    os.close(slave)
    output, killed = b"", []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end is closed: the command has ended
                break
            if not chunk:
                break
            output += chunk
        if not killed and f"[{kill_on}]".encode() in output:
            time.sleep(0.4)
            killed = engine_children(proc.pid)
            for pid in killed:
                os.kill(pid, sig)
    code = proc.wait(timeout=60)
    os.close(master)
    return code, output.decode("utf-8", "replace"), killed


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_tutor_hint_survives_its_engine_dying(tmp_path: Path, sig: signal.Signals) -> None:
    assert EXERCISE is not None
    learner = tmp_path / "factorial.py"
    learner.write_text(EXERCISE.starter)
    code, output, killed = run_in_terminal(
        # the starter has no passing repair, so the model's turn is the repair (no hint is asked of it)
        ["hint", str(learner), "--exercise", "factorial", "--engine", "native", "--repairs", "1"],
        "repairing",
        sig,
    )
    assert len(killed) == 1, output
    assert code == 0, output
    assert f"({CRASHED})" in output and "Traceback" not in output
    assert learner.read_text() == EXERCISE.starter
