"""Fuzzing the submission reader (issue 21, item 6) with a fixed budget, so CI runs the same inputs every time
(``derandomize=True``, 200 examples each, no example database): random folders with links, FIFOs and odd names;
random zips with hostile names, modes and compression; valid zips with bytes overwritten or cut short; random
JSON Lines. Every input must become rows with a known status, or a ``SubmissionsError`` for a source that is not
readable at all; never another exception, never a link's target read."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import unicodedata
import warnings
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tutor.grading.submissions import READ_STATUSES, Submission, SubmissionsError, read_submissions

from .conftest import CORRECT, OFF_BY_ONE

BUDGET = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECRET = "the-target-of-a-link-must-never-be-read"

_letters = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))
name_part = st.one_of(
    st.sampled_from(
        ["a", "b", "Zoë", unicodedata.normalize("NFD", "Zoë"), "a b", "a_b", "__x", ".h", "=x", "-"]
    ),
    st.text(_letters, min_size=1, max_size=12),
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 100)
file_name = st.one_of(name_part, name_part.map(lambda n: n + ".py"))
content = st.one_of(
    st.sampled_from([CORRECT.encode(), OFF_BY_ONE.encode(), b"", b"\x00\x01", b"caf\xe9", b"def f(:\n"]),
    st.binary(max_size=200),
)
kinds = st.sampled_from(["file", "file", "file", "link", "dirlink", "dangling", "fifo"])


def check_rows(rows: list[Submission]) -> None:
    """What every successful read promises."""
    names = [r.student for r in rows]
    assert len(set(names)) == len(names), names
    for row in rows:
        assert row.status in READ_STATUSES, row
        assert row.student and row.student == unicodedata.normalize("NFC", row.student)
        assert all(unicodedata.category(c) not in ("Cc", "Cs") for c in row.student), row.student
        assert SECRET not in row.code and SECRET not in row.message
        row.message.encode("utf-8"), row.origin.encode("utf-8")  # writable as UTF-8: no lone surrogates
        if row.status != "ok" and row.status != "syntax error":
            assert row.message and not row.runnable


def hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith((".", "__")) for p in parts)


@BUDGET
@given(st.lists(st.tuples(st.lists(name_part, max_size=2), file_name, kinds, content), max_size=8))
def test_fuzz_folders(items: list[tuple[list[str], str, str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        secret = base / "secret.py"
        secret.write_text(f"# {SECRET}\n")
        folder = base / "class"
        folder.mkdir()
        specials: list[str] = []
        for parents, name, kind, data in items:
            parts = (*parents, name)
            path = folder.joinpath(*parts)
            if any(folder.joinpath(*parts[:i]).is_symlink() for i in range(1, len(parts))):
                continue  # a folder made earlier as a link: this file would land outside the class
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() or path.is_symlink():
                    continue
                if kind == "file":
                    path.write_bytes(data)
                    continue
                if kind == "fifo":
                    os.mkfifo(path)
                elif kind == "link":
                    path.symlink_to(secret)
                elif kind == "dirlink":
                    path.symlink_to(base, target_is_directory=True)
                else:
                    path.symlink_to(base / "nowhere")
            except OSError:
                continue  # a parent is a file, a name too long: not a class anyone can make
            if not hidden(parts):
                specials.append("/".join(parts))
        rows = read_submissions(folder, entry="search")
        check_rows(rows)
        refused = {r.origin for r in rows if r.status == "refused"}
        assert set(specials) <= refused, (specials, rows)
        visible = {p.name for p in folder.iterdir() if not hidden((p.name,))}
        assert len(rows) >= len(visible)


zip_name = st.one_of(
    st.lists(
        st.one_of(name_part, st.sampled_from(["..", ".", "", "C:", "\\..", "x\\..\\y"])),
        min_size=1,
        max_size=4,
    ).map("/".join),
    st.sampled_from(["/abs/evil.py", "../x.py", "a/../../b.py", "C:\\w.py", "\\\\server\\x.py", "lab/"]),
)
modes = st.sampled_from(
    [0, stat.S_IFREG | 0o644, stat.S_IFLNK | 0o777, stat.S_IFIFO | 0o644, stat.S_IFDIR | 0o755, stat.S_IFCHR]
)
methods = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])


@BUDGET
@given(st.lists(st.tuples(zip_name, content, modes, methods), max_size=10))
def test_fuzz_zip_entries(entries: list[tuple[str, bytes, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        archive = Path(temporary) / "class.zip"
        with zipfile.ZipFile(archive, "w") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of the fuzz
            for name, data, mode, method in entries:
                info = zipfile.ZipInfo(name)
                info.create_system = 3
                info.external_attr = mode << 16
                info.compress_type = method
                payload = SECRET.encode() if stat.S_ISLNK(mode) else data
                handle.writestr(info, payload)
        rows = read_submissions(archive, entry="search")
        check_rows(rows)
        for name, _, _, _ in entries:
            shown = name.replace("\\", "/")
            if shown.startswith("/") or ".." in shown.split("/"):
                assert any(r.origin == shown and r.status == "refused" for r in rows), (shown, rows)


def base_zip() -> bytes:
    with tempfile.TemporaryDirectory() as temporary:
        archive = Path(temporary) / "base.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("lab/alice.py", CORRECT, zipfile.ZIP_DEFLATED)
            handle.writestr("lab/bob/main.py", OFF_BY_ONE, zipfile.ZIP_STORED)
            handle.writestr("lab/carol.py", CORRECT * 20, zipfile.ZIP_BZIP2)
            handle.writestr("lab/dan.py", OFF_BY_ONE * 5, zipfile.ZIP_LZMA)
        return archive.read_bytes()


BASE = base_zip()


@BUDGET
@given(
    st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 255)), min_size=1, max_size=12),
    st.one_of(st.none(), st.integers(0, len(BASE))),
)
def test_fuzz_damaged_zips(changes: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(BASE)
    for position, value in changes:
        data[position] = value
    with tempfile.TemporaryDirectory() as temporary:
        archive = Path(temporary) / "class.zip"
        archive.write_bytes(bytes(data[:cut]))
        try:
            rows = read_submissions(archive, entry="search")
        except SubmissionsError as exc:
            assert str(exc)
        else:
            check_rows(rows)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
json_line = st.one_of(
    st.fixed_dictionaries(
        {
            "student": st.one_of(st.text(max_size=10), json_value),
            "code": st.one_of(st.text(max_size=60), json_value),
        }
    ),
    json_value,
).map(lambda v: json.dumps(v).encode())


@BUDGET
@given(st.lists(st.one_of(json_line, st.binary(max_size=40)), max_size=8))
@example(
    [b'{"student": "", "code": ""}', b"PK\x05\x06", b'{"student": "", "code": ""}']
)  # a zip's end record
def test_fuzz_jsonl(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        source = Path(temporary) / "class.jsonl"
        source.write_bytes(b"\n".join(lines))
        try:
            rows = read_submissions(source, exercise_id="refactory/q1")
        except SubmissionsError as exc:
            assert "cannot read" in str(exc)
        else:
            check_rows(rows)
