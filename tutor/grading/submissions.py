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

import errno
import hashlib
import json
import os
import re
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from tutor.runner.sandbox import syntax_problem

MAX_BYTES = 256 * 1024
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 16
MAX_RATIO = 100
RATIO_FLOOR = 64 * 1024
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
MAX_JSONL_BYTES = 256 * 1024 * 1024
READ_STATUSES = ("ok", "empty", "binary", "non-utf8", "too large", "unreadable", "syntax error", "refused")

_CHUNK = 64 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_DIR_FLAGS = _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0)
_FD_WALK = os.scandir in os.supports_fd and os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


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
class _Problem:
    """Why a file was not read (``status`` is one of ``READ_STATUSES``)."""

    status: str
    message: str


@dataclass(frozen=True)
class _Entry:
    """One file found in a folder or a zip; ``data`` is None when it was too large (or not needed)."""

    parts: tuple[str, ...]
    data: bytes | None | _Problem = None
    read: bool = True

    @property
    def name(self) -> str:
        return "/".join(p for p in self.parts if p)


class _Budget:
    """How many more entries and bytes this source may cost."""

    def __init__(self) -> None:
        self.entries = MAX_ENTRIES
        self.bytes = MAX_TOTAL_BYTES

    def spend(self, data: bytes | None | _Problem) -> bytes | None | _Problem:
        if isinstance(data, bytes):
            if len(data) > self.bytes:
                self.bytes = 0
                return _refused(f"Not read: the submissions passed the {_size(MAX_TOTAL_BYTES)} total limit.")
            self.bytes -= len(data)
        return data


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
    if stat.S_ISDIR(mode):
        entries, rows = _folder_entries(source, max_bytes)
    elif not stat.S_ISREG(mode):
        raise SubmissionsError(f"{source} is {_kind(mode)}, not a folder, a zip or a JSONL file")
    elif source.suffix in (".jsonl", ".json", ".ndjson"):  # by name first: JSONL text may hold "PK\x05\x06"
        return _unique(_jsonl(source, exercise_id, max_bytes))
    elif _is_zip(source):
        entries, rows = _zip_entries(source, max_bytes)
    elif source.suffix == ".py":
        entries, rows = [_Entry((source.name,), _read_single(source, max_bytes))], []
    else:
        raise SubmissionsError(f"{source} is not a folder, a zip or a JSONL file")
    return _unique(_from_entries(entries, entry, max_bytes) + rows)


def from_bytes(student: str, data: bytes | None, origin: str = "", max_bytes: int = MAX_BYTES) -> Submission:
    """Classify one file's bytes (``None``: larger than ``max_bytes``, not read)."""
    if data is None or len(data) > max_bytes:
        return Submission(
            student, "", "too large", f"The file is larger than {_size(max_bytes)}.", origin=origin
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


# -- folders ----------------------------------------------------------------------------------------------------
def _folder_entries(folder: Path, max_bytes: int) -> tuple[list[_Entry], list[Submission]]:
    entries: list[_Entry] = []
    rows: list[Submission] = []
    budget = _Budget()
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
    entries: list[_Entry],
    rows: list[Submission],
    budget: _Budget,
    max_bytes: int,
) -> None:
    """Add what ``fd`` (or ``path`` where descriptors cannot be walked) holds; never follows a link."""
    try:
        found, more = _listing(fd, path)
    except OSError as exc:
        if not prefix:
            raise SubmissionsError(f"cannot read {path}: {exc.strerror or exc}") from None
        entries.append(_Entry((*prefix, ""), _unreadable(exc)))
        return
    if more:
        rows.append(_limit_row("/".join(prefix) or "the submissions folder"))
    for name, mode in found:
        parts = prefix + (name,)
        if _hidden(name):
            continue
        if budget.entries <= 0:
            rows.append(_limit_row("/".join(prefix) or "the submissions folder"))
            return
        budget.entries -= 1
        if stat.S_ISDIR(mode):
            _subfolder(fd, path, parts, entries, rows, budget, max_bytes)
        elif not stat.S_ISREG(mode):
            entries.append(_Entry(parts, _not_regular("/".join(parts), mode)))
        elif len(parts) == 1 or name.endswith(".py"):
            data = _read_at(fd, path / name, name, "/".join(parts), max_bytes)
            entries.append(_Entry(parts, budget.spend(data)))
        else:
            entries.append(_Entry(parts, read=False))  # a student's notes or images: not needed, not read


def _listing(fd: int | None, path: Path) -> tuple[list[tuple[str, int]], bool]:
    """A folder's names and modes (links not followed), sorted; at most ``MAX_ENTRIES`` of them, and whether
    there were more."""
    found: list[tuple[str, int]] = []
    with os.scandir(fd if fd is not None else path) as listing:
        for item in listing:
            if len(found) >= MAX_ENTRIES:
                return sorted(found), True
            found.append((item.name, item.stat(follow_symlinks=False).st_mode))
    return sorted(found), False


def _subfolder(
    fd: int | None,
    path: Path,
    parts: tuple[str, ...],
    entries: list[_Entry],
    rows: list[Submission],
    budget: _Budget,
    max_bytes: int,
) -> None:
    """A folder in the submissions: its marker entry (``(*parts, "")``: an empty folder still gets a row, and
    one that cannot be opened gets that row's status), then what it holds."""
    if len(parts) > MAX_DEPTH:
        entries.append(
            _Entry((*parts, ""), _refused(f"{'/'.join(parts)} is more than {MAX_DEPTH} folders deep."))
        )
        return
    try:
        child = os.open(parts[-1], _DIR_FLAGS, dir_fd=fd) if fd is not None else None
    except OSError as exc:
        problem = _refused_link("/".join(parts)) if exc.errno == errno.ELOOP else _unreadable(exc)
        entries.append(_Entry((*parts, ""), problem))
        return
    entries.append(_Entry((*parts, ""), read=False))
    try:
        _walk(child, path / parts[-1], parts, entries, rows, budget, max_bytes)
    finally:
        if child is not None:
            os.close(child)


def _read_at(fd: int | None, path: Path, name: str, shown: str, max_bytes: int) -> bytes | None | _Problem:
    """A regular file's bytes (None: larger than ``max_bytes``); a link, FIFO or device is never opened
    for reading: ``O_NOFOLLOW`` and ``O_NONBLOCK`` on open, then ``fstat`` must say regular."""
    try:
        handle = os.open(name if fd is not None else path, _OPEN_FLAGS, dir_fd=fd)
    except OSError as exc:
        return _refused_link(shown) if exc.errno == errno.ELOOP else _unreadable(exc)
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return _not_regular(shown, mode)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(handle, _CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                return None
        return b"".join(chunks)
    except OSError as exc:
        return _unreadable(exc)
    finally:
        os.close(handle)


def _read_single(source: Path, max_bytes: int) -> bytes | None | _Problem:
    return _read_at(None, source, source.name, source.name, max_bytes)


# -- zips -------------------------------------------------------------------------------------------------------
def _is_zip(source: Path) -> bool:
    try:
        return zipfile.is_zipfile(source)
    except OSError:
        return False


def _zip_entries(source: Path, max_bytes: int) -> tuple[list[_Entry], list[Submission]]:
    _check_directory(source)
    entries: list[_Entry] = []
    rows: list[Submission] = []
    seen: set[str] = set()
    budget = _Budget()
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if budget.entries <= 0:
                    rows.append(_limit_row(source.name))
                    break
                budget.entries -= 1
                _zip_entry(archive, info, max_bytes, budget, seen, entries, rows)
    except SubmissionsError:
        raise
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, NotImplementedError) as exc:
        raise SubmissionsError(f"{source} is not a readable zip ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - a damaged table of contents can raise almost anything
        raise SubmissionsError(f"{source} is not a readable zip ({type(exc).__name__}: {exc})") from None
    return _unwrap(entries), rows


def _zip_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    max_bytes: int,
    budget: _Budget,
    seen: set[str],
    entries: list[_Entry],
    rows: list[Submission],
) -> None:
    name = info.filename.replace("\\", "/")
    problem = _climbs_out(name)
    if problem:
        rows.append(Submission(name, "", "refused", f"{name!r} {problem}; it is not read.", origin=name))
        return
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts or any(_hidden(p) for p in parts):
        return
    if name.endswith("/"):
        entries.append(_Entry((*parts, ""), read=False))  # a folder entry: an empty one still gets a row
        return
    shown = "/".join(parts)
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        entries.append(_Entry(parts, _not_regular(shown, mode)))
    elif shown in seen:
        entries.append(
            _Entry(parts, _refused(f"A second entry named {shown} in the zip; only the first is read."))
        )
    elif len(parts) == 1 or shown.endswith(".py"):
        entries.append(_Entry(parts, budget.spend(_read_member(archive, info, shown, max_bytes))))
    else:
        entries.append(_Entry(parts, read=False))
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
) -> bytes | None | _Problem:
    """The entry's bytes, decompressed in chunks and never past ``max_bytes`` (None: too large)."""
    if info.file_size > max_bytes:
        return None
    allowed = MAX_RATIO * max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR and info.file_size > allowed:
        return _ratio_problem(shown, info)
    data = bytearray()
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    return None
                if len(data) > RATIO_FLOOR and len(data) > allowed:
                    return _ratio_problem(shown, info)
    except Exception as exc:  # noqa: BLE001 - encrypted, bad CRC, bad data, unknown compression: this entry's row
        return _Problem("unreadable", f"{shown} cannot be read from the zip ({type(exc).__name__}: {exc}).")
    return bytes(data)


def _ratio_problem(shown: str, info: zipfile.ZipInfo) -> _Problem:
    return _refused(
        f"{shown} expands more than {MAX_RATIO} times ({info.compress_size} bytes compressed); "
        "it looks like a zip bomb and is not read."
    )


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
            f"{source}: the zip's table of contents is {_size(directory)} (more than "
            f"{_size(MAX_DIRECTORY_BYTES)}); a class's submissions need far less, so it is not read"
        )


# -- from files to students ------------------------------------------------------------------------------------
def _from_entries(entries: list[_Entry], entry: str, max_bytes: int) -> list[Submission]:
    """``alice.py`` -> student alice; ``bob/anything.py`` -> student bob (the file that defines the entry
    function when there are several); other files at the top level become rows, so nothing vanishes quietly.
    A file refused inside a student's folder gets its own row (``bob/link.py``) beside the student's."""
    result: list[Submission] = []
    folders: dict[str, list[_Entry]] = {}
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
            (e for e in inside if e.parts == (student, "") and isinstance(e.data, _Problem)), None
        )
        if main is None:
            result.append(Submission(student, "", "empty", "The folder has no .py file.", origin=student))
        else:
            result.append(_one(student, main, max_bytes))
        result += [
            _one(item.name, item, max_bytes)
            for item in inside
            if item is not main and isinstance(item.data, _Problem)
        ]
    return result


def _unwrap(entries: list[_Entry]) -> list[_Entry]:
    """One folder wrapping everything (``lab3/ann.py``, ``lab3/ben/x.py``) is taken off."""
    files = [e for e in entries if e.parts[-1]]
    if len(files) > 1 and len({e.parts[0] for e in entries}) == 1 and all(len(e.parts) > 1 for e in entries):
        return [replace(e, parts=e.parts[1:]) for e in entries]
    return entries


def _main_file(python: list[_Entry], entry: str) -> _Entry | None:
    readable = [e for e in python if isinstance(e.data, bytes)]
    marker = f"def {entry}(".encode() if entry else b""
    for item in readable:
        if marker and isinstance(item.data, bytes) and marker in item.data:
            return item
    choices = readable or python
    return choices[0] if choices else None


def _one(student: str, item: _Entry, max_bytes: int) -> Submission:
    if isinstance(item.data, _Problem):
        return Submission(student, "", item.data.status, item.data.message, origin=item.name)
    return from_bytes(student, item.data, item.name, max_bytes)


# -- JSON Lines -------------------------------------------------------------------------------------------------
def _jsonl(source: Path, exercise_id: str, max_bytes: int) -> list[Submission]:
    data = _read_at(None, source, source.name, str(source), MAX_JSONL_BYTES)
    if data is None:
        raise SubmissionsError(f"{source} is larger than {_size(MAX_JSONL_BYTES)}")
    if isinstance(data, _Problem):
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


# -- small helpers ----------------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """Text that can be written as UTF-8: a file name's undecodable bytes (lone surrogates) become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _hidden(name: str) -> bool:
    return name.startswith((".", "__"))


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((what for test, what in kinds if test(mode)), "not a regular file")


def _not_regular(shown: str, mode: int) -> _Problem:
    links = ", and links are never followed" if stat.S_ISLNK(mode) else ""
    return _refused(f"{shown} is {_kind(mode)}; only regular files are read{links}.")


def _refused_link(shown: str) -> _Problem:
    return _not_regular(shown, stat.S_IFLNK)


def _refused(message: str) -> _Problem:
    return _Problem("refused", message)


def _unreadable(exc: OSError) -> _Problem:
    return _Problem("unreadable", f"The file cannot be read ({exc.strerror or exc}).")


def _limit_row(where: str) -> Submission:
    return Submission(
        f"(more files in {where})",
        "",
        "refused",
        f"{where} has more than {MAX_ENTRIES} entries; the rest were not read.",
        origin=where,
    )


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count // 1024} KiB"
