"""The learner's progress in SQLite (user data dir): attempts, test runs, hints asked, solved exercises, and the
teachers' votes of the hint arena ("Compare hints": which of two anonymised hints is better).

Schema changes are additive and numbered by ``PRAGMA user_version``: version 1 adds the ``votes`` table to a
database of any earlier version, and keeps everything in it.

A database that cannot be read is moved aside (``progress.db.corrupt-<time>``) and a fresh one started; the
caller gets the message to show. Nothing here ever raises for a damaged file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
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

# version -> the statements that bring a database from the version before up to it
MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS votes (
    id TEXT PRIMARY KEY,
    exercise TEXT NOT NULL,
    code_sha TEXT NOT NULL,
    system_a TEXT NOT NULL,
    system_b TEXT NOT NULL,
    hint_a TEXT NOT NULL DEFAULT '',
    hint_b TEXT NOT NULL DEFAULT '',
    vote TEXT NOT NULL CHECK (vote IN ('A', 'B', 'tie', 'both bad')),
    voter TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
""",
}
VOTE_CHOICES = ("A", "B", "tie", "both bad")


@dataclass(frozen=True)
class Vote:
    """A teacher's vote on two hints shown side by side: ``system_a`` was shown on the left as "Hint A".
    The learner's code is kept only as a hash (``code_sha``), so pooled votes carry no student code."""

    exercise: str
    code_sha: str
    system_a: str
    system_b: str
    vote: str  # "A" | "B" | "tie" | "both bad"
    hint_a: str = ""
    hint_b: str = ""
    voter: str = ""
    at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


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
            self.recovered_message = f"Your progress file could not be read ({exc}); it was moved to {aside.name} and a new one started."
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            db.execute("PRAGMA integrity_check").fetchone()
            db.executescript(SCHEMA)
            _migrate(db)
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
            self._db.execute(
                "INSERT INTO events (exercise, kind, passed, total, at) VALUES (?, ?, ?, ?, ?)",
                (exercise, kind, passed, total, time.time()),
            )

    def of(self, exercise: str) -> ExerciseProgress:
        with self._lock:
            rows = dict(
                self._db.execute(
                    "SELECT kind, COUNT(*) FROM events WHERE exercise = ? GROUP BY kind", (exercise,)
                ).fetchall()
            )
        return ExerciseProgress(
            runs=rows.get("run", 0), hints=rows.get("hint", 0), solved=rows.get("solved", 0) > 0
        )

    def all(self) -> dict[str, ExerciseProgress]:
        with self._lock:
            rows = self._db.execute(
                "SELECT exercise, kind, COUNT(*) FROM events GROUP BY exercise, kind"
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for exercise, kind, count in rows:
            counts.setdefault(exercise, {})[kind] = count
        return {
            e: ExerciseProgress(c.get("run", 0), c.get("hint", 0), c.get("solved", 0) > 0)
            for e, c in counts.items()
        }

    def record_vote(self, vote: Vote) -> None:
        if vote.vote not in VOTE_CHOICES:
            raise ValueError(f"a vote is one of {', '.join(VOTE_CHOICES)}, not {vote.vote!r}")
        self.add_votes([vote])

    def add_votes(self, votes: list[Vote]) -> int:
        """Store votes; one whose id is already here is skipped (so pooling the same file twice is harmless).
        Returns how many were new."""
        fields = list(Vote.__dataclass_fields__)
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany(
                f"INSERT OR IGNORE INTO votes ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                [tuple(getattr(v, f) for f in fields) for v in votes],
            )
            return self._db.total_changes - before

    def votes(self) -> list[Vote]:
        fields = list(Vote.__dataclass_fields__)
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(fields)} FROM votes ORDER BY at, id").fetchall()
        return [Vote(**dict(zip(fields, row, strict=True))) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to the newest version, one numbered step at a time."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number in sorted(n for n in MIGRATIONS if n > version):
        with db:
            db.executescript(MIGRATIONS[number])
            db.execute(f"PRAGMA user_version = {number}")
