"""Reading a class's submissions: a folder (one ``.py`` per student, or one folder per student), a zip of either,
or JSON Lines (``{"student", "code"}``; the datasets' ``{"name", "code", "task"}`` also works).

Nothing here stops at a bad file: each submission gets a status. ``ok`` means the file is readable Python text;
``empty``, ``binary``, ``non-utf8``, ``too large``, ``unreadable``, ``syntax error`` and ``refused`` are kept as
rows with a one-line message, so the teacher sees every student.

The submissions are the students' and are read as hostile input:

- only regular files are read. A symbolic link, a device, a FIFO or a socket is ``refused`` with a row saying
  what it is; links are never followed (files are opened with ``O_NOFOLLOW`` relative to their folder's
  descriptor, and checked with ``fstat`` once open).
- a zip entry that climbs out (``../x.py``), has an absolute name (``/abs/evil.py``, ``C:\\x.py``), is a link
  or a device, or repeats an earlier entry's name gets a ``refused`` row under its own name.
- limits: ``MAX_BYTES`` a file, ``MAX_ENTRIES`` files, ``MAX_TOTAL_BYTES`` read in all, ``MAX_DEPTH`` folders
  deep, a compression ratio of ``MAX_RATIO`` for zip entries over ``RATIO_FLOOR`` bytes, and a zip's table of
  contents of ``MAX_DIRECTORY_BYTES``. A zip entry is read in chunks and stops at the cap: its declared size is
  never trusted. A limit that hits gives a ``refused`` row.
- student names are Unicode NFC with control characters replaced; two submissions that end up with the same
  name (``alice.py`` and ``alice/``, ``Zoë`` in NFC and NFD) are both kept, the second named ``Zoë (2)``.

Only files directly in the submissions folder and ``.py`` files in a student's folder are read; hidden files
and folders (``.git``, ``__MACOSX``, ``__pycache__``) are passed over without a row.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from tutor.grading.submission_entries import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_DIRECTORY_BYTES,
    MAX_ENTRIES,
    MAX_JSONL_BYTES,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    RATIO_FLOOR,
    READ_STATUSES,
    Budget,
    Entry,
    Problem,
    Submission,
    SubmissionsError,
    kind_of,
    size_text,
)
from tutor.grading.submission_folder import folder_entries, read_at, read_single
from tutor.grading.submission_zip import is_zip, zip_entries
from tutor.runner.sandbox import syntax_problem

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DIRECTORY_BYTES",
    "MAX_ENTRIES",
    "MAX_JSONL_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "RATIO_FLOOR",
    "READ_STATUSES",
    "Submission",
    "SubmissionsError",
    "display_name",
    "from_bytes",
    "from_text",
    "read_submissions",
]


def read_submissions(
    source: Path, exercise_id: str = "", entry: str = "", max_bytes: int = MAX_BYTES
) -> list[Submission]:
    """Every submission in ``source``, sorted by student name; raises ``SubmissionsError`` for a bad source."""
    try:
        mode = source.stat().st_mode
    except FileNotFoundError:
        raise SubmissionsError(f"{source} does not exist") from None
    except OSError as exc:
        raise SubmissionsError(f"cannot read {source}: {exc.strerror or exc}") from None
    budget = Budget(MAX_ENTRIES, MAX_TOTAL_BYTES)  # read here, when called: the tests lower them
    if stat.S_ISDIR(mode):
        entries, rows = folder_entries(source, max_bytes, budget)
    elif not stat.S_ISREG(mode):
        raise SubmissionsError(f"{source} is {kind_of(mode)}, not a folder, a zip or a JSONL file")
    elif source.suffix in (".jsonl", ".json", ".ndjson"):  # by name first: JSONL text may hold "PK\x05\x06"
        return _unique(_jsonl(source, exercise_id, max_bytes))
    elif is_zip(source):
        _check_directory(source)
        entries, rows = zip_entries(source, max_bytes, budget)
    elif source.suffix == ".py":
        entries, rows = [Entry((source.name,), read_single(source, max_bytes))], []
    else:
        raise SubmissionsError(f"{source} is not a folder, a zip or a JSONL file")
    return _unique(_from_entries(entries, entry, max_bytes) + rows)


def from_bytes(student: str, data: bytes | None, origin: str = "", max_bytes: int = MAX_BYTES) -> Submission:
    """Classify one file's bytes (``None``: larger than ``max_bytes``, not read)."""
    if data is None or len(data) > max_bytes:
        return Submission(
            student, "", "too large", f"The file is larger than {size_text(max_bytes)}.", origin=origin
        )
    digest = hashlib.sha256(data).hexdigest()
    if b"\x00" in data:
        return Submission(
            student, "", "binary", "The file is not text (it contains NUL bytes).", digest, origin
        )
    try:
        code = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Submission(
            student,
            "",
            "non-utf8",
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}).",
            digest,
            origin,
        )
    return from_text(student, code, origin, digest)


def from_text(student: str, code: str, origin: str = "", digest: str = "") -> Submission:
    digest = digest or hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
    if not code.strip():
        return Submission(student, "", "empty", "The file is empty.", digest, origin)
    problem = syntax_problem(code)
    if problem is not None:
        where = f" (line {problem.line})" if problem.line else ""
        return Submission(student, code, "syntax error", f"{problem.message}{where}", digest, origin)
    return Submission(student, code, "ok", "", digest, origin)


def _check_directory(source: Path) -> None:
    """Refuse a zip whose table of contents alone would cost too much memory to load (read from its end
    record, before ``zipfile`` parses anything)."""
    try:
        with source.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 22 - 65535))
            tail = handle.read()
    except OSError as exc:
        raise SubmissionsError(f"cannot read {source}: {exc.strerror or exc}") from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return  # zipfile says what is wrong
    (directory,) = struct.unpack("<12xL6x", tail[at : at + 22])
    if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # zip64: the record just before the locator
        record = tail[at - 76 : at - 20] if at >= 76 else b""
        directory = struct.unpack("<40xQ8x", record)[0] if record[:4] == b"PK\x06\x06" else 1 << 62
    if directory > MAX_DIRECTORY_BYTES:
        raise SubmissionsError(
            f"{source}: the zip's table of contents is {size_text(directory)} (more than "
            f"{size_text(MAX_DIRECTORY_BYTES)}); a class's submissions need far less, so it is not read"
        )


# -- from files to students ------------------------------------------------------------------------------------
def _from_entries(entries: list[Entry], entry: str, max_bytes: int) -> list[Submission]:
    """``alice.py`` -> student alice; ``bob/anything.py`` -> student bob (the file that defines the entry
    function when there are several); other files at the top level become rows, so nothing vanishes quietly.
    A file refused inside a student's folder gets its own row (``bob/link.py``) beside the student's."""
    result: list[Submission] = []
    folders: dict[str, list[Entry]] = {}
    for item in entries:
        if item.parts == ("",):
            continue  # the wrapping folder itself
        if len(item.parts) == 1:
            name = item.parts[0]
            result.append(
                _one(name[:-3] if name.endswith(".py") and len(name) > 3 else name, item, max_bytes)
            )
        else:
            folders.setdefault(item.parts[0], []).append(item)
    for student, inside in folders.items():
        python = [e for e in inside if e.parts[-1].endswith(".py") and e.read]
        main = _main_file(python, entry) or next(
            (e for e in inside if e.parts == (student, "") and isinstance(e.data, Problem)), None
        )
        if main is None:
            result.append(Submission(student, "", "empty", "The folder has no .py file.", origin=student))
        else:
            result.append(_one(student, main, max_bytes))
        result += [
            _one(item.name, item, max_bytes)
            for item in inside
            if item is not main and isinstance(item.data, Problem)
        ]
    return result


def _main_file(python: list[Entry], entry: str) -> Entry | None:
    readable = [e for e in python if isinstance(e.data, bytes)]
    marker = f"def {entry}(".encode() if entry else b""
    for item in readable:
        if marker and isinstance(item.data, bytes) and marker in item.data:
            return item
    choices = readable or python
    return choices[0] if choices else None


def _one(student: str, item: Entry, max_bytes: int) -> Submission:
    if isinstance(item.data, Problem):
        return Submission(student, "", item.data.status, item.data.message, origin=item.name)
    return from_bytes(student, item.data, item.name, max_bytes)


# -- JSON Lines -------------------------------------------------------------------------------------------------
def _jsonl(source: Path, exercise_id: str, max_bytes: int) -> list[Submission]:
    data = read_at(None, source, source.name, str(source), MAX_JSONL_BYTES)
    if data is None:
        raise SubmissionsError(f"{source} is larger than {size_text(MAX_JSONL_BYTES)}")
    if isinstance(data, Problem):
        raise SubmissionsError(f"cannot read {source}: {data.message}")
    try:
        lines = data.decode("utf-8-sig").split("\n")  # not splitlines: U+2028 may sit inside a JSON string
    except UnicodeDecodeError as exc:
        raise SubmissionsError(f"cannot read {source}: {exc}") from None
    result: list[Submission] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            row = _jsonl_row(line, f"{source.name}:{number}", number, exercise_id, max_bytes)
            if row is not None:
                result.append(row)
    return result


def _jsonl_row(line: str, origin: str, number: int, exercise_id: str, max_bytes: int) -> Submission | None:
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return Submission(f"line {number}", "", "unreadable", f"Not valid JSON ({why}).", origin=origin)
    if not isinstance(row, dict) or not isinstance(row.get("code"), str):
        return Submission(f"line {number}", "", "unreadable", 'No "code" text on this line.', origin=origin)
    if exercise_id and row.get("task") not in (None, exercise_id):
        return None  # a file with several tasks (the datasets): only this exercise's programs
    named = row.get("student") or row.get("name")
    student = str(named) if isinstance(named, str | int | float) and str(named).strip() else f"line {number}"
    code: str = row["code"]
    encoded = code.encode("utf-8", "surrogatepass")
    if len(encoded) > max_bytes or "\x00" in code or not _valid_text(code):
        return from_bytes(student, encoded, origin, max_bytes)
    return from_text(student, code, origin)


def _valid_text(code: str) -> bool:
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape
        return False
    return True


# -- names ------------------------------------------------------------------------------------------------------
def _unique(items: Iterable[Submission]) -> list[Submission]:
    """Sorted by student; names made NFC with control characters replaced, then unique: a second ``alice``
    (``alice.py`` and ``alice/``, or ``Zoë`` in NFC and in NFD) is kept as ``alice (2)`` and says why."""
    result = sorted(
        (
            replace(s, student=display_name(s.student), message=_clean(s.message), origin=_clean(s.origin))
            for s in items
        ),
        key=lambda s: s.student,
    )
    taken = {s.student for s in result}
    seen: set[str] = set()
    unique = []
    for item in result:
        if item.student in seen:
            count = 2
            while f"{item.student} ({count})" in taken:
                count += 1
            name = f"{item.student} ({count})"
            note = f"Another submission is also named {item.student!r}; this one ({item.origin}) is {name!r}."
            item = replace(item, student=name, message=f"{item.message} {note}".strip())
            taken.add(name)
        seen.add(item.student)
        unique.append(item)
    return sorted(unique, key=lambda s: s.student)


def display_name(name: str) -> str:
    """A student's name as shown: NFC, control characters and lone surrogates as U+FFFD, never empty."""
    text = unicodedata.normalize("NFC", _clean(name))
    text = "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in text).strip()
    return text or "(no name)"


def _clean(text: str) -> str:
    """Text that can be written as UTF-8: a file name's undecodable bytes (lone surrogates) become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")
