"""Nothing lost on bad disks (issue 21, build item 5): the progress store, the autosave and the settings on a
full disk, a read-only disk and a folder that cannot be made; a damaged progress file kept aside and the learner
told where; ``tutor check`` refusing devices, FIFOs, folders and huge files, and saying so when the disk has no
room for its run."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.exercises import load_bundled
from tutor.progress import ProgressStore
from tutor.saving import NotSaved
from tutor.settings import Settings
from tutor.workspace import Workspace

from .disks import TinyDisk, tiny_disk

GREETING = load_bundled().find("greeting")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[TinyDisk]:
    with tiny_disk(tmp_path / "disk") as mounted:
        yield mounted


def test_a_full_disk_keeps_progress_counted_and_saves_it_when_space_returns(disk: TinyDisk) -> None:
    """Simulates a full disk: a 64 KB tmpfs written full, so SQLite gets ENOSPC (SQLITE_FULL)."""
    path = disk.path / "data" / "progress.db"
    store = ProgressStore(path)
    store.record_hint("greeting")
    disk.fill()
    with pytest.raises(NotSaved, match=r"^Your progress could not be saved: the disk is full\.$"):
        store.record_run("greeting", 1, 3)
    with pytest.raises(NotSaved, match="the disk is full"):
        store.record_hint("greeting")
    assert store.of("greeting") == store.all()["greeting"]
    assert (store.of("greeting").runs, store.of("greeting").hints, store.unsaved) == (1, 2, 2)  # quota holds
    disk.free()
    store.record_run("greeting", 3, 3)  # the next event writes the ones that waited
    assert store.unsaved == 0
    store.close()
    again = ProgressStore(path).of("greeting")
    assert (again.runs, again.hints, again.solved) == (2, 2, True)


def test_a_read_only_disk_keeps_the_old_counts_and_never_moves_the_file(disk: TinyDisk) -> None:
    """Simulates a read-only disk (a tmpfs remounted ``ro``: EROFS, and SQLite opens the file read-only)."""
    path = disk.path / "progress.db"
    first = ProgressStore(path)
    first.record_hint("greeting")
    first.close()
    disk.read_only()
    try:
        store = ProgressStore(path)
        assert store.recovered_message == "" and store.of("greeting").hints == 1
        with pytest.raises(NotSaved, match=r"^Your progress could not be saved: the disk is read-only\.$"):
            store.record_hint("greeting")
        assert store.of("greeting").hints == 2
        elsewhere = ProgressStore(disk.path / "new" / "progress.db")  # a folder that cannot be made
        with pytest.raises(NotSaved, match="the disk is read-only"):
            elsewhere.record_hint("greeting")
    finally:
        disk.read_only(False)
    store.record_hint("greeting")  # writable again: the waiting hint and this one are written
    store.close()
    assert ProgressStore(path).of("greeting").hints == 3
    assert sorted(p.name for p in disk.path.iterdir()) == ["progress.db"]  # nothing set aside as "corrupt"


def test_a_file_where_the_folder_should_be_is_not_saved_but_counted(tmp_path: Path) -> None:
    """Simulates an unwritable data folder for any user (no root needed): a file sits where the folder goes,
    so making it fails with ENOTDIR/EEXIST."""
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    store = ProgressStore(blocker / "progress.db")
    assert store.of("greeting").state == "not started"
    with pytest.raises(
        NotSaved, match=r"^Your progress could not be saved: a file is where its folder should be\.$"
    ):
        store.record_hint("greeting")
    assert store.of("greeting").hints == 1 and store.all()["greeting"].hints == 1
    blocker.unlink()  # the learner moves the file away: the next save makes the folder and writes both
    store.record_hint("greeting")
    store.close()
    assert ProgressStore(blocker / "progress.db").of("greeting").hints == 2


def test_a_damaged_progress_file_is_kept_aside_and_the_message_says_where(tmp_path: Path) -> None:
    path = tmp_path / "progress.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    store = ProgressStore(path)
    (aside,) = tmp_path.glob("progress.db.corrupt-*")
    assert aside.read_bytes().startswith(b"SQLite format 3")  # kept, byte for byte
    assert str(aside) in store.recovered_message and "a new one started" in store.recovered_message
    store.record_hint("greeting")
    assert store.of("greeting").hints == 1


def test_a_locked_database_is_not_taken_for_a_damaged_one(tmp_path: Path) -> None:
    """Simulates another program holding the file (an exclusive lock: SQLITE_BUSY), which used to count as
    "could not be read" and had the learner's progress moved aside."""
    path = tmp_path / "progress.db"
    first = ProgressStore(path)
    first.record_hint("greeting")
    first.close()
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")
    try:
        store = ProgressStore(path, timeout=0.1)
        assert store.recovered_message == "" and not list(tmp_path.glob("*.corrupt-*"))
        with pytest.raises(NotSaved, match="another program is using the file"):
            store.record_hint("greeting")
    finally:
        other.rollback()
        other.close()
    store.record_hint("greeting")
    assert store.of("greeting").hints == 3 and store.unsaved == 0


def test_autosave_on_a_full_disk_keeps_the_previous_version(disk: TinyDisk) -> None:
    """Simulates a full disk for the workspace (ENOSPC while writing the temporary file)."""
    workspace = Workspace(disk.path / "code")
    workspace.save("greeting", "def greeting(name):\n    return 'v1'\n")
    disk.fill()
    with pytest.raises(NotSaved, match=r"^Your code could not be saved: the disk is full\.$"):
        workspace.save("greeting", "x = 1\n" * 5000)
    assert workspace.load("greeting") == "def greeting(name):\n    return 'v1'\n"
    assert not list((disk.path / "code").glob(".autosave-*"))  # no half-written temporary file left
    disk.free()
    workspace.save("greeting", "v2 = 2\n")
    assert workspace.load("greeting") == "v2 = 2\n"


def test_autosave_and_settings_where_a_file_blocks_the_folder(tmp_path: Path) -> None:
    """Simulates an unwritable folder for any user: a file where the folder should be (ENOTDIR/EEXIST)."""
    (tmp_path / "code").write_text("in the way")
    with pytest.raises(NotSaved, match="Your code could not be saved: a file is where its folder should be"):
        Workspace(tmp_path / "code").save("greeting", "pass\n")
    config = Path(os.environ["TUTOR_CONFIG_DIR"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("in the way")
    with pytest.raises(
        NotSaved, match="Your settings could not be saved: a file is where its folder should be"
    ):
        Settings(zoom=2).save()


# -- tutor check: what it reads ------------------------------------------------------------------------------
def check(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", path, "-e", "greeting"])
    return code, capsys.readouterr().err


@pytest.mark.timeout(20)
def test_check_refuses_a_device_without_reading_it(capsys: pytest.CaptureFixture[str]) -> None:
    """``/dev/zero`` used to be read until the kernel killed the tutor."""
    code, err = check("/dev/zero", capsys)
    assert code == 2 and err == (
        "tutor: error: /dev/zero is a device, not a Python program; give the path of a Python program\n"
    )


@pytest.mark.timeout(20)
def test_check_refuses_a_fifo_without_hanging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A FIFO with no writer used to block ``tutor check`` forever."""
    fifo = tmp_path / "program.py"
    os.mkfifo(fifo)
    code, err = check(str(fifo), capsys)
    assert code == 2 and "is a pipe (FIFO), not a Python program" in err


def test_check_refuses_a_folder_and_a_huge_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(str(tmp_path), capsys)
    assert code == 2 and "is a folder, not a Python program" in err
    huge = tmp_path / "huge.py"
    huge.write_bytes(b"x = 1\n" * 200_000)  # 1.2 MB
    code, err = check(str(huge), capsys)
    assert code == 2 and "is larger than 1 MB" in err and "it was not read" in err
    code, err = check(str(tmp_path / "missing.py"), capsys)
    assert code == 2 and "cannot read" in err and "No such file" in err


def test_check_runs_a_program_of_just_under_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert GREETING is not None and GREETING.solution is not None
    program = tmp_path / "ok.py"
    padding = "#" * 1000 + "\n"
    program.write_text(GREETING.solution + padding * 1000)  # about 1 MB of comments, still read
    assert program.stat().st_size < 2**20
    code, _ = check(str(program), capsys)
    assert code == 0


def test_check_runs_in_the_sandbox_even_when_the_temporary_disk_is_full(
    disk: TinyDisk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Simulates a full temporary disk (TMPDIR on a full tmpfs): the OS sandbox's work folder is a tmpfs of its
    own and the program comes through a pipe, so the run needs no room there."""
    assert GREETING is not None and GREETING.solution is not None
    program = tmp_path / "ok.py"
    program.write_text(GREETING.solution)
    disk.fill()
    monkeypatch.setattr(tempfile, "tempdir", str(disk.path))
    code, err = check(str(program), capsys)
    assert code == 0 and err == ""


def test_check_says_when_the_disk_has_no_room_for_the_run(
    disk: TinyDisk,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    no_os_sandbox: None,
) -> None:
    """Simulates a read-only temporary disk (a tmpfs remounted read-only) where no OS sandbox runs, so the plain
    child needs a folder there: one line, exit 2, no traceback."""
    assert GREETING is not None and GREETING.solution is not None
    program = tmp_path / "ok.py"
    program.write_text(GREETING.solution)
    disk.read_only()
    monkeypatch.setattr(tempfile, "tempdir", str(disk.path))
    code, err = check(str(program), capsys)
    assert code == 2 and err == "tutor: error: the tests could not be run: the disk is read-only\n"
