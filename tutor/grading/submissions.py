"""Reading a class's submissions: a folder (one ``.py`` per student, or one folder per student), a zip of either,
or JSON Lines (``{"student", "code"}``; the datasets' ``{"name", "code", "task"}`` also works).

Nothing here stops at a bad file: each submission gets a status. ``ok`` means the file is readable Python text;
``empty``, ``binary``, ``non-utf8``, ``too large``, ``unreadable`` and ``syntax error`` are kept as rows with a
one-line message, so the teacher sees every student.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tutor.runner.sandbox import syntax_problem

MAX_BYTES = 256 * 1024
READ_STATUSES = ("ok", "empty", "binary", "non-utf8", "too large", "unreadable", "syntax error")


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


def read_submissions(
    source: Path, exercise_id: str = "", entry: str = "", max_bytes: int = MAX_BYTES
) -> list[Submission]:
    """Every submission in ``source``, sorted by student name; raises ``SubmissionsError`` for a bad source."""
    if not source.exists():
        raise SubmissionsError(f"{source} does not exist")
    if source.is_dir():
        files = _folder_files(source, max_bytes)
    elif zipfile.is_zipfile(source):
        files = _zip_files(source, max_bytes)
    elif source.suffix in (".jsonl", ".json", ".ndjson"):
        return _sorted(_jsonl(source, exercise_id, max_bytes))
    elif source.suffix == ".py":
        files = {source.name: _read_capped(source, max_bytes)}
    else:
        raise SubmissionsError(f"{source} is not a folder, a zip or a JSONL file")
    return _sorted(_from_files(files, entry, max_bytes))


def from_bytes(student: str, data: bytes | None, origin: str = "", max_bytes: int = MAX_BYTES) -> Submission:
    """Classify one file's bytes (``None``: larger than ``max_bytes``, not read)."""
    if data is None or len(data) > max_bytes:
        return Submission(
            student, "", "too large", f"The file is larger than {max_bytes // 1024} KiB.", origin=origin
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
    digest = digest or hashlib.sha256(code.encode("utf-8")).hexdigest()
    if not code.strip():
        return Submission(student, "", "empty", "The file is empty.", digest, origin)
    problem = syntax_problem(code)
    if problem is not None:
        where = f" (line {problem.line})" if problem.line else ""
        return Submission(student, code, "syntax error", f"{problem.message}{where}", digest, origin)
    return Submission(student, code, "ok", "", digest, origin)


def _read_capped(path: Path, max_bytes: int) -> bytes | None:
    try:
        if path.stat().st_size > max_bytes:
            return None
        return path.read_bytes()
    except OSError as exc:
        raise _Unreadable(str(exc.strerror or exc)) from None


class _Unreadable(Exception):
    pass


def _folder_files(folder: Path, max_bytes: int) -> dict[str, bytes | None | _Unreadable]:
    files: dict[str, bytes | None | _Unreadable] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith((".", "__")) for part in relative.parts):
            continue
        try:
            files[relative.as_posix()] = _read_capped(path, max_bytes)
        except _Unreadable as exc:
            files[relative.as_posix()] = exc
    return files


def _zip_files(source: Path, max_bytes: int) -> dict[str, bytes | None | _Unreadable]:
    files: dict[str, bytes | None | _Unreadable] = {}
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                parts = PurePosixPath(info.filename).parts
                if info.is_dir() or any(p.startswith((".", "__")) or p == ".." for p in parts):
                    continue  # __MACOSX/, hidden files, and paths that climb out
                files[info.filename] = None if info.file_size > max_bytes else archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise SubmissionsError(f"{source} is not a readable zip ({exc})") from None
    if (
        len(files) > 1 and len({PurePosixPath(n).parts[0] for n in files}) == 1
    ):  # one folder wrapping everything
        files = {str(PurePosixPath(*PurePosixPath(n).parts[1:])): data for n, data in files.items()}
    return files


def _from_files(files: dict[str, bytes | None | _Unreadable], entry: str, max_bytes: int) -> list[Submission]:
    """``alice.py`` -> student alice; ``bob/anything.py`` -> student bob (the file that defines the entry
    function when there are several); other files at the top level become rows, so nothing vanishes quietly."""
    top: dict[str, bytes | None | _Unreadable] = {}
    folders: dict[str, dict[str, bytes | None | _Unreadable]] = {}
    for name, data in files.items():
        parts = PurePosixPath(name).parts
        if len(parts) == 1:
            top[name] = data
        else:
            folders.setdefault(parts[0], {})[name] = data
    result = [
        _one(PurePosixPath(name).stem if name.endswith(".py") else name, name, data, max_bytes)
        for name, data in top.items()
    ]
    for student, inside in folders.items():
        python = {n: d for n, d in inside.items() if n.endswith(".py")}
        if not python:
            result.append(Submission(student, "", "empty", "The folder has no .py file.", origin=student))
            continue
        name = _main_file(python, entry)
        result.append(_one(student, name, python[name], max_bytes))
    return result


def _main_file(python: dict[str, bytes | None | _Unreadable], entry: str) -> str:
    marker = f"def {entry}(".encode() if entry else b""
    for name, data in python.items():
        if marker and isinstance(data, bytes) and marker in data:
            return name
    return next(iter(python))


def _one(student: str, origin: str, data: bytes | None | _Unreadable, max_bytes: int) -> Submission:
    if isinstance(data, _Unreadable):
        return Submission(student, "", "unreadable", f"The file cannot be read ({data}).", origin=origin)
    return from_bytes(student, data, origin, max_bytes)


def _jsonl(source: Path, exercise_id: str, max_bytes: int) -> list[Submission]:
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionsError(f"cannot read {source}: {exc}") from None
    result: list[Submission] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        origin = f"{source.name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            result.append(
                Submission(f"line {number}", "", "unreadable", f"Not valid JSON ({exc.msg}).", origin=origin)
            )
            continue
        if not isinstance(row, dict) or not isinstance(row.get("code"), str):
            result.append(
                Submission(f"line {number}", "", "unreadable", 'No "code" text on this line.', origin=origin)
            )
            continue
        if exercise_id and row.get("task") not in (None, exercise_id):
            continue  # a file with several tasks (the datasets): only this exercise's programs
        student = str(row.get("student") or row.get("name") or f"line {number}")
        code: str = row["code"]
        if len(code.encode("utf-8")) > max_bytes:
            result.append(from_bytes(student, None, origin, max_bytes))
        elif "\x00" in code:
            result.append(from_bytes(student, code.encode("utf-8"), origin, max_bytes))
        else:
            result.append(from_text(student, code, origin))
    return result


def _sorted(items: Iterable[Submission]) -> list[Submission]:
    result = sorted(items, key=lambda s: s.student)
    seen: dict[str, int] = {}
    unique = []
    for item in result:  # two files for one name (alice.py and alice/): keep both, named apart
        count = seen.get(item.student, 0)
        seen[item.student] = count + 1
        if count:
            item = Submission(
                f"{item.student} ({count + 1})",
                item.code,
                item.status,
                item.message,
                item.sha256,
                item.origin,
            )
        unique.append(item)
    return unique
