"""Reading a submissions folder as hostile input: only regular files, never through a link (opened with
``O_NOFOLLOW`` relative to their folder's descriptor and checked with ``fstat`` once open), within the limits."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from tutor.grading.submission_entries import (
    MAX_DEPTH,
    Budget,
    Entry,
    Problem,
    Submission,
    SubmissionsError,
    hidden,
    not_regular,
    refused,
    refused_link,
    unreadable,
)

CHUNK = 64 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_DIR_FLAGS = _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0)
_FD_WALK = os.scandir in os.supports_fd and os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


def folder_entries(folder: Path, max_bytes: int, budget: Budget) -> tuple[list[Entry], list[Submission]]:
    entries: list[Entry] = []
    rows: list[Submission] = []
    try:
        top = os.open(folder, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)) if _FD_WALK else None
    except OSError as exc:
        raise SubmissionsError(f"cannot read {folder}: {exc.strerror or exc}") from None
    try:
        _walk(top, folder, (), entries, rows, budget, max_bytes)
    finally:
        if top is not None:
            os.close(top)
    return entries, rows


def _walk(
    fd: int | None,
    path: Path,
    prefix: tuple[str, ...],
    entries: list[Entry],
    rows: list[Submission],
    budget: Budget,
    max_bytes: int,
) -> None:
    """Add what ``fd`` (or ``path`` where descriptors cannot be walked) holds; never follows a link."""
    try:
        found, more = _listing(fd, path, budget.most_entries)
    except OSError as exc:
        if not prefix:
            raise SubmissionsError(f"cannot read {path}: {exc.strerror or exc}") from None
        entries.append(Entry((*prefix, ""), unreadable(exc)))
        return
    if more:
        rows.append(budget.limit_row("/".join(prefix) or "the submissions folder"))
    for name, mode in found:
        parts = prefix + (name,)
        if hidden(name):
            continue
        if budget.entries <= 0:
            rows.append(budget.limit_row("/".join(prefix) or "the submissions folder"))
            return
        budget.entries -= 1
        if stat.S_ISDIR(mode):
            _subfolder(fd, path, parts, entries, rows, budget, max_bytes)
        elif not stat.S_ISREG(mode):
            entries.append(Entry(parts, not_regular("/".join(parts), mode)))
        elif len(parts) == 1 or name.endswith(".py"):
            data = read_at(fd, path / name, name, "/".join(parts), max_bytes)
            entries.append(Entry(parts, budget.spend(data)))
        else:
            entries.append(Entry(parts, read=False))  # a student's notes or images: not needed, not read


def _listing(fd: int | None, path: Path, most: int) -> tuple[list[tuple[str, int]], bool]:
    """A folder's names and modes (links not followed), sorted; at most ``most`` of them, and whether there were
    more."""
    found: list[tuple[str, int]] = []
    with os.scandir(fd if fd is not None else path) as listing:
        for item in listing:
            if len(found) >= most:
                return sorted(found), True
            found.append((item.name, item.stat(follow_symlinks=False).st_mode))
    return sorted(found), False


def _subfolder(
    fd: int | None,
    path: Path,
    parts: tuple[str, ...],
    entries: list[Entry],
    rows: list[Submission],
    budget: Budget,
    max_bytes: int,
) -> None:
    """A folder in the submissions: its marker entry (``(*parts, "")``: an empty folder still gets a row, and
    one that cannot be opened gets that row's status), then what it holds."""
    if len(parts) > MAX_DEPTH:
        entries.append(
            Entry((*parts, ""), refused(f"{'/'.join(parts)} is more than {MAX_DEPTH} folders deep."))
        )
        return
    try:
        child = os.open(parts[-1], _DIR_FLAGS, dir_fd=fd) if fd is not None else None
    except OSError as exc:
        problem = refused_link("/".join(parts)) if exc.errno == errno.ELOOP else unreadable(exc)
        entries.append(Entry((*parts, ""), problem))
        return
    entries.append(Entry((*parts, ""), read=False))
    try:
        _walk(child, path / parts[-1], parts, entries, rows, budget, max_bytes)
    finally:
        if child is not None:
            os.close(child)


def read_at(fd: int | None, path: Path, name: str, shown: str, max_bytes: int) -> bytes | None | Problem:
    """A regular file's bytes (None: larger than ``max_bytes``); a link, FIFO or device is never opened
    for reading: ``O_NOFOLLOW`` and ``O_NONBLOCK`` on open, then ``fstat`` must say regular."""
    try:
        handle = os.open(name if fd is not None else path, _OPEN_FLAGS, dir_fd=fd)
    except OSError as exc:
        return refused_link(shown) if exc.errno == errno.ELOOP else unreadable(exc)
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return not_regular(shown, mode)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(handle, CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                return None
        return b"".join(chunks)
    except OSError as exc:
        return unreadable(exc)
    finally:
        os.close(handle)


def read_single(source: Path, max_bytes: int) -> bytes | None | Problem:
    return read_at(None, source, source.name, source.name, max_bytes)
