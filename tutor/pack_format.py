"""The pack layer of the exercise format: ``pack.toml`` (the pack's name and its units in course order), which
files of a pack folder are exercises, and the line a problem is on.

A pack is a folder: an optional ``pack.toml`` and exercise files ``*.toml`` directly in it or in one level of
sub-folders (docs/packs.md). Exercise files load in path order; ``pack.md`` and other non-TOML files are ignored.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACK_FILE = "pack.toml"
UNIT_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_AT_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class Unit:
    """A unit of a course: ``id`` (what exercise files name in ``unit = ...``), a title and a one-line summary."""

    id: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class PackInfo:
    """What ``pack.toml`` says (all empty for a pack without one)."""

    name: str = ""
    description: str = ""
    units: tuple[Unit, ...] = ()
    has_file: bool = False


class PackFileError(ValueError):
    """``pack.toml`` is malformed: where (line, when known) and what."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def exercise_files(folder: Path) -> list[Path]:
    """The exercise files of a pack folder, in path order (``pack.toml`` is not one)."""
    found = [*folder.glob("*.toml"), *folder.glob("*/*.toml")]
    return sorted((p for p in found if p.name != PACK_FILE), key=lambda p: p.relative_to(folder).parts)


def toml_error_line(exc: Exception) -> int | None:
    """The line tomllib's message names ("... (at line 3, column 5)"), if any."""
    match = _AT_LINE.search(str(exc))
    return int(match.group(1)) if match else None


def read_pack_info(folder: Path, text: str | None) -> PackInfo:
    """Parse ``pack.toml``'s text (None: the pack has none); ``PackFileError`` for anything malformed."""
    if text is None:
        return PackInfo()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackFileError(toml_error_line(exc), f"not valid TOML: {exc}") from None
    except RecursionError:
        raise PackFileError(None, "nested too deeply to read") from None
    for key in data:
        if key not in ("name", "description", "units"):
            raise PackFileError(key_line(text, key), f"unknown key {key!r} (known: name, description, units)")
    name, description = data.get("name", ""), data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            raise PackFileError(key_line(text, key), f"{key!r} must be text")
    units = _units(text, data.get("units", []))
    return PackInfo(name=name or folder.name, description=description, units=units, has_file=True)


def _units(text: str, value: Any) -> tuple[Unit, ...]:
    if not isinstance(value, list) or not all(isinstance(u, dict) for u in value):
        raise PackFileError(key_line(text, "units"), "'units' must be [[units]] tables")
    units: list[Unit] = []
    for index, table in enumerate(value, start=1):
        line = header_line(text, "units", index)
        unit_id, title, summary = table.get("id"), table.get("title"), table.get("summary", "")
        if not isinstance(unit_id, str) or not UNIT_ID.match(unit_id):
            raise PackFileError(line, f"unit {index}: 'id' must be a lowercase word such as \"loops\"")
        if not isinstance(title, str) or not title.strip():
            raise PackFileError(line, f"unit {unit_id!r}: 'title' is missing")
        if not isinstance(summary, str):
            raise PackFileError(line, f"unit {unit_id!r}: 'summary' must be text")
        unknown = set(table) - {"id", "title", "summary"}
        if unknown:
            raise PackFileError(line, f"unit {unit_id!r}: unknown key {sorted(unknown)[0]!r}")
        if any(u.id == unit_id for u in units):
            raise PackFileError(line, f"unit {unit_id!r} is listed twice")
        units.append(Unit(unit_id, title.strip(), summary.strip()))
    return tuple(units)


def key_line(text: str, key: str, after: int = 0) -> int | None:
    """The first line (1-based) at or after line ``after`` that sets ``key = ...``, or None."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= after and pattern.match(line):
            return number
    return None


def header_line(text: str, table: str, index: int) -> int | None:
    """The line of the ``index``-th (1-based) ``[[table]]`` header, or None."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            seen += 1
            if seen == index:
                return number
    return None


def field_line(text: str, field: str) -> int | None:
    """The line of an exercise field as the loader names it: ``entry``, ``tests[3]`` or ``tests[3].expected``."""
    match = re.match(r"^tests\[(\d+)\](?:\.(\w+))?$", field)
    if not match:
        return key_line(text, field) if field else None
    start = header_line(text, "tests", int(match.group(1)))
    if start is None or not match.group(2):
        return start
    end = header_line(text, "tests", int(match.group(1)) + 1)
    found = key_line(text, match.group(2), after=start)
    return found if found is not None and (end is None or found < end) else start


# -- exercise fields of the pack layer (``ValueError``: the loader names the field) ------------------------------
def concept_tags(value: Any, topic: str) -> tuple[str, ...]:
    """``concepts`` (a list of tags, lower-cased), or ``(topic,)`` for an exercise in the older format."""
    if value is None:
        return (topic.strip().lower(),) if topic.strip() else ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError('must be a list of tags such as ["for loops", "range"]')
    if any(len(tag) > 200 for tag in value):
        raise ValueError("has a tag longer than 200 characters")
    return tuple(dict.fromkeys(tag.strip().lower() for tag in value))


def unit_word(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    if value and not UNIT_ID.match(value):
        raise ValueError(f'{value[:80]!r} must be a lowercase word such as "loops"')
    return value


def exercise_kind(value: Any) -> str:
    if value not in ("write", "fix"):
        raise ValueError('must be "write" (complete a stub) or "fix" (the starter has a bug)')
    return str(value)


def unit_names(units: set[str]) -> str:
    return ", ".join(sorted(units)) or "pack.toml lists no [[units]]"


def unit_list(unit_ids: Iterable[str]) -> list[Unit]:
    """Units for a pack without ``pack.toml``: the exercises' own, in first-seen order."""
    return [Unit(u, u.replace("_", " ").capitalize()) for u in dict.fromkeys(u for u in unit_ids if u)]
