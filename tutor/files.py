"""Reading a file someone named (a learner's program, a task file, an exercise pack) without trusting it to be a
small regular file: a folder, a device (``/dev/zero``), a FIFO or a socket is refused before anything is read,
and a file larger than the caller's limit is refused without reading more than the limit.

The file is opened non-blocking, so opening a FIFO with no writer returns at once instead of hanging, and its
type is then checked on the open descriptor (``fstat``), so it cannot be swapped between the check and the read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(Exception):
    """The file was not read; the message says why in one sentence a learner understands."""


def size_text(count: int) -> str:
    """A byte count for people: ``1 MB``, ``300 KB``, ``12 bytes``."""
    if count >= 2**20:
        return f"{count / 2**20:.3g} MB"
    return f"{count / 2**10:.3g} KB" if count >= 2**10 else f"{count} bytes"


def read_bytes(path: Path | str, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; ``FileRefused`` for anything else.
    ``what`` names the file in messages ("program", "task file")."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "")
    too_big = f"{path} is larger than {size_text(limit)}, more than any {what} here needs; it was not read"
    if kind or info.st_size > limit:
        os.close(fd)
        raise FileRefused(f"{path} is {kind}, not a {what}; give the path of a {what}" if kind else too_big)
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)  # a file that grows after the check is still read only this far
        except OSError as exc:
            raise FileRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise FileRefused(too_big)
    return data
