"""Exercises and their tests: the bundled TOML pack and the JSONL task format of the shared datasets.

A pack is a folder of ``*.toml`` files, one exercise each. A JSONL task file has one task a line (the format of
``shared/datasets``). Loading never stops at the first bad exercise: each problem becomes a ``PackError`` naming
the file, the exercise and the field, and the other exercises still load.

Malformed input of any kind is such a ``PackError``, never another exception (tests/test_exercises_fuzz.py):
files are read through ``tutor.files`` (no folder, device or FIFO, at most ``TOML_LIMIT``/``TASKS_LIMIT`` bytes),
nesting too deep for the parsers, keys dotted more than ``_MAX_DOTS`` deep (tomllib's memory grows with the
square of that depth), numbers too long to convert, text fields over ``TEXT_LIMIT`` characters and more than
``TESTS_LIMIT`` tests are refused with a message.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.files import FileRefused, read_bytes, size_text
from tutor.pack_format import (
    PACK_FILE,
    PackFileError,
    PackInfo,
    Unit,
    concept_tags,
    exercise_files,
    exercise_kind,
    field_line,
    read_pack_info,
    toml_error_line,
    unit_list,
    unit_names,
    unit_word,
)
from tutor.paths import resources_dir
from tutor.testcases import (  # TestCase lives there now
    TestCase,
    TestFieldError,
    check_python,
    parse_forbid,
    parse_test,
)

TOML_LIMIT = 2**20  # one exercise's TOML file
TASKS_LIMIT = 16 * 2**20  # a JSONL task file (the largest shared one is 48 KB)
TEXT_LIMIT = 100_000  # characters in one text field (a description, a starter, a test)
TESTS_LIMIT = 1_000  # tests in one exercise
_MAX_DOTS = 64
# a key of more than _MAX_DOTS dotted parts (``a.b.c...``, bare or quoted), in a table header or before ``=``
# (linear time: a chain starts only where a bare key cannot continue, and nothing inside it backtracks)
_DEEP_KEY = re.compile(
    r"(?<![A-Za-z0-9_-])(?:(?:[A-Za-z0-9_-]++|\"[^\"\n]*+\"|'[^'\n]*+')[ \t]*+\.[ \t]*+)"
    + f"{{{_MAX_DOTS},}}"
)
_TOO_DEEP = "nested too deeply to read"


@dataclass(frozen=True)
class Exercise:
    """A programming exercise. ``solution`` is for tests of the tutor itself, never shown to learners."""

    id: str
    title: str
    description: str
    entry: str
    tests: tuple[TestCase, ...]
    starter: str = ""
    solution: str | None = None
    prelude: str = ""
    topic: str = ""
    difficulty: int = 1
    avoid: tuple[str, ...] = ()
    source: str = ""
    unit: str = ""  # a unit id of the pack ("" = none)
    concepts: tuple[str, ...] = ()  # concept tags for search and filter (``topic`` is the first)
    kind: str = "write"  # "write": complete a stub; "fix": the starter has a bug
    forbid: tuple[str, ...] = ()  # names the learner's code must not use (checked before it runs)


@dataclass(frozen=True)
class PackError:
    """A problem found while loading: which file, which exercise, which field, and what is wrong."""

    file: str
    exercise: str
    field: str
    message: str
    line: int | None = None  # the line in ``file``, where known

    def __str__(self) -> str:
        where = f"{self.file}" + (f", line {self.line}" if self.line else "")
        where += f": exercise {self.exercise!r}" if self.exercise else ""
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


@dataclass
class LoadResult:
    """Exercises that loaded, and the errors for those that did not."""

    exercises: list[Exercise] = field(default_factory=list)
    errors: list[PackError] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)  # in course order
    name: str = ""  # the pack's name (pack.toml), "" for a pack without one

    def extend(self, other: LoadResult) -> None:
        self.exercises.extend(other.exercises)
        self.errors.extend(other.errors)
        self.units.extend(u for u in other.units if all(u.id != mine.id for mine in self.units))

    def find(self, exercise_id: str) -> Exercise | None:
        return next((ex for ex in self.exercises if ex.id == exercise_id), None)

    def unit_of(self, exercise_id: str) -> Unit | None:
        exercise = self.find(exercise_id)
        return next((u for u in self.units if exercise and u.id == exercise.unit), None)


class _FieldError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def bundled_pack_dir() -> Path:
    return resources_dir() / "packs" / "basics"


def load_bundled() -> LoadResult:
    """The exercises that ship with the app."""
    return load_pack(bundled_pack_dir())


def load_exercises(tasks: Iterable[Path] = ()) -> LoadResult:
    """The bundled pack, plus the exercises of any JSONL task files given."""
    result = load_bundled()
    for path in tasks:
        result.extend(load_tasks(path))
    return result


def load_pack(folder: Path) -> LoadResult:
    """Load a pack folder: ``pack.toml`` and every exercise file, in course order (units in the order
    ``pack.toml`` lists them, then file path order; exercises without a unit last)."""
    result = LoadResult()
    if not folder.is_dir():
        result.errors.append(PackError(str(folder), "", "", "exercise pack folder not found"))
        return result
    info = _pack_info(folder, result)
    known = {u.id for u in info.units} if info.has_file else None
    for path in exercise_files(folder):
        _load_toml_exercise(path, result, known)
    _report_duplicate_ids(result)
    _apply_units(info, result)
    return result


def _pack_info(folder: Path, result: LoadResult) -> PackInfo:
    """``pack.toml``, or an empty ``PackInfo`` (and a ``PackError``) when it is missing or malformed."""
    path = folder / PACK_FILE
    try:
        text = read_bytes(path, TOML_LIMIT, "pack file").decode("utf-8") if path.exists() else None
        info = read_pack_info(folder, text)
    except (FileRefused, UnicodeDecodeError, PackFileError) as exc:
        line = exc.line if isinstance(exc, PackFileError) else None
        result.errors.append(PackError(str(path), "", "", getattr(exc, "message", str(exc)), line))
        return PackInfo()
    result.name = info.name
    return info


def _apply_units(info: PackInfo, result: LoadResult) -> None:
    """The units (``pack.toml``'s, else the exercises' own in first-seen order), and the exercises in course
    order: by unit, then in path order (the order they loaded in; the sort is stable)."""
    result.units = list(info.units) if info.has_file else unit_list(e.unit for e in result.exercises)
    order = {u.id: n for n, u in enumerate(result.units)}
    result.exercises.sort(key=lambda e: order.get(e.unit, len(order)))


def _load_toml_exercise(path: Path, result: LoadResult, units: set[str] | None = None) -> None:
    """Load one exercise file; with ``units`` (pack.toml's unit ids), an exercise naming another is an error."""
    text = ""
    try:
        text = read_bytes(path, TOML_LIMIT, "TOML exercise file").decode("utf-8")
        data = _parse_toml(text)
    except FileRefused as exc:
        result.errors.append(PackError(str(path), path.stem, "", str(exc)))
        return
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as exc:
        line = toml_error_line(exc, text)
        result.errors.append(PackError(str(path), path.stem, "", f"not valid TOML: {exc}", line))
        return
    exercise_id = data.get("id")
    exercise_id = exercise_id if isinstance(exercise_id, str) else path.stem
    try:
        exercise = _exercise_from_mapping(data, str(path))
        if units is not None and exercise.unit and exercise.unit not in units:
            raise _FieldError("unit", f"{exercise.unit!r} is not a unit of pack.toml ({unit_names(units)})")
        result.exercises.append(exercise)
    except _FieldError as exc:
        line = field_line(text, exc.field)
        result.errors.append(PackError(str(path), exercise_id, exc.field, exc.message, line))


def _parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with the inputs that would exhaust it refused first (``ValueError``)."""
    if _DEEP_KEY.search(text):
        raise ValueError(f"a key has more than {_MAX_DOTS} dotted parts")
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def load_tasks(path: Path) -> LoadResult:
    """Load a JSONL task file (the format of ``shared/datasets``): one task a line."""
    result = LoadResult()
    try:
        lines = read_bytes(path, TASKS_LIMIT, "task file").decode("utf-8").splitlines()
    except (FileRefused, UnicodeDecodeError) as exc:
        result.errors.append(PackError(str(path), "", "", f"cannot read task file: {exc}"))
        return result
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = _parse_json(line)
        except ValueError as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            result.errors.append(PackError(where, f"line {number}", "", f"not valid JSON: {message}"))
            continue
        if not isinstance(data, dict):
            result.errors.append(PackError(where, f"line {number}", "", "a task must be a JSON object"))
            continue
        try:
            result.exercises.append(_exercise_from_mapping(data, where))
        except _FieldError as exc:
            name = data.get("id")
            result.errors.append(
                PackError(where, name if isinstance(name, str) else f"line {number}", exc.field, exc.message)
            )
    _report_duplicate_ids(result)
    return result


def _parse_json(line: str) -> Any:
    """``json.loads``; nesting too deep for it is a ``ValueError`` like any other malformed line."""
    try:
        return json.loads(line)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def _exercise_from_mapping(data: dict[str, Any], source: str) -> Exercise:
    exercise_id = _text(data, "id")
    tests = _tests(data.get("tests"))
    entry = _entry(data, tests)
    starter = _text(data, "starter", required=False)
    solution = data.get("solution")
    if solution is not None:
        solution = _text(data, "solution")
    prelude = _text(data, "prelude", required=False)
    for name, code in (("starter", starter), ("solution", solution), ("prelude", prelude)):
        _check_python(name, code)
    topic = _text(data, "topic", required=False)
    concepts = _checked("concepts", concept_tags, data.get("concepts"), topic)
    return Exercise(
        id=exercise_id,
        title=_text(data, "title", required=False) or exercise_id,
        description=_text(data, "description", required=False),
        entry=entry,
        tests=tests,
        starter=starter,
        solution=solution,
        prelude=prelude,
        topic=topic or (concepts[0] if concepts else ""),
        difficulty=_difficulty(data.get("difficulty", 1)),
        avoid=_avoid_list(data.get("avoid", [])),
        source=source,
        unit=_checked("unit", unit_word, data.get("unit", "")),
        concepts=concepts,
        kind=_checked("kind", exercise_kind, data.get("kind", "write")),
        forbid=_forbid(data.get("forbid", [])),
    )


def _checked(name: str, check: Any, *values: Any) -> Any:
    try:  # a validator of tutor.pack_format: its ValueError is this field's error
        return check(*values)
    except ValueError as exc:
        raise _FieldError(name, str(exc)) from None


def _entry(data: dict[str, Any], tests: tuple[TestCase, ...]) -> str:
    """The function the call tests call; may be left out when every test is a program test."""
    if data.get("entry") is None and all(t.is_program for t in tests):
        return ""
    entry = _text(data, "entry")
    if not entry.isidentifier():
        raise _FieldError("entry", f"{entry!r} is not a Python function name")
    return entry


def _forbid(value: Any) -> tuple[str, ...]:
    try:
        return parse_forbid(value)
    except TestFieldError as exc:
        raise _FieldError(exc.field, exc.message) from None


def _text(data: dict[str, Any], name: str, required: bool = True) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise _FieldError(name, "is missing")
        return ""
    if not isinstance(value, str):
        raise _FieldError(name, f"must be text, not {type(value).__name__}")
    _check_length(name, value)
    if required and not value.strip():
        raise _FieldError(name, "is empty")
    return value


def _check_length(name: str, value: str) -> None:
    if len(value) > TEXT_LIMIT:
        raise _FieldError(name, f"is longer than {size_text(TEXT_LIMIT)} characters")


def _check_python(name: str, code: str | None, mode: str = "exec") -> None:
    """``code`` must be Python that ``ast.parse`` reads: a syntax error, a NUL byte, or nesting too deep for the
    parser (``MemoryError``/``RecursionError`` from CPython's parser) is a field error."""
    if not code:
        return
    try:
        check_python(name, code, mode)
    except TestFieldError as exc:
        raise _FieldError(exc.field, exc.message) from None


def _difficulty(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise _FieldError("difficulty", "must be a whole number from 1 to 5")
    return value


def _avoid_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _FieldError("avoid", "must be a list of words")
    for word in value:
        _check_length("avoid", word)
    return tuple(value)


def _tests(value: Any) -> tuple[TestCase, ...]:
    if not isinstance(value, list) or not value:
        raise _FieldError("tests", "must be a non-empty list")
    if len(value) > TESTS_LIMIT:
        raise _FieldError("tests", f"has {len(value)} tests; an exercise may have at most {TESTS_LIMIT}")
    return tuple(_test(item, index) for index, item in enumerate(value, start=1))


def _test(item: Any, index: int) -> TestCase:
    try:
        return parse_test(item, index)
    except TestFieldError as exc:
        raise _FieldError(exc.field, exc.message) from None


def _report_duplicate_ids(result: LoadResult) -> None:
    seen: set[str] = set()
    unique: list[Exercise] = []
    for exercise in result.exercises:
        if exercise.id in seen:
            result.errors.append(PackError(exercise.source, exercise.id, "id", "is used by another exercise"))
            continue
        seen.add(exercise.id)
        unique.append(exercise)
    result.exercises[:] = unique
