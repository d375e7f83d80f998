"""A rubric file checked the way the site policy is (``tutor.policy``): every key must be one the grader knows,
test numbers must name tests the exercise has, and there must not be more point values than tests. A problem is
one message with the file and the line (``rubric.toml, line 3: unknown key tests.hiden; did you mean hidden?``),
so ``tutor grade`` stops (exit 2) before it grades anything instead of grading with a rubric it half ignored.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

SECTIONS = ("tests", "check", "judge", "avoid")
TESTS_KEYS = ("points", "hidden", "extra")
CHECK_KEYS = ("id", "uses", "avoids", "max_lines", "points")
JUDGE_KEYS = ("id", "question", "points")
# an extra hidden test: the exercise format's test keys (docs: course-format) and its points
EXTRA_KEYS = (
    "call",
    "expected",
    "code",
    "raises",
    "stdin",
    "stdout",
    "exact",
    "tolerance",
    "unordered",
    "hidden",
    "points",
)


class RubricProblem(ValueError):
    """One problem in a rubric file: the file, the line (when it can be found) and what is wrong."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.message = path, line, message


def check_rubric(path: Path, text: str, data: dict[str, Any], test_count: int | None) -> None:
    """Raise ``RubricProblem`` for the first unknown section or key, out-of-range test number or surplus point
    value. ``test_count`` is the exercise's number of tests (None: not known, numbers are not checked)."""
    for section, value in data.items():
        if section not in SECTIONS:
            raise RubricProblem(
                path, line_of(text, section, header=True), _unknown(f"section [{section}]", section, SECTIONS)
            )
        if section == "avoid" and not isinstance(value, list):
            raise RubricProblem(path, line_of(text, "avoid"), "avoid must be a list of words")
    tests = data.get("tests", {})
    if not isinstance(tests, dict):
        raise RubricProblem(path, line_of(text, "tests"), "tests must be a table: [tests]")
    _keys(path, text, tests, TESTS_KEYS, "tests.")
    _numbers(path, text, tests)
    for index, extra in enumerate(_tables(tests.get("extra", [])), start=1):
        _keys(path, text, extra, EXTRA_KEYS, f"tests.extra[{index}].")
    ids: dict[str, str] = {}
    for section, known in (("check", CHECK_KEYS), ("judge", JUDGE_KEYS)):
        for index, item in enumerate(_tables(data.get(section, [])), start=1):
            _keys(path, text, item, known, f"{section}[{index}].")
            _item(path, text, section, index, item, ids)
    if test_count is not None:
        _counts(path, text, tests, test_count)


def _counts(path: Path, text: str, tests: dict[str, Any], count: int) -> None:
    extras = len(_tables(tests.get("extra", [])))
    points = tests.get("points", [])
    if isinstance(points, list) and len(points) > count:
        raise RubricProblem(
            path,
            line_of(text, "points"),
            f"tests.points has {len(points)} values but the exercise has {_tests(count)}; give one value per "
            f"test, in order (the points of the extra tests go in their [[tests.extra]] tables)",
        )
    hidden = tests.get("hidden", [])
    top = count + extras
    for number in hidden if isinstance(hidden, list) else []:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= top:
            extra = f" and {extras} extra" if extras else ""
            raise RubricProblem(
                path,
                line_of(text, "hidden"),
                f"tests.hidden names test {number!r}, but the exercise has {_tests(count)}{extra} "
                f"(numbers go from 1 to {top})",
            )


def _numbers(path: Path, text: str, tests: dict[str, Any]) -> None:
    for key, whole in (("points", False), ("hidden", True)):
        values = tests.get(key, [])
        kind = "whole numbers of 1 or more" if whole else "numbers of 0 or more"
        if not isinstance(values, list) or not all(_number(v, whole) for v in values):
            raise RubricProblem(path, line_of(text, key), f"tests.{key} must be a list of {kind}")


def _number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) and value >= 1 if whole else value >= 0


def _item(path: Path, text: str, section: str, index: int, item: dict[str, Any], ids: dict[str, str]) -> None:
    """A [[check]] or [[judge]]: an id used once, points of 0 or more."""
    where = header_line(text, section, index)
    name = item.get("id")
    if not isinstance(name, str) or not name.strip():
        raise RubricProblem(path, where, f"[[{section}]] number {index} needs an id (text)")
    if name in ids:
        raise RubricProblem(path, where, f"the id {name!r} is used twice (first by a [[{ids[name]}]])")
    ids[name] = section
    points = item.get("points", 1)
    if not _number(points, whole=False):
        raise RubricProblem(path, where, f"{section} {name!r}: points must be a number of 0 or more")
    if "max_lines" in item and not _number(item["max_lines"], whole=True):
        raise RubricProblem(path, where, f"check {name!r}: max_lines must be a whole number of 1 or more")


def header_line(text: str, section: str, index: int) -> int | None:
    """The line of the ``index``-th ``[[section]]`` table (1-based)."""
    found = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]", line)
    ]
    return found[index - 1] if len(found) >= index else None


def _keys(path: Path, text: str, table: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise RubricProblem(path, line_of(text, key), _unknown(f"key {prefix}{key}", key, known))


def _unknown(what: str, name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(known)})"
    return f"unknown {what}{hint}"


def _tables(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _tests(count: int) -> str:
    return f"{count} test" + ("" if count == 1 else "s")


def line_of(text: str, key: str, header: bool = False) -> int | None:
    """The first line that sets ``key`` (or opens the table ``[key]``/``[[key]]``), 1-based."""
    name = re.escape(key)
    pattern = rf"^\s*\[\[?\s*{name}\s*\]\]?" if header else rf"^\s*[\"']?{name}[\"']?\s*="
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line):
            return number
    return None
