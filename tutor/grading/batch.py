"""Running a class's submissions: every one in the sandboxed runner (one child process per submission, all its
tests batched in it), several at once across the machine's cores, results stored as they arrive.

The resume cache is a SQLite file in the output folder, keyed by the submission's sha256, the exercise and the
settings that change a run (tests, limits, runner version): a killed batch started again skips what is done. A
hang is cut by the runner's time limits and a crash becomes that student's status; neither stops the batch.

The output folder is not trusted: each cached row carries an HMAC-SHA256 over its key and its data, made with a
secret kept outside the output folder (``grading.key`` in the user's data folder, mode 0600). A row that does not
verify (written by a submission, edited, or from before the HMAC), names another submission's sha256 or does not
have an outcome's shape is not used: that submission runs again and the run's warnings say how many rows were
refused. A cache file that SQLite cannot read is moved aside (``.grade-cache.sqlite.corrupt``) and a new one begun.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tutor.exercises import Exercise, TestCase
from tutor.grading.submissions import Submission
from tutor.paths import user_data_dir
from tutor.runner import Limits, TestReport, run_tests
from tutor.runner.report import SyntaxProblem, TestResult

CACHE_NAME = ".grade-cache.sqlite"
KEY_NAME = "grading.key"
RUNNER_VERSION = 2  # 2: the OS sandbox and verdicts judged outside the child
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
    """One more than the cores: each run waits on the sandbox's start and teardown (namespaces) without using a
    core, and one extra run fills that gap (all 2,926 Refactory submissions on 2 cores: 94.5 s with 2 workers,
    79.0 s with 3, 79.3 s with 4)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, count) + 1


def settings_key(exercise: Exercise, tests: Sequence[TestCase], limits: Limits) -> str:
    data = {
        "exercise": exercise.id,
        "entry": exercise.entry,
        "prelude": exercise.prelude,
        "tests": [t.to_json() for t in tests],
        "limits": asdict(limits),
        "runner": RUNNER_VERSION,
    }
    if exercise.forbid:  # only when set: the keys of exercises without it stay as they were
        data["forbid"] = list(exercise.forbid)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class Cache:
    """Outcomes by (submission sha256, settings key); each is committed as soon as it arrives, signed with
    ``key`` (default: ``cache_key()``), and trusted on reading only when the signature verifies."""

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.warnings: list[str] = []
        self.refused = 0
        self._key = key if key is not None else cache_key(self.warnings)
        try:
            self._db = _open_db(path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            self.warnings.append(f"the resume cache could not be read ({exc}); it was moved to {aside}")
            self._db = _open_db(path)
        self._lock = threading.Lock()

    def get(self, sha: str, settings: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data, mac FROM outcome WHERE sha=? AND settings=?", (sha, settings)
            ).fetchone()
        data = self._verified(row, "outcome", sha, settings)
        if data is not None and not _outcome_shaped(data, sha):
            self.refused += 1
            return None
        return data

    def put(self, sha: str, settings: str, data: dict[str, Any]) -> None:
        text = json.dumps(data)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO outcome (sha, settings, data, mac) VALUES (?, ?, ?, ?)",
                (sha, settings, text, self._mac("outcome", sha, settings, text)),
            )
            self._db.commit()

    def get_extra(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT data, mac FROM extra WHERE key=?", (key,)).fetchone()
        return self._verified(row, "extra", key)

    def put_extra(self, key: str, data: Any) -> None:
        text = json.dumps(data)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO extra (key, data, mac) VALUES (?, ?, ?)",
                (key, text, self._mac("extra", key, text)),
            )
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outcome").fetchone()[0])

    def close(self) -> None:
        if self.refused:
            many = self.refused != 1
            self.warnings.append(
                f"{self.refused} stored result{'s' if many else ''} in the resume cache did not verify (changed "
                f"outside this grader, or kept by an older version); {'they were' if many else 'it was'} not "
                "used, and what they stood for was worked out again"
            )
            self.refused = 0
        self._db.close()

    def _mac(self, *fields: str) -> str:
        return hmac.new(self._key, json.dumps(fields).encode("utf-8"), hashlib.sha256).hexdigest()

    def _verified(self, row: Any, table: str, *key: str) -> Any:
        if row is None:
            return None
        text, mac = row
        if not isinstance(text, str) or not isinstance(mac, str):
            self.refused += 1
            return None
        if not hmac.compare_digest(mac, self._mac(table, *key, text)):
            self.refused += 1
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.refused += 1
            return None


def cache_key(warnings: list[str] | None = None) -> bytes:
    """The secret that signs cache rows: ``grading.key`` in the user's data folder (created once, 0600), out of
    reach of anything that can only see the output folder. Where it cannot be kept, a key for this run only
    (the cache then saves nothing across runs, and a warning says so)."""
    path = user_data_dir() / KEY_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(32))
        key = _read_key(path)
        if len(key) >= 32:
            return key
        raise OSError(f"{path} holds {len(key)} bytes, not a key")
    except OSError as exc:
        if warnings is not None:
            warnings.append(f"no key for the resume cache ({exc}); results are not reused across runs")
        return secrets.token_bytes(32)


def _read_key(path: Path) -> bytes:
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(handle, "rb") as source:
        return source.read(4096)


def _open_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS outcome (sha TEXT, settings TEXT, data TEXT, mac TEXT, "
            "PRIMARY KEY (sha, settings))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS extra (key TEXT PRIMARY KEY, data TEXT, mac TEXT)")
        for table in ("outcome", "extra"):  # a cache from before the HMAC: its rows never verify
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if "mac" not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN mac TEXT")
        db.commit()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _outcome_shaped(data: Any, sha: str) -> bool:
    """A stored outcome for this very submission, with the fields and types ``Outcome`` needs."""
    if not isinstance(data, dict) or set(data) != set(Outcome.__dataclass_fields__) - {"cached"}:
        return False
    tests = data["tests"]
    return (
        data["sha256"] == sha
        and all(isinstance(data[k], str) for k in ("student", "status", "message"))
        and isinstance(data["duration_s"], int | float)
        and isinstance(tests, list)
        and all(isinstance(t, dict) and set(t) <= set(TestResult.__dataclass_fields__) for t in tests)
    )


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
            submission.code,
            tests,
            entry=exercise.entry,
            prelude=exercise.prelude,
            limits=limits,
            forbid=exercise.forbid,
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
