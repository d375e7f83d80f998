"""The learner's progress in SQLite (user data dir): attempts, test runs, hints asked, solved exercises, and the
teachers' votes of the hint arena ("Compare hints": which of two anonymised hints is better).

Schema changes are additive and numbered by ``PRAGMA user_version``: version 1 adds the ``votes`` table to a
database of any earlier version, and keeps everything in it.

A damaged database (SQLite says "malformed" or "not a database") is kept aside as ``progress.db.corrupt-<time>``
beside it and a fresh one started; ``recovered_message`` then says where the old one is, for the front door to
show. A database that is only locked, read-only or on a full disk is never moved: it is used as far as it can be.

Saving never loses an event: one that cannot be written (a full or read-only disk, a folder that cannot be made)
is kept in memory, counted in ``of``/``all`` (so the hint quota still holds), and written with the next event
that can be; the write that failed raises ``NotSaved`` with one sentence for the learner. Nothing here raises
for a damaged file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor.paths import user_data_dir
from tutor.saving import NotSaved, is_corrupt, not_saved

_INSERT = "INSERT INTO events (exercise, kind, passed, total, at) VALUES (?, ?, ?, ?, ?)"
_WHAT = "Your progress"

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
        """``passed`` (every test passed once), ``attempted`` (run or hinted) or ``not started``."""
        return "passed" if self.solved else ("attempted" if self.runs or self.hints else "not started")


class ProgressStore:
    """Thread-safe: the UI records from worker threads too."""

    def __init__(self, path: Path | None = None, timeout: float = 5.0) -> None:
        self.path = path or user_data_dir() / "progress.db"
        self.timeout = timeout  # seconds to wait for another program that holds the file
        self.recovered_message = ""  # set when a damaged file was kept aside: where it is now
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str, int, int, float]] = []  # events not written yet
        self._error: BaseException | None = (
            None  # why the database could not be opened (then ``_db`` is None)
        )
        self._db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        """The database, or None when it cannot be opened now (``_error`` says why; the next save tries again)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except OSError as exc:
            self._error = exc
            return None
        except sqlite3.Error as exc:
            if not is_corrupt(exc):
                self._error = exc
                return self._read_only()
            return self._set_aside(exc)

    def _set_aside(self, exc: sqlite3.Error) -> sqlite3.Connection | None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            self.path.replace(aside)
            db = self._connect()
        except (OSError, sqlite3.Error) as error:
            self._error = error
            self.recovered_message = (
                f"Your progress file {self.path} is damaged ({exc}) and could not be set aside "
                f"({error}); progress is not saved until it is moved or deleted."
            )
            return None
        self.recovered_message = (
            f"Your progress file could not be read ({exc}); it was kept as {aside} and a new one started."
        )
        return db

    def _read_only(self) -> sqlite3.Connection | None:
        """The existing database opened read-only (its counts still hold on a read-only disk), or None."""
        if not self.path.is_file():
            return None
        try:
            db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=self.timeout,
                check_same_thread=False,
            )
            db.execute("SELECT COUNT(*) FROM events").fetchone()
            return db
        except sqlite3.Error:
            return None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
        try:
            db.execute("PRAGMA integrity_check").fetchone()
            db.executescript(SCHEMA)
            _migrate(db)
        except sqlite3.Error:
            db.close()
            raise
        return db

    def record_run(self, exercise: str, passed: int, total: int) -> None:
        """Raises ``NotSaved`` when the run could not be written (it is kept and counted, and written later)."""
        events = [(exercise, "run", passed, total)]
        if total and passed == total:
            events.append((exercise, "solved", passed, total))
        self._add(*events)

    def record_hint(self, exercise: str) -> None:
        """Raises ``NotSaved`` when the hint could not be written (it is kept and counted, and written later)."""
        self._add((exercise, "hint", 0, 0))

    def _add(self, *events: tuple[str, str, int, int]) -> None:
        with self._lock:
            self._pending += [(*event, time.time()) for event in events]
            self._flush()

    def _flush(self) -> None:
        """Write every pending event in one transaction; ``NotSaved`` (they stay pending) when that fails."""
        if not self._pending:
            return
        if self._db is None or self._error is not None:
            self._reopen()
        if self._db is None:
            raise not_saved(_WHAT, self._error or OSError("no database"), self.path.parent)
        try:
            with self._db:
                self._db.executemany(_INSERT, self._pending)
        except sqlite3.Error as exc:
            self._error = exc  # the next save opens the file afresh (one opened on a read-only disk stays so)
            raise not_saved(_WHAT, exc, self.path.parent) from None
        self._pending.clear()

    def _reopen(self) -> None:
        """After a failed open: try the real database again (the disk may have room, or be writable, now)."""
        if self._db is not None:
            self._db.close()
        self._error = None
        self._db = self._open()

    @property
    def unsaved(self) -> int:
        """How many events are kept in memory only, waiting for the disk."""
        return len(self._pending)

    def of(self, exercise: str) -> ExerciseProgress:
        counts = self._counts(exercise).get(exercise, {})
        return ExerciseProgress(
            runs=counts.get("run", 0), hints=counts.get("hint", 0), solved=counts.get("solved", 0) > 0
        )

    def all(self) -> dict[str, ExerciseProgress]:
        return {
            e: ExerciseProgress(c.get("run", 0), c.get("hint", 0), c.get("solved", 0) > 0)
            for e, c in self._counts().items()
        }

    def _counts(self, exercise: str | None = None) -> dict[str, dict[str, int]]:
        """exercise -> kind -> how many, from the database and the events not written yet."""
        where, params = ("WHERE exercise = ?", (exercise,)) if exercise is not None else ("", ())
        counts: dict[str, dict[str, int]] = {}
        with self._lock:
            rows: list[tuple[str, str, int]] = []
            if self._db is not None:
                rows = self._db.execute(
                    f"SELECT exercise, kind, COUNT(*) FROM events {where} GROUP BY exercise, kind", params
                ).fetchall()
            rows += [(e, kind, 1) for e, kind, *_ in self._pending if exercise in (None, e)]
        for name, kind, count in rows:
            kinds = counts.setdefault(name, {})
            kinds[kind] = kinds.get(kind, 0) + count
        return counts

    def reset_all(self) -> Path | None:
        """Forget every run, hint and pass (the teachers' votes stay). The database is first copied beside
        itself as ``progress.db.backup-<time>`` (returned; None when there was nothing on disk to copy);
        ``NotSaved`` when the copy or the reset cannot be written, and then nothing is forgotten."""
        with self._lock:
            if self._db is None or self._error is not None:
                self._reopen()
            if self._db is None:
                raise not_saved(_WHAT, self._error or OSError("no database"), self.path.parent)
            backup = self.path.with_name(f"{self.path.name}.backup-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                target = sqlite3.connect(backup)
                try:
                    self._db.backup(target)
                finally:
                    target.close()
                with self._db:
                    self._db.execute("DELETE FROM events")
            except (sqlite3.Error, OSError) as exc:
                raise not_saved(_WHAT, exc, self.path.parent) from None
            self._pending.clear()
            return backup

    def record_vote(self, vote: Vote) -> None:
        if vote.vote not in VOTE_CHOICES:
            raise ValueError(f"a vote is one of {', '.join(VOTE_CHOICES)}, not {vote.vote!r}")
        self.add_votes([vote])

    def add_votes(self, votes: list[Vote]) -> int:
        """Store votes; one whose id is already here is skipped (so pooling the same file twice is harmless).
        Returns how many were new."""
        fields = list(Vote.__dataclass_fields__)
        with self._lock:
            if self._db is None or self._error is not None:
                self._reopen()
            if self._db is None:
                raise not_saved("The votes", self._error or OSError("no database"), self.path.parent)
            try:
                with self._db:
                    before = self._db.total_changes
                    self._db.executemany(
                        f"INSERT OR IGNORE INTO votes ({', '.join(fields)}) "
                        f"VALUES ({', '.join('?' * len(fields))})",
                        [tuple(getattr(v, f) for f in fields) for v in votes],
                    )
                    return self._db.total_changes - before
            except sqlite3.Error as exc:
                self._error = exc
                raise not_saved("The votes", exc, self.path.parent) from None

    def votes(self) -> list[Vote]:
        fields = list(Vote.__dataclass_fields__)
        with self._lock:
            if self._db is None:
                return []
            rows = self._db.execute(f"SELECT {', '.join(fields)} FROM votes ORDER BY at, id").fetchall()
        return [Vote(**dict(zip(fields, row, strict=True))) for row in rows]

    def close(self) -> None:
        """Close, after a last try at writing what is pending (what still cannot be written is dropped: the
        front door said so when it was recorded)."""
        with self._lock:
            try:
                self._flush()
            except NotSaved:
                pass
            finally:
                if self._db is not None:
                    self._db.close()
                    self._db = None


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to the newest version, one numbered step at a time."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number in sorted(n for n in MIGRATIONS if n > version):
        with db:
            db.executescript(MIGRATIONS[number])
            db.execute(f"PRAGMA user_version = {number}")
