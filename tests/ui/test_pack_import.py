"""Importing a teacher's pack in the app (issue 25): a pack folder dropped on the window or a built pack file
opened from File > Open pack... goes through the same check as ``tutor pack check``; a broken pack is refused
with the reasons in a dialog and nothing changes (the list, the packs folder, the learner's place); a good one
shows in the list at once, in its unit. Real window, real check (the runner runs the pack's tests), no model."""

from __future__ import annotations

import zipfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from tutor.packs import build_pack, installed_packs_dir
from ui.main_window import MainWindow

from ..packs_helpers import double_exercise
from .window_helpers import quiet_window, shoot

PACK_TOML = 'name = "Week one"\n[[units]]\nid = "week1"\ntitle = "Week one"\nsummary = "Doubling."\n'
GOOD = double_exercise("w1_double", unit="week1", title="Double it", concept="arithmetic")


def make_pack(folder: Path, exercise: str = GOOD) -> Path:
    folder.mkdir(parents=True)
    (folder / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    (folder / "01_double.toml").write_text(exercise, encoding="utf-8")
    return folder


def drop(win: MainWindow, path: Path, target: QWidget | None = None) -> bool:
    """A real drag and drop of ``path`` onto the window (or ``target``), as Qt delivers it; whether the drag
    was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    where = QPointF(win.rect().center())
    enter = QDragEnterEvent(
        where.toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter.setAccepted(False)
    QApplication.sendEvent(target or win, enter)
    if not enter.isAccepted():
        return False
    dropped = QDropEvent(
        where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target or win, dropped)
    return True


def test_a_broken_pack_is_refused_with_reasons_and_nothing_changes(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("factorial")
    before = win.exercises_panel.texts()
    passing_starter = GOOD.replace(
        'starter = "def double(number):\\n    pass\\n"',
        'starter = "def double(number):\\n    return number * 2\\n"',
    )
    broken = make_pack(
        tmp_path / "broken", passing_starter.replace("hidden = true\n", "") + "difficulty = 9\n"
    )
    assert drop(win, broken)
    dialog = win.pack_dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Pack refused"
    assert "broken was not imported" in dialog.text() and "Nothing was changed" in dialog.text()
    reasons = dialog.informativeText()
    assert "01_double.toml" in reasons and reasons.count("•") >= 1
    shoot(dialog, "refused-pack")
    assert win.exercises_panel.texts() == before and win.current is not None and win.current.id == "factorial"
    assert not installed_packs_dir().exists() or not any(installed_packs_dir().iterdir())
    dialog.close()


def test_a_good_pack_folder_dropped_shows_in_its_unit(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.open_exercise("factorial")
    assert drop(win, make_pack(tmp_path / "week1"), target=win.editor.viewport())  # onto the code, too
    assert win.pack_dialog is None
    assert "w1_double" in win.exercises_panel.texts() and win.current.id == "factorial"  # the place is kept
    assert win.exercises_panel.unit_texts()[-1] == "Week one · 0 / 1 passed"
    assert (installed_packs_dir() / "week1").is_dir() and "imported" in win.statusBar().currentMessage()
    assert "file://" not in win.editor.toPlainText()  # the drop did not become text in the editor
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    assert not drop(win, other)  # not a pack: not taken as one
    win.open_exercise("w1_double")
    assert win.current.id == "w1_double"


def test_open_pack_imports_a_built_file_and_refuses_a_tampered_one(
    qtbot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    built = build_pack(make_pack(tmp_path / "src"), tmp_path / "week1.tutorpack")
    tampered = tmp_path / "tampered.tutorpack"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():  # an exercise changed after the build: its sha256 no longer matches
            data = source.read(info)
            target.writestr(info, data.replace(b"number * 2", b"number * 3"))
    win = quiet_window(qtbot, tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tampered), ""))
    win.open_pack_action.trigger()
    assert win.pack_dialog.windowTitle() == "Pack refused" and "w1_double" not in win.exercises_panel.texts()
    win.pack_dialog.close()
    win.pack_dialog = None
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(built), ""))
    win.open_pack_action.trigger()
    assert win.pack_dialog is None and "w1_double" in win.exercises_panel.texts()
