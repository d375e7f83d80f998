"""Reading a zip of submissions as hostile input: an entry that climbs out, has an absolute name, is a link or a
device, or repeats a name is refused; each entry is read in chunks up to the cap (its declared size is never
trusted) and within a compression ratio."""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

from tutor.grading.submission_entries import (
    MAX_RATIO,
    RATIO_FLOOR,
    Budget,
    Entry,
    Problem,
    Submission,
    SubmissionsError,
    hidden,
    not_regular,
    refused,
)
from tutor.grading.submission_folder import CHUNK


def is_zip(source: Path) -> bool:
    try:
        return zipfile.is_zipfile(source)
    except OSError:
        return False


def zip_entries(source: Path, max_bytes: int, budget: Budget) -> tuple[list[Entry], list[Submission]]:
    """The entries of the zip ``source`` and the rows of those refused; ``SubmissionsError`` for a bad zip."""
    entries: list[Entry] = []
    rows: list[Submission] = []
    seen: set[str] = set()
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if budget.entries <= 0:
                    rows.append(budget.limit_row(source.name))
                    break
                budget.entries -= 1
                _zip_entry(archive, info, max_bytes, budget, seen, entries, rows)
    except SubmissionsError:
        raise
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, NotImplementedError) as exc:
        raise SubmissionsError(f"{source} is not a readable zip ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - a damaged table of contents can raise almost anything
        raise SubmissionsError(f"{source} is not a readable zip ({type(exc).__name__}: {exc})") from None
    return unwrap(entries), rows


def _zip_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    max_bytes: int,
    budget: Budget,
    seen: set[str],
    entries: list[Entry],
    rows: list[Submission],
) -> None:
    name = info.filename.replace("\\", "/")
    problem = _climbs_out(name)
    if problem:
        rows.append(Submission(name, "", "refused", f"{name!r} {problem}; it is not read.", origin=name))
        return
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts or any(hidden(p) for p in parts):
        return
    if name.endswith("/"):
        entries.append(Entry((*parts, ""), read=False))  # a folder entry: an empty one still gets a row
        return
    shown = "/".join(parts)
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        entries.append(Entry(parts, not_regular(shown, mode)))
    elif shown in seen:
        entries.append(
            Entry(parts, refused(f"A second entry named {shown} in the zip; only the first is read."))
        )
    elif len(parts) == 1 or shown.endswith(".py"):
        entries.append(Entry(parts, budget.spend(_read_member(archive, info, shown, max_bytes))))
    else:
        entries.append(Entry(parts, read=False))
    seen.add(shown)


def _climbs_out(name: str) -> str:
    """Why an entry's name is refused ("" when it stays inside the archive)."""
    first = name.split("/")[0]
    if name.startswith("/") or re.match(r"[A-Za-z]:", first):
        return "has an absolute name"
    if ".." in name.split("/"):
        return "climbs out of the archive (..)"
    return ""


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, max_bytes: int
) -> bytes | None | Problem:
    """The entry's bytes, decompressed in chunks and never past ``max_bytes`` (None: too large)."""
    if info.file_size > max_bytes:
        return None
    allowed = MAX_RATIO * max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR and info.file_size > allowed:
        return _ratio_problem(shown, info)
    data = bytearray()
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    return None
                if len(data) > RATIO_FLOOR and len(data) > allowed:
                    return _ratio_problem(shown, info)
    except Exception as exc:  # noqa: BLE001 - encrypted, bad CRC, bad data, unknown compression: this entry's row
        return Problem("unreadable", f"{shown} cannot be read from the zip ({type(exc).__name__}: {exc}).")
    return bytes(data)


def _ratio_problem(shown: str, info: zipfile.ZipInfo) -> Problem:
    return refused(
        f"{shown} expands more than {MAX_RATIO} times ({info.compress_size} bytes compressed); "
        "it looks like a zip bomb and is not read."
    )


def unwrap(entries: list[Entry]) -> list[Entry]:
    """One folder wrapping everything (``lab3/ann.py``, ``lab3/ben/x.py``) is taken off."""
    files = [e for e in entries if e.parts[-1]]
    if len(files) > 1 and len({e.parts[0] for e in entries}) == 1 and all(len(e.parts) > 1 for e in entries):
        return [replace(e, parts=e.parts[1:]) for e in entries]
    return entries
