"""The window on a disk that fills up (issue 21, build item 5): the test report and the hint are shown with one
sentence saying what could not be saved, Run tests keeps working (it used to stay dead: the failed autosave left
``tests_running`` set), a run whose temporary folder cannot be made says so, and everything is saved once there
is room again. No model runs here: the model file is a bad one, so hints come from the analysis alone."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from tutor.exercises import load_bundled
from tutor.progress import ProgressStore
from tutor.session import Session
from tutor.workspace import Workspace
from ui.main_window import MainWindow

from ..disks import TinyDisk, tiny_disk

PACK = load_bundled()
BUGGY = 'def greeting(name):\n    return "Hello, " + name + "!"\n'


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[TinyDisk]:
    with tiny_disk(tmp_path / "disk") as mounted:
        yield mounted


def window_on(qtbot, folder: Path, tmp_path: Path) -> tuple[MainWindow, list[str]]:  # type: ignore[no-untyped-def]
    bad_model = tmp_path / "bad.gguf"
    bad_model.write_bytes(b"not a model")
    session = Session(progress=ProgressStore(folder / "progress.db"), workspace=Workspace(folder / "code"))
    win = MainWindow(PACK, model_path=str(bad_model), session=session)
    qtbot.addWidget(win)
    notices: list[str] = []
    win.statusBar().messageChanged.connect(lambda text: notices.append(text) if text else None)
    win.show()
    qtbot.waitUntil(lambda: win.model_failed, timeout=30_000)
    win.open_exercise("greeting")
    win.editor.setPlainText(BUGGY)
    return win, notices


def run_tests(qtbot, win: MainWindow):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(win.tests_shown, timeout=30_000) as blocker:
        win.run_action.trigger()
    return blocker.args[0]


def test_full_disk_report_and_hint_are_shown_and_run_tests_recovers(
    qtbot, disk: TinyDisk, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Simulates a full disk under the learner's data (a 64 KB tmpfs written full: ENOSPC/SQLITE_FULL)."""
    win, notices = window_on(qtbot, disk.path, tmp_path)
    disk.fill()
    win.editor.setPlainText(BUGGY + "# more\n")
    report = run_tests(qtbot, win)
    assert not report.passed and win.tests_panel.report is report
    assert any("Your code could not be saved: the disk is full." in n for n in notices)
    assert any("Your progress could not be saved: the disk is full." in n for n in notices)
    assert not win.tests_running
    run_tests(qtbot, win)  # F5 still works on the full disk
    with qtbot.waitSignal(win.hint_shown, timeout=60_000) as blocker:
        win.request_hint()
    hint = blocker.args[0]
    assert hint.status == "hint" and "'Hello,   Grace !'" in win.hint_panel.view.toPlainText()
    assert "This hint is shown, but your progress could not be saved: the disk is full." in notices
    assert win.session.progress.of("greeting").hints == 1  # counted against the quota all the same
    disk.free()
    run_tests(qtbot, win)
    assert win.save_problem == "" and "Your code is saved again." in notices
    win.close()
    stored = ProgressStore(disk.path / "progress.db").of("greeting")
    assert (stored.runs, stored.hints) == (3, 1)
    assert Workspace(disk.path / "code").load("greeting") == BUGGY + "# more\n"


def test_a_full_temporary_disk_does_not_stop_a_sandboxed_run(  # type: ignore[no-untyped-def]
    qtbot, disk: TinyDisk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulates a full temporary disk (the system's temporary folder on a full tmpfs): the OS sandbox's work
    folder is a tmpfs of its own and the program comes through a pipe, so the run needs no room there."""
    win, _ = window_on(qtbot, tmp_path / "data", tmp_path)
    disk.fill()
    monkeypatch.setattr(tempfile, "tempdir", str(disk.path))
    assert not run_tests(qtbot, win).passed  # a report, for the known-buggy program


def test_a_run_without_a_temporary_folder_says_so_and_f5_works_after(  # type: ignore[no-untyped-def]
    qtbot, disk: TinyDisk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_os_sandbox: None
) -> None:
    """Simulates a read-only temporary disk (a tmpfs remounted read-only) where no OS sandbox runs: the plain
    child needs a temporary folder on the host, and no report can be made."""
    win, notices = window_on(qtbot, tmp_path / "data", tmp_path)
    disk.read_only()
    monkeypatch.setattr(tempfile, "tempdir", str(disk.path))
    with qtbot.waitSignal(win.tests.failed, timeout=30_000):
        win.run_action.trigger()
    message = "The tests could not be run: the disk is read-only. Run them again once that is fixed."
    assert win.tests_panel.summary.text() == message and message in notices
    assert not win.tests_running
    disk.read_only(False)
    assert not run_tests(qtbot, win).passed


def test_a_file_in_place_of_the_code_folder(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Simulates an unwritable code folder for any user (a file where the folder should be: ENOTDIR/EEXIST)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "code").write_text("in the way")
    win, notices = window_on(qtbot, data, tmp_path)
    run_tests(qtbot, win)
    assert any("Your code could not be saved: a file is where its folder should be." in n for n in notices)
    run_tests(qtbot, win)
    win.close()  # refused once: the code exists only in the editor
    assert win.isVisible() and "close again to quit without saving" in notices[-1]
    (data / "code").unlink()
    win.close()
    assert not win.isVisible() and Workspace(data / "code").load("greeting") == BUGGY


def test_a_damaged_progress_file_is_announced_with_where_it_was_kept(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    (data / "progress.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    win, _ = window_on(qtbot, data, tmp_path)
    qtbot.waitUntil(lambda: win.recovery_dialog is not None, timeout=5000)
    dialog = win.recovery_dialog
    assert isinstance(dialog, QMessageBox) and dialog.isVisible()
    (aside,) = data.glob("progress.db.corrupt-*")
    assert str(aside) in dialog.text()
    dialog.accept()
