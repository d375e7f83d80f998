"""One run of the test harness: the child process (sandboxed where possible) and the dialogue with it.

``HarnessProcess`` starts ``child.py`` with two pipes of its own (commands in, JSON-lines events out), drains its
output with caps, and kills its whole tree. ``conduct`` sends the program, then one test at a time, reads each
answer under the time limits, judges it (``verdict.py``) and builds the TestReport. The event grammar is strict:
``loading``, then ``ready`` or ``module_error``, then for each test sent exactly ``start i`` and ``result i``, then
``done``. Anything else marks the run as interfered with: every test is an error.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from tutor.exercises import TestCase
from tutor.runner.isolation import SCRIPT_DIR, WORKDIR, sandbox_command, sandbox_status, seccomp_pipe
from tutor.runner.judge import Interfered as _Interfered
from tutor.runner.judge import from_module_error, judge, not_run, stop_reason
from tutor.runner.limits import Limits
from tutor.runner.report import TestReport, TestResult
from tutor.runner.verdict import ProtocolError, check_for

CHILD_SCRIPT = Path(__file__).with_name("child.py")
MAX_TIMEOUTS = (
    2  # after two tests ran out of time, the rest would too: stop instead of making the learner wait
)
EVENT_LINE_BYTES = 8 * 1024 * 1024  # the largest answer the child may send for one test
EVENT_TOTAL_BYTES = 64 * 1024 * 1024
START_GRACE_S = 2.0  # the sandbox and the interpreter starting, on a busy machine
_EXIT_WAIT_S = 0.5  # a child that sent ``done`` has this long to exit before it is killed
TEST_GRACE_S = 1.0  # the child's own per-test alarm fires first; this covers a child that blocks it
INTERFERED = (
    "The program interfered with the test harness (it wrote to the harness's channel or ended it early), "
    "so no test counts: {why}."
)


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.data = bytearray()
        self.truncated = False

    def run(self) -> None:
        read = getattr(self.stream, "read1", self.stream.read)
        while chunk := read(65536):
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            if len(chunk) > max(room, 0):
                self.truncated = True

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + "\n[… output cut: too much printed]" if self.truncated else text


class _EventReader(threading.Thread):
    """Reads the child's JSON-lines result pipe into a queue: each event as a dict, ``ProtocolError`` for a line
    that is not one, ``None`` at the end."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.stream = os.fdopen(fd, "rb")
        self.events: queue.Queue[dict[str, Any] | ProtocolError | None] = queue.Queue()

    def run(self) -> None:
        total = 0
        try:
            while raw := self.stream.readline(EVENT_LINE_BYTES + 1):
                total += len(raw)
                if len(raw) > EVENT_LINE_BYTES or total > EVENT_TOTAL_BYTES or not raw.endswith(b"\n"):
                    self.events.put(ProtocolError("an answer too long or cut off"))
                    break
                self.events.put(_parse_event(raw))
        finally:
            self.events.put(None)
            self._drain()

    def _drain(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while self.stream.read(65536):
                pass
            self.stream.close()


def _parse_event(raw: bytes) -> dict[str, Any] | ProtocolError:
    try:
        event = json.loads(raw)
    except (ValueError, RecursionError):
        return ProtocolError("a line that is not the harness's")
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return ProtocolError("a line that is not the harness's")
    return event


def child_command(command_fd: int, result_fd: int, script: str) -> list[str]:
    """The command that starts the harness: isolated mode, no site-packages; in a frozen app (PyInstaller),
    the app itself with ``--tutor-child`` (its bundled interpreter ignores PYTHON* variables and site-packages)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--tutor-child", str(command_fd), str(result_fd)]
    return [os.path.realpath(sys.executable), "-I", "-S", script, str(command_fd), str(result_fd)]


def _child_env(workdir: str) -> dict[str, str]:
    env = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir, "PATH": os.defpath}
    if os.name == "nt":
        for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


class HarnessProcess:
    """The child process of one run, its pipes and readers."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._finished = False
        self.sandboxed = sandbox_status().available
        self._tempdir = None if self.sandboxed else tempfile.TemporaryDirectory(prefix="tutor-run-")
        workdir = WORKDIR if self._tempdir is None else self._tempdir.name
        command_read, self._command = os.pipe()
        events_read, result_write = os.pipe()
        seccomp_fd = seccomp_pipe() if self.sandboxed else None
        script = f"{SCRIPT_DIR}/child.py" if self.sandboxed else str(CHILD_SCRIPT)
        argv = child_command(command_read, result_write, script)
        if self.sandboxed:
            bound = None if getattr(sys, "frozen", False) else str(CHILD_SCRIPT)
            argv = sandbox_command(sandbox_status().tool, argv, bound, seccomp_fd)
        passed = tuple(fd for fd in (command_read, result_write, seccomp_fd) if fd is not None)
        try:
            self.proc = subprocess.Popen(
                argv,
                pass_fds=passed,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=None if self.sandboxed else workdir,
                env=_child_env(workdir),
                start_new_session=os.name == "posix",
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
        except BaseException:
            for fd in (self._command, events_read):
                os.close(fd)
            self._cleanup_dir()
            raise
        finally:
            for fd in passed:
                os.close(fd)
        self.events = _EventReader(events_read)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.stdout = _CappedReader(self.proc.stdout, limits.output_kb * 1024)
        self.stderr = _CappedReader(self.proc.stderr, limits.output_kb * 1024)
        for thread in (self.events, self.stdout, self.stderr):
            thread.start()

    def send(self, message: dict[str, Any]) -> bool:
        """One command frame; False when the child no longer listens."""
        data = marshal.dumps(message)
        try:
            os.write(self._command, len(data).to_bytes(4, "big"))
            view = memoryview(data)
            while view:
                view = view[os.write(self._command, view) :]
        except OSError:
            return False
        return True

    def close_commands(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._command)
        self._command = -1

    def next_event(self, deadline: float) -> dict[str, Any] | ProtocolError | None | str:
        """The next event; ``None`` when the pipe ended, ``"timeout"`` when ``deadline`` passed first."""
        try:
            return self.events.events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return "timeout"

    def finish(self, wait_s: float) -> int:
        """Let the child exit for up to ``wait_s``, then kill everything it started; the exit status."""
        if self._finished:
            return _signal_status(self.proc.returncode, self.sandboxed)
        self._finished = True
        if self._command >= 0:
            self.close_commands()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=max(0.0, wait_s))
        _kill_tree(self.proc)
        for thread in (self.events, self.stdout, self.stderr):
            thread.join(timeout=2.0)
        self._cleanup_dir()
        return _signal_status(self.proc.returncode, self.sandboxed)

    def _cleanup_dir(self) -> None:
        if self._tempdir is not None:
            with contextlib.suppress(OSError):
                self._tempdir.cleanup()


def _signal_status(returncode: int, sandboxed: bool) -> int:
    """bubblewrap reports a child killed by signal N as exit code 128 + N: as a negative status, like Popen."""
    if sandboxed and 128 < returncode < 128 + 65:
        return -(returncode - 128)
    return returncode


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started, whether or not it already exited. In the sandbox, killing
    bubblewrap ends its PID namespace, and every process in it."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


class _Dialogue:
    """Reads the child's events in order; each expected step either arrives or says why not."""

    def __init__(self, child: HarnessProcess) -> None:
        self.child = child
        self.timed_out = False
        self.ended = False
        self.loaded = False
        self.cut_note = ""  # a test cut off by the parent (the child's own alarm did not stop it)
        self.answers: list[dict[str, Any]] | None = None

    def expect(
        self, kinds: Sequence[str], deadline: float, index: int | None = None
    ) -> dict[str, Any] | None:
        """The next event if it is one of ``kinds`` (for test ``index``); None when the child ended or time ran
        out; _Interfered when it is anything else."""
        if self.ended:
            return None
        event = self.child.next_event(deadline)
        if event == "timeout":
            self.timed_out = True
            self.ended = True
            return None
        if event is None:
            self.ended = True
            return None
        if isinstance(event, ProtocolError):
            raise _Interfered(str(event))
        assert isinstance(event, dict)
        self.loaded = self.loaded or event["event"] == "loading"
        if event["event"] not in kinds:
            raise _Interfered(f"an unexpected {event['event']!r} event")
        if index is not None and event.get("index") != index:
            raise _Interfered(f"an event for test {event.get('index')!r} during test {index}")
        return event


def conduct(
    code: str,
    tests: Sequence[TestCase],
    entry: str,
    prelude: str,
    limits: Limits,
    stop_on_failure: bool,
    answers: list[dict[str, Any]] | None = None,
) -> TestReport:
    """Run ``code`` against ``tests`` in a fresh child and judge every answer here (each raw answer is also
    appended to ``answers`` when given: ``run_program`` reads the printed text from it)."""
    child = HarnessProcess(limits)
    total_deadline = time.monotonic() + limits.total_s + START_GRACE_S
    dialogue = _Dialogue(child)
    dialogue.answers = answers
    results: list[TestResult] = []
    job = {
        "source": code,
        "prelude": prelude,
        "entry": entry,
        "limits": asdict(limits),
        "drop_root": child.sandboxed,
        "load": not tests
        or not all(t.is_program for t in tests),  # a program exercise's file runs only in its tests
        "module": "solution" if any(t.is_program for t in tests) else "__main__",
    }
    try:
        stop_note = _converse(child, dialogue, job, tests, total_deadline, stop_on_failure, results)
        child.close_commands()  # the child sends ``done`` when it sees the end of its commands
        done = dialogue.expect(("done",), min(total_deadline, time.monotonic() + TEST_GRACE_S))
        status = child.finish(0.0 if dialogue.timed_out and not done else _EXIT_WAIT_S)
        _expect_no_more(child)
    except _Interfered as exc:
        child.finish(0.0)
        report = TestReport(tests=[not_run(t, INTERFERED.format(why=exc), "error") for t in tests])
    else:
        report = _report(tests, results, dialogue, status, limits, stop_note)
    report.stdout, report.stderr = child.stdout.text(), child.stderr.text()
    return report


def _converse(
    child: HarnessProcess,
    dialogue: _Dialogue,
    job: dict[str, Any],
    tests: Sequence[TestCase],
    total_deadline: float,
    stop_on_failure: bool,
    results: list[TestResult],
) -> str:
    """The dialogue up to the last test; appends each judged result; returns why it stopped early, if it did."""
    limits = child.limits
    if not child.send(job) or dialogue.expect(("loading",), total_deadline) is None:
        return ""
    loaded = dialogue.expect(("ready", "module_error"), total_deadline)
    if loaded is None:
        return ""
    if loaded["event"] == "module_error":
        results.extend(from_module_error(t, loaded) for t in tests)
        return ""
    timeouts = 0
    for index, (test, check) in enumerate(zip(tests, (check_for(t) for t in tests), strict=True)):
        deadline = min(total_deadline, time.monotonic() + limits.per_test_s + TEST_GRACE_S)
        command = check.command(index, quiet=test.hidden, stdin=test.stdin or "", echo=test.echo)
        if not child.send(command) or dialogue.expect(("start",), deadline, index) is None:
            return ""
        answer = dialogue.expect(("result",), deadline, index)
        if answer is None:
            if dialogue.timed_out and time.monotonic() < total_deadline:
                dialogue.cut_note = (
                    f"Took longer than {limits.per_test_s:g} s and did not stop; the program was ended."
                )
            return ""
        result = judge(test, check, answer)
        if dialogue.answers is not None:
            dialogue.answers.append(answer)
        results.append(result)
        timeouts += result.status == "timeout"
        if timeouts >= MAX_TIMEOUTS:
            return "Not run: two tests already ran out of time."
        if stop_on_failure and not result.passed:
            return "Not run: stopped at the first failing test."
    return ""


def _expect_no_more(child: HarnessProcess) -> None:
    """After ``done`` (or the end) nothing may follow."""
    while True:
        event = child.next_event(time.monotonic())
        if event is None or event == "timeout":
            return
        if isinstance(event, ProtocolError):
            raise _Interfered(str(event))
        assert isinstance(event, dict)
        raise _Interfered(f"an extra {event.get('event')!r} event after the last test")


def _report(
    tests: Sequence[TestCase],
    results: list[TestResult],
    dialogue: _Dialogue,
    status: int,
    limits: Limits,
    stop_note: str,
) -> TestReport:
    """Judged results first; the tests after them not run, with the reason."""
    report = TestReport(tests=list(results))
    if len(results) == len(tests):
        return report
    reason = (
        stop_note or dialogue.cut_note or stop_reason(status, dialogue.timed_out, limits, dialogue.loaded)
    )
    for index in range(len(results), len(tests)):
        test = tests[index]
        if stop_note:
            report.tests.append(not_run(test, stop_note, "error"))
        elif index == len(results):
            report.tests.append(not_run(test, reason, "timeout" if dialogue.timed_out else "error"))
        else:
            report.tests.append(not_run(test, f"Not run: {reason[0].lower()}{reason[1:]}", "error"))
    return report
