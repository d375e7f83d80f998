"""The parent side of the sandbox: start one child per run, enforce the limits, collect a TestReport.

The child is ``python -I -S child.py`` in a fresh temporary folder, in its own session (process group) with its
stdin closed. It limits itself (rlimits) and refuses forks, sockets and subprocesses with an audit hook; the
parent does not rely on that: it enforces the total time limit and kills the whole process group at the end of
every run, so even a process that slipped out is gone. On systems without rlimits the time limits and the
process-tree kill still apply.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from tutor.exercises import Exercise, TestCase
from tutor.runner.report import SyntaxProblem, TestReport, TestResult

CHILD_SCRIPT = Path(__file__).with_name("child.py")
LEARNER_FILE = "solution.py"
_EXIT_GRACE_S = 1.0


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


def run(exercise: Exercise, code: str, limits: Limits | None = None) -> TestReport:
    """Run ``code`` against every test of ``exercise``."""
    return run_tests(code, exercise.tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits)


def passes(exercise: Exercise, code: str, first: str | None = None, limits: Limits | None = None) -> bool:
    """Whether ``code`` passes every test, stopping at the first failure (the test labelled ``first`` runs
    first): the fast check used to validate repair candidates."""
    tests = sorted(exercise.tests, key=lambda t: t.label != first)
    report = run_tests(
        code, tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits, stop_on_failure=True
    )
    return report.passed


def run_tests(
    code: str,
    tests: Sequence[TestCase],
    entry: str = "",
    prelude: str = "",
    limits: Limits | None = None,
    stop_on_failure: bool = False,
) -> TestReport:
    """Run ``code`` in a fresh child process against ``tests``; never raises for anything the code does."""
    limits = limits or Limits()
    started = time.perf_counter()
    problem = syntax_problem(code)
    if problem is not None:
        report = TestReport(
            syntax_error=problem, tests=[_not_run(t, problem.message, "error") for t in tests]
        )
    else:
        report = _run_child(code, tests, entry, prelude, limits, stop_on_failure)
    report.duration_s = time.perf_counter() - started
    return report


def syntax_problem(code: str) -> SyntaxProblem | None:
    """The first syntax error in ``code`` (line and column), or None; nothing is run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # e.g. SyntaxWarning for `is` with a literal: the child shows them
            compile(code, LEARNER_FILE, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return SyntaxProblem(f"SyntaxError: {exc.msg}", exc.lineno, exc.offset, (exc.text or "").rstrip("\n"))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return SyntaxProblem(f"The file cannot be compiled: {exc}", None, None)
    return None


def _not_run(test: TestCase, message: str, status: str) -> TestResult:
    return TestResult(call=test.label, status=status, expected=test.expected, message=message)  # type: ignore[arg-type]


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.data = bytearray()
        self.truncated = False

    def run(self) -> None:
        while chunk := self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536):
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            if len(chunk) > max(room, 0):
                self.truncated = True

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + "\n[… output cut: too much printed]" if self.truncated else text


class _EventReader(threading.Thread):
    """Reads the child's JSON-lines result pipe."""

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = os.fdopen(fd, "rb")
        self.cap = cap
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        read = 0
        for raw in self.stream:
            read += len(raw)
            if read > self.cap:
                break
            try:
                event = json.loads(raw)
            except ValueError:
                continue  # the learner's code wrote to our pipe: ignore what is not ours
            if isinstance(event, dict):
                self.events.append(event)
        self.stream.close()


def _child_env(workdir: str) -> dict[str, str]:
    env = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir, "PATH": os.defpath}
    if os.name == "nt":
        for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


def child_command(job_path: str, result_fd: int) -> list[str]:
    """The command that starts the harness: isolated mode, no site-packages; in a frozen app (PyInstaller),
    the app itself with ``--tutor-child`` (its bundled interpreter ignores PYTHON* variables and site-packages)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--tutor-child", job_path, str(result_fd)]
    return [sys.executable, "-I", "-S", str(CHILD_SCRIPT), job_path, str(result_fd)]


def _run_child(
    code: str, tests: Sequence[TestCase], entry: str, prelude: str, limits: Limits, stop_on_failure: bool
) -> TestReport:
    with tempfile.TemporaryDirectory(prefix="tutor-run-") as workdir:
        job_path = os.path.join(workdir, "job.bin")
        job = {
            "source": code,
            "prelude": prelude,
            "entry": entry,
            "limits": asdict(limits),
            "stop_on_failure": stop_on_failure,
            "tests": [t.to_json() for t in tests],
        }
        with open(job_path, "wb") as handle:
            marshal.dump(job, handle)  # the child reads it without importing json
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                child_command(job_path, write_fd),
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=workdir,
                env=_child_env(workdir),
                start_new_session=os.name == "posix",
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
        finally:
            os.close(write_fd)
        events = _EventReader(read_fd, cap=len(tests) * 4096 + 65536)
        assert proc.stdout is not None and proc.stderr is not None
        out = _CappedReader(proc.stdout, limits.output_kb * 1024)
        err = _CappedReader(proc.stderr, limits.output_kb * 1024)
        for thread in (events, out, err):
            thread.start()
        timed_out = False
        try:
            proc.wait(timeout=limits.total_s + _EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_tree(proc)
        for thread in (events, out, err):
            thread.join(timeout=2.0)
        report = _build_report(tests, events.events, proc.returncode, timed_out, limits)
        report.stdout, report.stderr = out.text(), err.text()
        return report


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started, whether or not it already exited."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _build_report(
    tests: Sequence[TestCase], events: list[dict[str, Any]], returncode: int, timed_out: bool, limits: Limits
) -> TestReport:
    results: dict[int, TestResult] = {}
    started: set[int] = set()
    stopped_early = ""
    for event in events:
        kind = event.get("event")
        if kind == "module_error":
            return TestReport(tests=[_from_module_error(t, event) for t in tests])
        if kind == "stopped":
            stopped_early = (
                "Not run: two tests already ran out of time."
                if event.get("reason") == "timeouts"
                else "Not run: stopped at the first failing test."
            )
        index = event.get("index")
        if not isinstance(index, int) or not 0 <= index < len(tests):
            continue
        if kind == "start":
            started.add(index)
        elif kind == "result":
            results[index] = _from_event(tests[index], event)
    loaded = any(e.get("event") == "loading" for e in events)
    stop_reason = _stop_reason(returncode, timed_out, limits, loaded)
    report = TestReport()
    for index, test in enumerate(tests):
        if index in results:
            report.tests.append(results[index])
        elif stopped_early:
            report.tests.append(_not_run(test, stopped_early, "error"))
        elif index in started:
            status = "timeout" if timed_out else "error"
            report.tests.append(_not_run(test, stop_reason, status))
        else:
            report.tests.append(
                _not_run(test, f"Not run: {stop_reason[0].lower()}{stop_reason[1:]}", "error")
            )
    return report


def _stop_reason(returncode: int, timed_out: bool, limits: Limits, loaded: bool) -> str:
    if timed_out:
        return f"The program ran longer than the {limits.total_s:g} s allowed for all tests and was stopped."
    if not loaded:
        return "The test harness could not start."
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.Signals._value2member_map_ else "?"
        if name == "SIGXCPU":
            return "The program used more processor time than allowed and was stopped."
        if name == "SIGSEGV":
            return "The program crashed (segmentation fault), perhaps from recursion that goes too deep."
        return f"The program was stopped by signal {name}."
    return f"The program ended the process itself (exit code {returncode}), e.g. with os._exit()."


def _from_event(test: TestCase, event: dict[str, Any]) -> TestResult:
    return TestResult(
        call=test.label,
        status=event.get("status", "error"),
        expected=test.expected,
        got=event.get("got"),
        message=str(event.get("message", "")),
        exception=event.get("exception"),
        line=event.get("line"),
    )


def _from_module_error(test: TestCase, event: dict[str, Any]) -> TestResult:
    result = _from_event(test, event)
    result.got = None
    return result
