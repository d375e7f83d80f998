"""Saving on a disk that may be full, read-only or in the way: one exception, ``NotSaved``, whose text is one
sentence a learner understands ("Your progress could not be saved: the disk is full."), for the progress store,
the workspace's autosave and the settings.

The front doors (the ``tutor`` commands, the app) catch it and still show what was made (a hint, a test report):
nothing computed is lost because it could not be written down.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

_ERRNO = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "the folder may not be written to (permission denied)",
    errno.EPERM: "the folder may not be written to (permission denied)",
    errno.ENOTDIR: "a file is where its folder should be",
    errno.EEXIST: "a file is where its folder should be",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EIO: "the disk reported an error",
}
_SQLITE = {13: "the disk is full", 8: "the file is read-only", 5: "another program is using the file"}
_SQLITE_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


class NotSaved(Exception):
    """Something was not saved; ``str()`` is one sentence for the learner."""


def reason(exc: BaseException, folder: Path | None = None) -> str:
    """Why a save failed, in a few words ("the disk is full"). SQLite says little about why it could not open
    or write a file, so the folder is asked: a read-only file system, or no free space on it."""
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in _SQLITE and code != 8:
            return _SQLITE[code]
        found = _folder_state(folder) if folder is not None else ""
        return found or _SQLITE.get(code, "") or str(exc)
    return str(getattr(exc, "strerror", None) or exc)


def _folder_state(folder: Path) -> str:
    """ "the disk is read-only" or "the disk is full" when the file system of ``folder`` says so, else ""."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        info = os.statvfs(probe)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return ""
    if info.f_flag & getattr(os, "ST_RDONLY", 1):
        return "the disk is read-only"
    return "the disk is full" if info.f_bavail == 0 else ""


def not_saved(what: str, exc: BaseException, folder: Path | None = None) -> NotSaved:
    """``NotSaved("<what> could not be saved: <reason>.")``."""
    return NotSaved(f"{what} could not be saved: {reason(exc, folder)}.")


def is_corrupt(exc: sqlite3.Error) -> bool:
    """A database file that is damaged or not a database (not one that is merely locked, read-only or on a full
    disk: those are kept where they are and tried again)."""
    return ((getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF) in _SQLITE_CORRUPT
