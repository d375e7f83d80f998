"""What reading a class's submissions is made of (``submissions.py`` reads them): the limits, a ``Submission``
row, a file found (``Entry``) or why it was not read (``Problem``), and the budget of entries and bytes one
source may cost."""

from __future__ import annotations

import stat
from dataclasses import dataclass

MAX_BYTES = 256 * 1024
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 16
MAX_RATIO = 100
RATIO_FLOOR = 64 * 1024
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
MAX_JSONL_BYTES = 256 * 1024 * 1024
READ_STATUSES = ("ok", "empty", "binary", "non-utf8", "too large", "unreadable", "syntax error", "refused")


class SubmissionsError(ValueError):
    """The submissions argument itself cannot be read (not a single student's file)."""


@dataclass(frozen=True)
class Submission:
    """One student's program. ``code`` is empty unless the file could be read as text."""

    student: str
    code: str
    status: str
    message: str = ""
    sha256: str = ""
    origin: str = ""

    @property
    def runnable(self) -> bool:
        return self.status in ("ok", "syntax error")


@dataclass(frozen=True)
class Problem:
    """Why a file was not read (``status`` is one of ``READ_STATUSES``)."""

    status: str
    message: str


@dataclass(frozen=True)
class Entry:
    """One file found in a folder or a zip; ``data`` is None when it was too large (or not needed)."""

    parts: tuple[str, ...]
    data: bytes | None | Problem = None
    read: bool = True

    @property
    def name(self) -> str:
        return "/".join(p for p in self.parts if p)


class Budget:
    """How many more entries and bytes this source may cost (``most_entries`` and ``most_bytes`` in all)."""

    def __init__(self, most_entries: int, most_bytes: int) -> None:
        self.most_entries, self.most_bytes = most_entries, most_bytes
        self.entries = most_entries
        self.bytes = most_bytes

    def spend(self, data: bytes | None | Problem) -> bytes | None | Problem:
        if isinstance(data, bytes):
            if len(data) > self.bytes:
                self.bytes = 0
                return refused(
                    f"Not read: the submissions passed the {size_text(self.most_bytes)} total limit."
                )
            self.bytes -= len(data)
        return data

    def limit_row(self, where: str) -> Submission:
        """The row that says ``where`` held more entries than were read."""
        return Submission(
            f"(more files in {where})",
            "",
            "refused",
            f"{where} has more than {self.most_entries} entries; the rest were not read.",
            origin=where,
        )


def hidden(name: str) -> bool:
    return name.startswith((".", "__"))


def kind_of(mode: int) -> str:
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((what for test, what in kinds if test(mode)), "not a regular file")


def not_regular(shown: str, mode: int) -> Problem:
    links = ", and links are never followed" if stat.S_ISLNK(mode) else ""
    return refused(f"{shown} is {kind_of(mode)}; only regular files are read{links}.")


def refused_link(shown: str) -> Problem:
    return not_regular(shown, stat.S_IFLNK)


def refused(message: str) -> Problem:
    return Problem("refused", message)


def unreadable(exc: OSError) -> Problem:
    return Problem("unreadable", f"The file cannot be read ({exc.strerror or exc}).")


def size_text(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count // 1024} KiB"
