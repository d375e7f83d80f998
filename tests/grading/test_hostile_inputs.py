"""Hostile grading inputs (issue 21, item 4): links, FIFOs and sockets in a submissions folder; zip entries that
climb out, are links, repeat a name or expand like a bomb; names that collide or read as spreadsheet formulas;
overrides above the maximum; a submission that rewrites the resume cache. Each asserts "not read / not written /
a row with a clear status", on real files, real zips, real FIFOs and real symlinks."""

from __future__ import annotations

import csv
import json
import os
import socket
import sqlite3
import stat
import struct
import threading
import tracemalloc
import unicodedata
import warnings
import zipfile
from pathlib import Path

import pytest

from tutor.exercises import Exercise
from tutor.grading import submissions
from tutor.grading.batch import CACHE_NAME, Cache
from tutor.grading.grader import GradeRequest, grade
from tutor.grading.report import csv_cell, results_names
from tutor.grading.rubric import ItemResult
from tutor.grading.score import Grade, OverrideError, TestScore, apply_overrides, read_overrides
from tutor.grading.submissions import SubmissionsError, read_submissions
from tutor.runner import Limits

from .conftest import CORRECT, OFF_BY_ONE

FAST = Limits(per_test_s=0.5, total_s=4.0)
SECRET = "root:$6$the-shadow-file-secret"


def read_in_time(source: Path, **kwargs: object) -> dict[str, submissions.Submission]:
    """``read_submissions`` in a thread that must finish: opening a FIFO for reading would block forever."""
    found: list[submissions.Submission] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            found.extend(read_submissions(source, **kwargs))  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failed.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "reading the submissions blocked (a FIFO was opened?)"
    if failed:
        raise failed[0]
    return {s.student: s for s in found}


def hostile_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A class folder with a link to a secret, a FIFO, a socket, a linked folder and a link in a student's folder."""
    secret = tmp_path / "shadow"
    secret.write_text(SECRET + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stolen.py").write_text(f"# {SECRET}\n" + CORRECT)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(CORRECT)
    (folder / "eve.py").symlink_to(secret)
    (folder / "dangling.py").symlink_to(tmp_path / "nothing-here")
    os.mkfifo(folder / "mallory.py")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    judy = folder / "judy"
    judy.mkdir()
    (judy / "main.py").write_text(CORRECT)
    (judy / "helper.py").symlink_to(secret)
    (judy / "notes.txt").symlink_to(secret)
    monkeypatch.chdir(folder)  # a socket's path must be short: bind it relative to the folder
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.py")
    monkeypatch.chdir(tmp_path)
    return folder


def test_links_fifos_and_sockets_are_refused_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = read_in_time(hostile_folder(tmp_path, monkeypatch), entry="search")
    assert {name: s.status for name, s in found.items()} == {
        "alice": "ok",
        "dangling": "refused",
        "eve": "refused",
        "judy": "ok",
        "judy/helper.py": "refused",
        "judy/notes.txt": "refused",
        "linked": "refused",
        "mallory": "refused",
        "sock": "refused",
    }
    assert "is a symbolic link" in found["eve"].message and "never followed" in found["eve"].message
    assert "is a symbolic link" in found["linked"].message
    assert "is a named pipe (FIFO)" in found["mallory"].message
    assert "is a socket" in found["sock"].message
    assert found["judy"].code == CORRECT  # the student's real file is still graded
    assert all(SECRET not in s.code + s.message for s in found.values())
    assert all(not s.code and not s.sha256 for s in found.values() if s.status == "refused")


def test_a_fifo_or_link_given_as_the_source_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "class.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(SubmissionsError, match="named pipe"):
        read_in_time(fifo)
    single = tmp_path / "one.py"
    os.mkfifo(single)
    with pytest.raises(SubmissionsError, match="named pipe"):
        read_in_time(single)


def test_graded_links_leave_no_trace_in_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, search: Exercise
) -> None:
    out = tmp_path / "out"
    run = grade(GradeRequest(hostile_folder(tmp_path, monkeypatch), search, out, workers=2, limits=FAST))
    statuses = {g.student: g.status for g in run.grades}
    assert statuses["eve"] == statuses["mallory"] == statuses["judy/helper.py"] == "refused"
    assert statuses["alice"] == statuses["judy"] == "ok"
    for written in out.rglob("*"):
        if written.is_file() and written.name != CACHE_NAME:
            assert SECRET not in written.read_text(errors="replace"), written
    rows = {r[0]: r for r in csv.reader((out / "grades.csv").open())}
    assert rows["eve"][-3] == "refused"


# -- zips -------------------------------------------------------------------------------------------------------
def link_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, str]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


def test_zip_entries_that_climb_out_or_link_get_rows(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    fifo = zipfile.ZipInfo("pipe.py")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle, warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # zipfile warns about the duplicate name: that is the attack
        handle.writestr("alice.py", CORRECT)
        handle.writestr("../x.py", "print('outside')")
        handle.writestr("/abs/evil.py", "print('absolute')")
        handle.writestr("C:\\windows\\evil.py", "print('drive')")
        handle.writestr("bob/../../up.py", "print('up')")
        handle.writestr(*link_entry("eve.py", "/etc/shadow"))
        handle.writestr(fifo, "")
        handle.writestr("dup.py", CORRECT)
        handle.writestr("dup.py", "print('second, hidden behind the first')")
    found = read_in_time(archive)
    assert {name: s.status for name, s in found.items()} == {
        "alice": "ok",
        "../x.py": "refused",
        "/abs/evil.py": "refused",
        "C:/windows/evil.py": "refused",
        "bob/../../up.py": "refused",
        "eve": "refused",
        "pipe": "refused",
        "dup": "ok",
        "dup (2)": "refused",
    }
    assert "climbs out of the archive" in found["../x.py"].message
    assert (
        "absolute name" in found["/abs/evil.py"].message
        and "absolute name" in found["C:/windows/evil.py"].message
    )
    assert "symbolic link" in found["eve"].message and "/etc/shadow" not in found["eve"].code
    assert "named pipe" in found["pipe"].message
    assert found["dup"].code == CORRECT and "second entry named dup.py" in found["dup (2)"].message
    assert "/" not in found  # the old reader made a student named "/"


def bomb(path: Path, entries: int, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as handle:
        zeros = b"\n" * size
        for number in range(entries):
            handle.writestr(f"s{number:05}.py", zeros)
    return path


def test_a_zip_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    archive = bomb(tmp_path / "bomb.zip", 200, 250 * 1024)  # 50 MB of newlines in a ~60 KB zip
    tracemalloc.start()
    try:
        found = read_in_time(archive)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(found) == 200
    assert {s.status for s in found.values()} == {"refused"}
    assert "expands more than 100 times" in found["s00000"].message
    assert peak < 16 * 1024 * 1024, f"{peak / 1e6:.1f} MB"


def test_zip_limits_each_give_a_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        for number in range(8):
            handle.writestr(f"s{number}.py", f"x = {number}\n" + "#" * 40_000)
        handle.writestr("big.py", "#" * (submissions.MAX_BYTES + 1))
    monkeypatch.setattr(submissions, "MAX_TOTAL_BYTES", 100_000)
    found = read_in_time(archive)
    assert found["big"].status == "too large"
    assert [found[f"s{n}"].status for n in range(8)] == ["ok", "ok"] + ["refused"] * 6
    assert "total limit" in found["s2"].message
    monkeypatch.setattr(submissions, "MAX_ENTRIES", 3)
    found = read_in_time(archive)
    assert len(found) == 4 and found["(more files in class.zip)"].status == "refused"
    assert "more than 3 entries" in found["(more files in class.zip)"].message
    monkeypatch.setattr(submissions, "MAX_DIRECTORY_BYTES", 100)
    with pytest.raises(SubmissionsError, match="table of contents"):
        read_in_time(archive)


def test_a_zip_that_lies_about_sizes_is_not_trusted(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("liar.py", "x = 1\n" * 100_000)  # 600 KB, more than a file may be
        handle.writestr("alice.py", CORRECT)
    data = bytearray(archive.read_bytes())
    directory = data.find(b"PK\x01\x02")  # liar.py's central directory entry: claim 100 bytes uncompressed
    data[directory + 24 : directory + 28] = struct.pack("<L", 100)
    archive.write_bytes(bytes(data))
    found = read_in_time(archive)
    assert found["liar"].status == "unreadable" and not found["liar"].code
    assert found["alice"].status == "ok"


# -- names ------------------------------------------------------------------------------------------------------
NAMES = ["Zoë", unicodedata.normalize("NFD", "Zoë"), "Zoé", "a b", "a_b"]


def test_names_that_collide_keep_their_own_rows_and_files(tmp_path: Path, search: Exercise) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for number, name in enumerate(NAMES):
        (folder / f"{name}.py").write_text(CORRECT if number % 2 == 0 else OFF_BY_ONE)
    (folder / "alice.py").write_text(CORRECT)
    (folder / "alice").mkdir()
    (folder / "alice" / "main.py").write_text(OFF_BY_ONE)
    found = read_in_time(folder)
    assert sorted(found) == sorted(["Zoë", "Zoë (2)", "Zoé", "a b", "a_b", "alice", "alice (2)"])
    assert "also named 'Zoë'" in found["Zoë (2)"].message
    out = tmp_path / "out"
    run = grade(GradeRequest(folder, search, out, workers=2, limits=FAST))
    index = json.loads((out / "results" / "index.json").read_text())
    assert sorted(index) == sorted(found) and len(set(index.values())) == len(found)
    files = {p.name for p in (out / "results").iterdir()} - {"index.json"}
    assert files == set(index.values())
    for grade_ in run.grades:
        stored = json.loads((out / "results" / index[grade_.student]).read_text())
        assert stored["extra_data"]["student"] == grade_.student and stored["score"] == round(grade_.total, 4)


def test_results_names_are_unique_even_ignoring_case() -> None:
    names = results_names(["Alice", "alice", "ALICE", "a/b", "../../etc/passwd", "", "\x00"])
    assert len({n.casefold() for n in names.values()}) == 7
    assert all("/" not in n and not n.startswith(".") for n in names.values())
    assert names["Alice"].startswith("Alice-") and names["../../etc/passwd"].startswith("etc_passwd-")


def test_formula_cells_are_escaped_in_every_csv(tmp_path: Path, search: Exercise) -> None:
    hostile = ['=HYPERLINK("http://evil.example","grade")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
    source = tmp_path / "class.jsonl"
    source.write_text("".join(json.dumps({"student": n, "code": CORRECT}) + "\n" for n in hostile))
    out = tmp_path / "out"
    grade(GradeRequest(source, search, out, workers=2, limits=FAST))
    rows = list(csv.reader((out / "grades.csv").open()))
    names = [r[0] for r in rows[1:]]  # one header row, then one row per student
    assert all(n.startswith("'") for n in names), names
    assert sorted(n[1:] for n in names) == sorted(submissions.display_name(n) for n in hostile)
    assert all(r[1] == "1" for r in rows[1:])  # numbers stay numbers
    similar = list(csv.reader((out / "similar.csv").open()))
    assert len(similar) > 1 and all(cell[:1] not in "=+-@" for row in similar[1:] for cell in row[:2])
    assert csv_cell("-1.5") == "-1.5" and csv_cell("=1+1") == "'=1+1" and csv_cell("\rx") == "'\rx"
    assert csv_cell("\tx") == "'\tx" and csv_cell("@x") == "'@x" and csv_cell(3) == "3"


# -- overrides --------------------------------------------------------------------------------------------------
def a_grade(student: str) -> Grade:
    tests = [TestScore(n, f"f({n})", 1.0, 1.0, "pass", "", False) for n in (1, 2)]
    return Grade(student, "ok", "", tests, [ItemResult("style", "check", "short", 0.0, 2.0, False)])


def write_overrides(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text("student,item,points,comment\n" + "".join(line + "\n" for line in lines))
    return path


def test_overrides_above_the_maximum_or_unknown_are_not_applied(tmp_path: Path) -> None:
    rows = read_overrides(
        write_overrides(
            tmp_path,
            [
                "alice,total,2000,as much as I like",
                "alice,1,5,",
                "alice,style,3,",
                "alice,9,1,",
                "nobody,total,1,",
                "bob,style,1.5,fair",
                "bob,total,3,",
            ],
        )
    )
    grades = [a_grade("alice"), a_grade("bob")]
    found = apply_overrides(grades, rows)
    assert found == [
        "overrides.csv, line 2: override for 'alice': 2000 points for 'total' is more than its maximum, 4; not applied",
        "overrides.csv, line 3: override for 'alice': 5 points for '1' is more than its maximum, 1; not applied",
        "overrides.csv, line 4: override for 'alice': 3 points for 'style' is more than its maximum, 2; not applied",
        "overrides.csv, line 5: override for 'alice': no test or rubric item '9'; not applied",
        "overrides.csv, line 6: override for unknown student 'nobody'; not applied",
    ]
    alice, bob = grades
    assert alice.total == 2 and not alice.overridden
    assert bob.items[0].points == 1.5 and bob.total == 3 and set(bob.overridden) == {"style", "total"}


def test_overrides_that_are_not_numbers_stop_the_run_naming_each_line(tmp_path: Path) -> None:
    path = write_overrides(
        tmp_path,
        ["alice,total,-5,", "bob,1,lots,", ",total,1,", "carol,total,nan,", "dave,total,inf,", "ok,1,1,"],
    )
    with pytest.raises(OverrideError) as caught:
        read_overrides(path)
    message = str(caught.value)
    for line in (2, 3, 4, 5, 6):
        assert f"line {line}:" in message
    assert "line 7" not in message and "0 or more (got '-5')" in message and "got 'lots'" in message


# -- the resume cache -------------------------------------------------------------------------------------------
def test_rows_forged_in_the_cache_are_not_trusted(tmp_path: Path, search: Exercise) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(CORRECT)
    (folder / "mallory.py").write_text(OFF_BY_ONE)
    out = tmp_path / "out"
    first = {g.student: g.total for g in grade(GradeRequest(folder, search, out, limits=FAST)).grades}
    assert first["alice"] == 11 and first["mallory"] < 11
    shas = {s.student: s.sha256 for s in read_submissions(folder)}
    with sqlite3.connect(out / CACHE_NAME) as db:  # what a submission that finds the folder would do
        rows = dict(db.execute("SELECT sha, data FROM outcome").fetchall())
        passing, failing = json.loads(rows[shas["alice"]]), json.loads(rows[shas["mallory"]])
        forged_pass = dict(passing, sha256=shas["mallory"])
        forged_fail = dict(failing, sha256=shas["alice"])
        mac_of_alice = db.execute("SELECT mac FROM outcome WHERE sha=?", (shas["alice"],)).fetchone()[0]
        db.execute(
            "UPDATE outcome SET data=?, mac=? WHERE sha=?",
            (json.dumps(forged_pass), mac_of_alice, shas["mallory"]),
        )
        db.execute("UPDATE outcome SET data=? WHERE sha=?", (json.dumps(forged_fail), shas["alice"]))
    with (out / "overrides.csv").open("a") as handle:
        handle.write("mallory,total,2000,\n")
    again = grade(GradeRequest(folder, search, out, limits=FAST))
    assert {g.student: g.total for g in again.grades} == first
    assert again.cached == 0  # both forged rows were refused and run again
    assert any("2 stored results in the resume cache did not verify" in w for w in again.warnings)
    assert any("2000 points for 'total' is more than its maximum" in w for w in again.warnings)
    assert "did not verify" in (out / "report.html").read_text()
    third = grade(GradeRequest(folder, search, out, limits=FAST))
    assert third.cached == 2  # the rows written again are the grader's own


def test_a_corrupt_cache_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / CACHE_NAME
    path.write_bytes(b"this is not a database" * 100)
    cache = Cache(path)
    cache.put("abc", "k", {"x": 1})
    cache.close()
    assert (tmp_path / (CACHE_NAME + ".corrupt")).read_bytes().startswith(b"this is not")
    assert any("moved to" in w for w in cache.warnings)


def test_cache_rows_verify_only_with_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / CACHE_NAME
    mine = Cache(path, key=b"k" * 32)
    mine.put_extra("judge:1", {"passed": True})
    mine.close()
    other = Cache(path, key=b"x" * 32)
    assert other.get_extra("judge:1") is None
    other.close()
    assert other.warnings and "1 stored result " in other.warnings[0]
    again = Cache(path, key=b"k" * 32)
    assert again.get_extra("judge:1") == {"passed": True}
    again.close()


def test_the_cache_key_lives_outside_the_output_folder(tmp_path: Path) -> None:
    from tutor.grading.batch import KEY_NAME, cache_key
    from tutor.paths import user_data_dir

    key = cache_key()
    path = user_data_dir() / KEY_NAME
    assert path.read_bytes() == key and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache_key() == key


def test_the_jsonl_reader_is_bounded_and_total(tmp_path: Path) -> None:
    source = tmp_path / "class.jsonl"
    source.write_bytes(
        b'{"student": "a", "code": "x = 1"}\n'
        b'{"student": "b", "code": "\\ud800"}\n'
        + b"[" * 100_000
        + b"\n"
        + b'{"student": 7, "code": "x = 2"}\n'
        + json.dumps({"student": "c\u2028d", "code": "x = 3"}, ensure_ascii=False).encode()  # a raw U+2028
    )
    found = read_in_time(source)
    assert found["a"].status == "ok" and found["b"].status == "non-utf8"
    assert found["line 3"].status == "unreadable" and found["7"].status == "ok"
    assert found["c\u2028d"].status == "ok"
