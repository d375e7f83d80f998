"""The exercise loader never crashes (issue 21, build item 6): TOML packs with fields of random types, random
TOML and JSONL text, mutated bundled exercises and hand-made nasties (deep nesting, long dotted keys, huge
numbers, NUL bytes, FIFOs) are each loaded or refused with a ``PackError``; no other exception escapes.

Fixed budget, the same inputs on every run (``derandomize``), so it runs in CI."""

from __future__ import annotations

import json
import os
import string
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.exercises import LoadResult, bundled_pack_dir, load_pack, load_tasks

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = [
    "id",
    "title",
    "description",
    "entry",
    "starter",
    "solution",
    "prelude",
    "topic",
    "difficulty",
    "avoid",
]
REAL = tomllib.loads(sorted(bundled_pack_dir().glob("*.toml"))[0].read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", " ", "f", "def f(:", "greeting", "1 +", "\x00", "assert x", "(" * 300]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["call", "expected", "assert", "code", "x"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _load_text(tmp_path: Path, name: str, text: str | bytes) -> LoadResult:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return load_pack(folder) if name.endswith(".toml") else load_tasks(path)


def _accepted_or_refused(result: LoadResult) -> None:
    """Each input gives exercises or errors with a file and a message, never a crash."""
    assert result.exercises or result.errors
    for error in result.errors:
        assert error.file and error.message and str(error)


def _toml_value(value: Any) -> str:
    return (
        json.dumps(value)
        if not isinstance(value, dict)
        else "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    )


@FUZZ
@given(changes=st.dictionaries(st.sampled_from([*FIELDS, "tests"]), values, max_size=4))
def test_a_real_exercise_with_fields_of_random_types(tmp_path: Path, changes: dict[str, Any]) -> None:
    """The bundled exercise with some fields replaced by values of any type (written as JSON: a JSONL task)."""
    task = {**REAL, **changes}
    _accepted_or_refused(_load_text(tmp_path, "tasks.jsonl", json.dumps(task)))


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(FIELDS), values, max_size=4), tests=values)
def test_toml_packs_with_fields_of_random_types(tmp_path: Path, changes: dict[str, Any], tests: Any) -> None:
    """The same as TOML: the fields and ``tests`` written as TOML values (nulls dropped, as TOML has none)."""
    lines = [
        f"{k} = {_toml_value(v)}" for k, v in changes.items() if v is not None and "null" not in json.dumps(v)
    ]
    if tests is not None and "null" not in json.dumps(tests):
        lines.append(f"tests = {_toml_value(tests)}")
    _accepted_or_refused(_load_text(tmp_path, "ex.toml", "\n".join(lines)))


@FUZZ
@given(data=st.data())
def test_mutated_bundled_toml(tmp_path: Path, data: st.DataObject) -> None:
    """A real exercise file with bytes replaced, inserted or cut."""
    source = sorted(bundled_pack_dir().glob("*.toml"))[0].read_bytes()
    raw = bytearray(source)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["replace", "insert", "cut"]))
        piece = data.draw(
            st.binary(min_size=1, max_size=8) | st.sampled_from([b"[", b"{", b"=", b'"', b"\x00", b"."])
        )
        if action == "replace":
            raw[at : at + len(piece)] = piece
        elif action == "insert":
            raw[at:at] = piece * data.draw(st.integers(1, 50))
        else:
            del raw[at:]
    _accepted_or_refused(_load_text(tmp_path, "ex.toml", bytes(raw)))


@FUZZ
@given(text=st.text(alphabet=string.printable + "\x00é", max_size=200))
def test_random_text_as_toml_and_as_jsonl(tmp_path: Path, text: str) -> None:
    for name in ("ex.toml", "tasks.jsonl"):
        result = _load_text(tmp_path, name, text)
        for error in result.errors:
            assert error.message


NASTY = {
    "deep TOML array": "tests = " + "[" * 5000 + "]" * 5000,
    "deep TOML inline table": "tests = " + "{a = " * 3000 + "1" + "}" * 3000,
    "dotted key 20000 deep": "a." * 20000 + "b = 1",  # tomllib needs about 1.6 GB for this
    "dotted table header": "[" + "a." * 20000 + "b]\n",
    "huge integer": "difficulty = " + "9" * 5000,
    "NUL in code": 'id = "x"\nentry = "f"\nstarter = "def f():\\u0000 pass"\ntests = [{call = "f()", expected = "1"}]',
    "deep Python": 'id = "x"\nentry = "f"\nstarter = "'
    + "-" * 200_000
    + '1"\ntests = [{call = "f()", expected = "1"}]',
    "deep call": 'id = "x"\nentry = "f"\ntests = [{call = "' + "(" * 300 + ")" * 300 + '", expected = "1"}]',
    "prelude a list": 'id = "x"\nentry = "f"\nprelude = [1]\ntests = [{call = "f()", expected = "1"}]',
    "id a table": 'id = {a = 1}\nentry = "f"\ntests = [{call = "f()", expected = "1"}]',
    "too many tests": 'id = "x"\nentry = "f"\n' + '[[tests]]\ncall = "f()"\nexpected = "1"\n' * 1001,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(NASTY))
def test_nasty_toml_is_refused_with_a_message(tmp_path: Path, name: str) -> None:
    result = _load_text(tmp_path, "ex.toml", NASTY[name])
    assert not result.exercises and len(result.errors) == 1, result.errors


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "line",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "1" * 5000,
        '{"id": ' + "9" * 5000 + "}",
    ],
    ids=["deep array", "deep object", "huge number", "huge number in a task"],
)
def test_nasty_jsonl_is_refused_with_a_message(tmp_path: Path, line: str) -> None:
    result = _load_text(tmp_path, "tasks.jsonl", line)
    assert not result.exercises and len(result.errors) == 1 and "not valid JSON" in result.errors[0].message


@pytest.mark.timeout(20)
def test_a_fifo_in_a_pack_or_as_a_task_file_is_refused_without_hanging(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    os.mkfifo(folder / "ex.toml")
    (error,) = load_pack(folder).errors
    assert "is a pipe (FIFO), not a TOML exercise file" in error.message
    (error,) = load_tasks(folder / "ex.toml").errors
    assert "is a pipe (FIFO), not a task file" in error.message
