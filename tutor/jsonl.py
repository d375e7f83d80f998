"""JSON Lines files, read and written one way everywhere (benchmark sets, labels, caches, training data).

``read_jsonl`` returns the rows of a file (blank lines skipped); a line that is not a JSON object is a
``JsonlError`` naming the file and the line, never a traceback. ``iter_jsonl`` streams them. ``write_jsonl`` writes
all rows at once through a temporary file, so a full disk or a kill never leaves half a file in its place;
``append_jsonl`` adds rows to a log-like file (a cache, a label file) one line each. ``atomic_write_text`` is
``write_jsonl``'s way of replacing a file, for any text (a JSON record).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any


def _read_umask() -> int:
    """The process's umask (read once, at import: setting it to read it is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


class JsonlError(ValueError):
    """A line of a JSONL file is not a JSON object; the message names the file and the line."""


def iter_jsonl(path: Path | str, what: str = "row") -> Iterator[dict[str, Any]]:
    """The JSON objects of ``path``, one per non-blank line; ``what`` names a row in the error message."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise JsonlError(f"{path}:{number}: not a {what} ({exc.msg})") from None
            if not isinstance(row, dict):
                raise JsonlError(f"{path}:{number}: not a {what} (a JSON object was expected)")
            yield row


def read_jsonl(path: Path | str, what: str = "row") -> list[dict[str, Any]]:
    """All rows of ``path`` (see ``iter_jsonl``)."""
    return list(iter_jsonl(path, what))


def dumps_row(row: dict[str, Any]) -> str:
    """One row as one line (UTF-8 kept readable)."""
    return json.dumps(row, ensure_ascii=False)


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> int:
    """Replace ``path`` with these rows, atomically; returns how many were written."""
    count = 0

    def write(handle: IO[str]) -> None:
        nonlocal count
        for row in rows:
            handle.write(dumps_row(row) + "\n")
            count += 1

    _replace(Path(path), write)
    return count


def atomic_write_text(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (a reader sees the old file or the new one, never half)."""
    _replace(Path(path), lambda handle: handle.write(text))


def _replace(target: Path, write: Callable[[IO[str]], object]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed into place
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
    )
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, 0o666 & ~_UMASK)  # a temporary file is private; the file it replaces is not
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def append_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    """Add rows at the end of ``path`` (made if missing), each flushed as one whole line."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(dumps_row(row) + "\n")
            handle.flush()
