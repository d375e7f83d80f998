"""The engine process as ``ProcessEngine`` sees it: how it is started, its pipes, and a thread that routes each
answer line to the queue of the request it answers (the other side of ``tutor/engines/engine_host.py``'s
protocol). When the process dies, every request waiting on it gets a ``died`` answer, which ``raise_for`` turns
into ``EngineCrashed``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any

import tutor
from tutor.engines.base import EngineCrashed, EngineError

_log = logging.getLogger("tutor.engine_process")
DIED = "died"


def engine_command() -> list[str]:
    """How the engine process is started: a frozen app (PyInstaller) runs itself with ``--tutor-engine``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--tutor-engine"]
    return [sys.executable, "-m", "tutor.engines.engine_host"]


def _child_env() -> dict[str, str]:
    """The parent's environment, with this ``tutor`` package first on the path (a checkout run in place)."""
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        root = str(Path(tutor.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (" (perhaps out of memory)" if name == "SIGKILL" else "")
    return f"exited with status {code}"


class Child:
    """One engine process: its pipes, a thread routing its answers to per-request queues, its stderr tail."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            engine_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
            start_new_session=os.name == "posix",  # Ctrl+C in a terminal reaches the parent only
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        )
        self.pid = self.proc.pid
        self.exit_detail: str | None = None
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self._queues: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._write = threading.Lock()
        threading.Thread(target=self._read_answers, name=f"engine-{self.pid}-out", daemon=True).start()
        threading.Thread(target=self._read_stderr, name=f"engine-{self.pid}-err", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.exit_detail is None and self.proc.poll() is None

    def open(self, request: int) -> queue.Queue[dict[str, Any]]:
        with self._lock:
            if self.exit_detail is not None:
                raise EngineCrashed(detail=self.exit_detail)
            answers: queue.Queue[dict[str, Any]] = queue.Queue()
            self._queues[request] = answers
            return answers

    def close(self, request: int) -> None:
        with self._lock:
            self._queues.pop(request, None)

    def send(self, message: dict[str, Any]) -> None:
        """A write to a dead child fails quietly: the reading thread reports the death to every waiter."""
        line = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        assert self.proc.stdin is not None
        with self._write:
            try:
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
            except (OSError, ValueError):
                pass

    def _read_answers(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                answer = json.loads(raw)
            except ValueError:
                continue
            with self._lock:
                target = self._queues.get(answer.get("id"))
            if target is not None:
                target.put(answer)
        code = self.proc.wait()
        with self._lock:
            self.exit_detail = describe_exit(code)
            waiting = list(self._queues.values())
        if waiting or code != 0:
            _log.info(
                "engine process %s %s; last output: %s",
                self.pid,
                self.exit_detail,
                " | ".join(self.stderr_tail)[-2000:],
            )
        for target in waiting:
            target.put({"event": DIED, "detail": self.exit_detail})

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.stderr_tail.append(line)
                _log.debug("engine %s: %s", self.pid, line)

    def release(self) -> None:
        """Close its stdin without waiting: it ends by itself (used when the engine is garbage-collected)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def stop(self, timeout: float = 3.0) -> None:
        """Close its stdin (it exits by itself), then kill it if it does not."""
        self.release()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def raise_for(answer: dict[str, Any]) -> None:
    event = answer.get("event")
    if event == DIED:
        raise EngineCrashed(detail=str(answer.get("detail", "")))
    if event == "error":
        message = str(answer.get("message", ""))
        raise EngineError(message if answer.get("kind") == "engine" else f"The model failed: {message}")


def release_all(children: list[Child]) -> None:
    for child in children:
        child.release()
