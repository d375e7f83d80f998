"""The menu bar of issue 26: every action with its shortcut, F1 help, the Teacher menu only where a teacher tool
is allowed ("Grade a folder" only in teacher mode, kept in the settings), and the theme (system, light or dark,
kept). Real window, no model."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from tutor.policy import Policy
from tutor.settings import Settings
from ui.editor import is_dark
from ui.main_window import MainWindow
from ui.menus import open_help, set_theme

from .window_helpers import quiet_window, shoot


def menus(win: MainWindow) -> dict[str, dict[str, str]]:
    """Each top menu's actions, with their shortcuts."""
    found = {}
    for top in win.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu) and top.isVisible():
            found[top.text().replace("&", "")] = {
                a.text(): a.shortcut().toString(QKeySequence.SequenceFormat.PortableText)
                for a in menu.actions()
                if a.text() and a.isVisible()
            }
    return found


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_every_action_is_in_a_menu_with_its_shortcut(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    found = menus(win)
    assert list(found) == ["File", "Exercise", "View", "Teacher", "Help"]
    assert found["File"] == {
        "Open pack…": "Ctrl+O",
        "Save": "Ctrl+S",
        "Reset all progress…": "",
        "Quit": "Ctrl+Q",
    }
    exercise = found["Exercise"]
    assert exercise["Run tests"] == "F5" and exercise["Run program"] == "Ctrl+R"
    assert exercise["Get hint"] == "Ctrl+H" and exercise["Next exercise"] == "Ctrl+N"
    assert exercise["Show explanation"] == "Ctrl+Shift+H" and exercise["Cancel"] == "Esc"
    assert found["View"]["Zoom in"] == "Ctrl++" and found["View"]["Zoom out"] == "Ctrl+-"
    assert found["View"]["Dark theme"] == "Ctrl+Shift+D" and "Theme" in found["View"]
    assert found["Help"] == {"Help": "F1", "About": ""}
    win.menuBar().actions()[0].menu().popup(win.mapToGlobal(win.rect().topLeft()))  # type: ignore[union-attr]
    shoot(win.menuBar().actions()[1].menu(), "menu-exercise")  # type: ignore[arg-type]


def test_f1_opens_help_with_how_things_work_and_the_keys(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    win.activateWindow()
    win.editor.setFocus()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    qtbot.keyClick(win.editor, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(win, "help_dialog", None) is not None and win.help_dialog.isVisible())
    text = win.help_dialog.view.toPlainText()
    for words in ("Hidden tests", "hidden test N", "hint quota", "same hint again, free", "Run program"):
        assert words in text
    assert (
        "Run tests\nF5" in text
        and "Get hint\nCtrl+H" in text
        and "Help\nF1" in text
        and "Save\nCtrl+S" in text
    )
    shoot(win.help_dialog, "help")


def test_grade_a_folder_only_in_teacher_mode_and_kept(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)  # a personal install: grading allowed
    assert "Grade a folder…" not in menus(win)["Teacher"] and not win.grade_action.isVisible()
    win.teacher_mode_action.trigger()
    assert "Grade a folder…" in menus(win)["Teacher"] and Settings.load().teacher_mode
    win.close()
    again = quiet_window(qtbot, tmp_path)
    assert again.teacher_mode_action.isChecked() and again.grade_action.isVisible()


def test_no_teacher_menu_where_no_teacher_tool_is_allowed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path, policy=Policy(grading_allowed=False))
    assert "Teacher" not in menus(win) and getattr(win, "grade_action", None) is None
    compare = quiet_window(qtbot, tmp_path, policy=Policy(grading_allowed=False, compare_hints=True))
    assert menus(compare)["Teacher"] == {"Teacher mode": "", "Compare hints…": ""}


def test_dark_theme_is_applied_and_kept(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = quiet_window(qtbot, tmp_path)
    app = QApplication.instance()
    assert not is_dark(app.palette())  # type: ignore[union-attr]  # the offscreen "system" is light
    style = app.style().name()  # type: ignore[union-attr]
    try:
        win.dark_theme_action.trigger()
        assert is_dark(app.palette()) and win.theme_actions["dark"].isChecked()  # type: ignore[union-attr]
        assert Settings.load().theme == "dark"
        qtbot.waitUntil(lambda: is_dark(win.editor.palette()))
        win.open_exercise("factorial")
        shoot(win, "dark-theme")
        win.close()
        again = quiet_window(qtbot, tmp_path)  # kept between runs
        assert again.theme_actions["dark"].isChecked() and is_dark(app.palette())  # type: ignore[union-attr]
        again.theme_actions["system"].trigger()
        assert not is_dark(app.palette()) and Settings.load().theme == "system"  # type: ignore[union-attr]
        assert app.style().name() == style  # type: ignore[union-attr]  # the light look is the one it started with
    finally:
        set_theme(win, "system")
    open_help(win).close()
