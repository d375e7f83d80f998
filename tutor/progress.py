"""The learner's progress in SQLite (user data dir): attempts, test runs, hints asked, solved exercises.

A database that cannot be read is moved aside (``progress.db.corrupt-<time>``) and a fresh one started; the
caller gets the message to show. Nothing here ever raises for a damaged file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.paths import user_data_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'hint', 'solved')),
    passed INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_exercise ON events (exercise);
"""


@dataclass(frozen=True)
class ExerciseProgress:
    runs: int = 0
    hints: int = 0
    solved: bool = False

    @property
    def state(self) -> str:
        """``solved``, ``attempted`` or ``new`` (the marks in the exercise list)."""
        return "solved" if self.solved else ("attempted" if self.runs or self.hints else "new")


class ProgressStore:
    """Thread-safe: the UI records from worker threads too."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_data_dir() / "progress.db"
        self.recovered_message = ""
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.replace(aside)
            self.recovered_message = (
                f"Your progress file could not be read ({exc}); it was moved to {aside.name} and a new one started."
            )
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            db.execute("PRAGMA integrity_check").fetchone()
            db.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def record_run(self, exercise: str, passed: int, total: int) -> None:
        self._add(exercise, "run", passed, total)
        if total and passed == total:
            self._add(exercise, "solved", passed, total)

    def record_hint(self, exercise: str) -> None:
        self._add(exercise, "hint")

    def _add(self, exercise: str, kind: str, passed: int = 0, total: int = 0) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT INTO events (exercise, kind, passed, total, at) VALUES (?, ?, ?, ?, ?)",
                             (exercise, kind, passed, total, time.time()))

    def of(self, exercise: str) -> ExerciseProgress:
        with self._lock:
            rows = dict(self._db.execute(
                "SELECT kind, COUNT(*) FROM events WHERE exercise = ? GROUP BY kind", (exercise,)).fetchall())
        return ExerciseProgress(runs=rows.get("run", 0), hints=rows.get("hint", 0), solved=rows.get("solved", 0) > 0)

    def all(self) -> dict[str, ExerciseProgress]:
        with self._lock:
            rows = self._db.execute("SELECT exercise, kind, COUNT(*) FROM events GROUP BY exercise, kind").fetchall()
        counts: dict[str, dict[str, int]] = {}
        for exercise, kind, count in rows:
            counts.setdefault(exercise, {})[kind] = count
        return {e: ExerciseProgress(c.get("run", 0), c.get("hint", 0), c.get("solved", 0) > 0) for e, c in counts.items()}

    def close(self) -> None:
        with self._lock:
            self._db.close()
