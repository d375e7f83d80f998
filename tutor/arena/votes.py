"""Teachers' votes out of and into the progress database, as JSON or CSV, so a department can pool them.

JSON: ``{"votes": [{...}, ...]}``; CSV: one vote a row with a header. Both carry the same fields as
``progress.Vote`` (the learner's code only as a hash). Import checks every row first and stores nothing if one is
bad (the message names the row); rows already in the database (same id) are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from tutor.progress import VOTE_CHOICES, ProgressStore, Vote

FIELDS = list(Vote.__dataclass_fields__)


class VoteFileError(ValueError):
    """A votes file that cannot be read; the message names the file and the row."""


def code_sha(code: str) -> str:
    """The hash votes and judged battles use to recognise the same program (whitespace at the ends ignored)."""
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()[:16]


def export_votes(store: ProgressStore, path: Path) -> int:
    votes = store.votes()
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(v.to_json() for v in votes)
        path.write_text(buffer.getvalue(), encoding="utf-8")
    else:
        path.write_text(
            json.dumps({"votes": [v.to_json() for v in votes]}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
    return len(votes)


def read_votes(path: Path) -> list[Vote]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VoteFileError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        rows: list[Any] = list(csv.DictReader(io.StringIO(text)))
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise VoteFileError(f"{path} is not valid JSON ({exc})") from None
        found = data.get("votes") if isinstance(data, dict) else None
        if not isinstance(found, list):
            raise VoteFileError(f'{path}: expected an object with a "votes" list')
        rows = found
    return [_vote(row, path, number) for number, row in enumerate(rows, start=1)]


def import_votes(store: ProgressStore, path: Path) -> tuple[int, int]:
    """(new, already there)."""
    votes = read_votes(path)
    added = store.add_votes(votes)
    return added, len(votes) - added


def _vote(row: Any, path: Path, number: int) -> Vote:
    where = f"{path}, vote {number}"
    if not isinstance(row, dict):
        raise VoteFileError(f"{where}: not an object")
    missing = [f for f in ("exercise", "code_sha", "system_a", "system_b", "vote", "id") if not row.get(f)]
    if missing:
        raise VoteFileError(f"{where}: missing {', '.join(missing)}")
    if row["vote"] not in VOTE_CHOICES:
        raise VoteFileError(f"{where}: vote must be one of {', '.join(VOTE_CHOICES)}, not {row['vote']!r}")
    try:
        at = float(row.get("at") or 0.0)
    except ValueError:
        raise VoteFileError(f"{where}: 'at' must be a time in seconds, not {row.get('at')!r}") from None
    text = {f: str(row.get(f) or "") for f in FIELDS if f != "at"}
    return Vote(**text, at=at)
