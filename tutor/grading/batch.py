"""Running a class's submissions: every one in the sandboxed runner (one child process per submission, all its
tests batched in it), several at once across the machine's cores, results stored as they arrive.

The resume cache is a SQLite file in the output folder, keyed by the submission's sha256, the exercise and the
settings that change a run (tests, limits, runner version): a killed batch started again skips what is done. A
hang is cut by the runner's time limits and a crash becomes that student's status; neither stops the batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tutor.exercises import Exercise, TestCase
from tutor.grading.submissions import Submission
from tutor.runner import Limits, TestReport, run_tests
from tutor.runner.report import SyntaxProblem, TestResult

CACHE_NAME = ".grade-cache.sqlite"
RUNNER_VERSION = 1
GRADING_LIMITS = Limits(per_test_s=1.0, total_s=6.0)  # a hang costs 2 tests x 1 s of a core, not 4 s
_CRASH_SIGNS = (
    "crashed",
    "stopped by signal",
    "ended the process itself",
    "could not start",
    "more processor time",
)


@dataclass
class Outcome:
    """One submission's run: ``status`` is ok, syntax error, timeout, crash, or the read status."""

    student: str
    status: str
    message: str
    sha256: str
    tests: list[dict[str, Any]]
    duration_s: float = 0.0
    cached: bool = False

    def results(self) -> list[TestResult]:
        return [TestResult(**t) for t in self.tests]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def default_workers() -> int:
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, count)


def settings_key(exercise: Exercise, tests: Sequence[TestCase], limits: Limits) -> str:
    data = {
        "exercise": exercise.id,
        "entry": exercise.entry,
        "prelude": exercise.prelude,
        "tests": [t.to_json() for t in tests],
        "limits": asdict(limits),
        "runner": RUNNER_VERSION,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class Cache:
    """Outcomes by (submission sha256, settings key); each is committed as soon as it arrives."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outcome (sha TEXT, settings TEXT, data TEXT, "
            "PRIMARY KEY (sha, settings))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS extra (key TEXT PRIMARY KEY, data TEXT)")
        self._db.commit()
        self._lock = threading.Lock()

    def get(self, sha: str, settings: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM outcome WHERE sha=? AND settings=?", (sha, settings)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, sha: str, settings: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO outcome VALUES (?, ?, ?)", (sha, settings, json.dumps(data))
            )
            self._db.commit()

    def get_extra(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT data FROM extra WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_extra(self, key: str, data: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO extra VALUES (?, ?)", (key, json.dumps(data)))
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outcome").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def grade_batch(
    submissions: Sequence[Submission],
    exercise: Exercise,
    tests: Sequence[TestCase],
    cache: Cache | None = None,
    limits: Limits = GRADING_LIMITS,
    workers: int | None = None,
    on_result: Callable[[Outcome], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[Outcome]:
    """Outcomes in the order of ``submissions``; ``on_result`` is called (in this thread) as each arrives."""
    key = settings_key(exercise, tests, limits)
    outcomes: dict[int, Outcome] = {}
    todo: list[int] = []
    for index, submission in enumerate(submissions):
        stored = (
            cache.get(submission.sha256, key) if cache and submission.sha256 and submission.runnable else None
        )
        if not submission.runnable:
            outcomes[index] = _not_runnable(submission, tests)
        elif stored is not None:
            outcomes[index] = Outcome(**dict(stored, student=submission.student, cached=True))
        else:
            todo.append(index)
            continue
        if on_result:
            on_result(outcomes[index])
    pool = ThreadPoolExecutor(max_workers=workers or default_workers())
    try:
        futures = {pool.submit(_run_one, submissions[i], exercise, tests, limits): i for i in todo}
        for future in as_completed(futures):
            index = futures[future]
            outcome = future.result()
            outcomes[index] = outcome
            if cache:
                cache.put(outcome.sha256, key, {k: v for k, v in outcome.to_json().items() if k != "cached"})
            if on_result:
                on_result(outcome)
            if cancelled():
                raise GradingCancelled(
                    f"stopped after {len(outcomes)} of {len(submissions)} submissions; grading "
                    "the same submissions again into the same folder resumes from there"
                )
    finally:  # Ctrl+C or cancel: what is queued never starts; the runs under way finish and are stored
        pool.shutdown(wait=True, cancel_futures=True)
    return [outcomes[i] for i in sorted(outcomes)]


class GradingCancelled(Exception):
    """The teacher stopped the batch; everything that finished is in the cache."""


def _run_one(
    submission: Submission, exercise: Exercise, tests: Sequence[TestCase], limits: Limits
) -> Outcome:
    try:
        report = run_tests(
            submission.code, tests, entry=exercise.entry, prelude=exercise.prelude, limits=limits
        )
    except Exception as exc:  # noqa: BLE001 - the batch goes on whatever one run does to the runner
        report = TestReport(
            tests=[TestResult(t.label, "error", t.expected, message=f"The run failed: {exc}") for t in tests]
        )
    status, message = classify(report)
    return Outcome(
        submission.student,
        status,
        message or submission.message,
        submission.sha256,
        [asdict(t) for t in report.tests],
        report.duration_s,
    )


def classify(report: TestReport) -> tuple[str, str]:
    """The run's status for the grade sheet, and the message that explains it."""
    if report.syntax_error is not None:
        return "syntax error", _syntax_text(report.syntax_error)
    if any(t.status == "timeout" for t in report.tests):
        first = next(t for t in report.tests if t.status == "timeout")
        return "timeout", first.message
    crash = next(
        (t for t in report.tests if t.status == "error" and any(s in t.message for s in _CRASH_SIGNS)), None
    )
    if crash is not None:
        return "crash", crash.message
    return "ok", ""


def _syntax_text(problem: SyntaxProblem) -> str:
    return problem.message + (f" (line {problem.line})" if problem.line else "")


def _not_runnable(submission: Submission, tests: Sequence[TestCase]) -> Outcome:
    results = [
        asdict(TestResult(t.label, "error", t.expected, message=f"Not run: {submission.message}"))
        for t in tests
    ]
    return Outcome(submission.student, submission.status, submission.message, submission.sha256, results)
