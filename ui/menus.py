"""The menu bar: every action of the window, with its shortcut, where a learner looks for it.

File: Open pack..., Save, Reset all progress..., Quit. Exercise: Run tests, Run program, Get hint, Cancel,
Next exercise, Show explanation, Reset code. View: zoom, dark theme. Teacher (only where the school's policy
allows a teacher tool): Teacher mode, Grade a folder and Rate hints (in teacher mode), Compare hints. Help: Help
(F1), About.

The toolbar keeps the few buttons a beginner presses all the time; the menus hold them too, so every key can be
found from the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from ui.course_actions import go_next, reset_all_progress
from ui.help import HelpDialog
from ui.pack_import import open_pack
from ui.theme import THEMES, apply_theme, wants_dark

ABOUT = (
    "<b>Offline Python Tutor</b><p>Practise Python with tests and hints that run on this computer: no account, "
    "no internet needed. Your code and progress stay here.</p>"
)


def _action(
    window: Any, text: str, keys: str | QKeySequence.StandardKey, slot: Callable[..., object]
) -> QAction:
    action = QAction(text, window)
    sequence = QKeySequence(keys)
    if not sequence.isEmpty():
        action.setShortcut(sequence)
    action.triggered.connect(slot)
    return action


def install_menus(window: Any) -> QMenu | None:
    """Build the menu bar on ``window`` (a ``MainWindow``); the actions become its attributes. Returns the
    Teacher menu (None when no teacher tool is allowed here)."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    window.open_pack_action = _action(window, "Open pack…", "Ctrl+O", lambda: open_pack(window))
    window.save_action = _action(window, "Save", QKeySequence.StandardKey.Save, lambda: _save(window))
    window.reset_progress_action = _action(
        window, "Reset all progress…", "", lambda: reset_all_progress(window)
    )
    window.quit_action = _action(window, "Quit", "Ctrl+Q", window.close)
    _add(file, window.open_pack_action, window.save_action, None, window.reset_progress_action, None)
    file.addAction(window.quit_action)
    exercise = bar.addMenu("&Exercise")
    window.next_action = _action(window, "Next exercise", "Ctrl+N", lambda: go_next(window))
    window.explain_action = _action(window, "Show explanation", "Ctrl+Shift+H", lambda: _explain(window))
    _add(exercise, window.run_action, window.run_program_action, None, window.hint_action)
    _add(exercise, window.explain_action, window.cancel_action, None, window.next_action, window.reset_action)
    _install_view(window, bar.addMenu("&View"))
    teacher = _install_teacher(window, bar)
    help_menu = bar.addMenu("&Help")
    window.help_action = _action(
        window, "Help", QKeySequence.StandardKey.HelpContents, lambda: open_help(window)
    )
    if window.help_action.shortcut().isEmpty():
        window.help_action.setShortcut(QKeySequence("F1"))
    window.about_action = _action(
        window, "About", "", lambda: QMessageBox.about(window, "About Offline Python Tutor", ABOUT)
    )
    _add(help_menu, window.help_action, window.about_action)
    return teacher


def _add(menu: QMenu, *actions: QAction | None) -> None:
    for action in actions:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)


def _explain(window: Any) -> None:
    if window.hint_panel.explain_button.isEnabled():
        window.hint_panel.toggle_explanation()
    else:
        window.show_notice("There is no explanation yet: ask for a hint first (Ctrl+H).")


def _save(window: Any) -> None:
    if window.save_code():
        window.show_notice("Saved. (Your code is also saved as you type.)")


def _install_view(window: Any, view: QMenu) -> None:
    _add(view, window.zoom_in_action, window.zoom_out_action, window.models_action, None)
    theme_menu = view.addMenu("Theme")
    group = QActionGroup(window)
    window.theme_actions = {}
    labels = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
    current = window.session.settings.theme if window.session.settings.theme in THEMES else "system"
    for name in THEMES:
        action = QAction(labels[name], window)
        action.setCheckable(True)
        action.setChecked(name == current)
        action.triggered.connect(lambda _=False, choice=name: set_theme(window, choice))
        group.addAction(action)
        theme_menu.addAction(action)
        window.theme_actions[name] = action
    window.dark_theme_action = _action(window, "Dark theme", "Ctrl+Shift+D", lambda: toggle_dark(window))
    view.addAction(window.dark_theme_action)


def set_theme(window: Any, choice: str) -> None:
    """Apply and keep the learner's theme choice ("system", "light" or "dark")."""
    window.session.settings.theme = choice
    apply_theme(choice)
    window.theme_actions[choice].setChecked(True)
    window.saver.settings()


def toggle_dark(window: Any) -> None:
    set_theme(window, "light" if wants_dark(window.session.settings.theme) else "dark")


def _install_teacher(window: Any, bar: Any) -> QMenu | None:
    """The Teacher menu, only where a teacher tool is allowed; "Grade a folder" shows in teacher mode only."""
    grade = getattr(window, "grade_action", None)
    compare = getattr(window, "compare_action", None)
    rate = getattr(window, "rate_action", None)
    if grade is None and compare is None:
        return None
    menu: QMenu = bar.addMenu("&Teacher")
    window.teacher_mode_action = QAction("Teacher mode", window)
    window.teacher_mode_action.setCheckable(True)
    window.teacher_mode_action.setChecked(window.session.settings.teacher_mode)
    window.teacher_mode_action.toggled.connect(lambda on: set_teacher_mode(window, on))
    _add(menu, window.teacher_mode_action, None, *[a for a in (grade, compare, rate) if a is not None])
    _show_teacher_mode_actions(window, window.session.settings.teacher_mode)
    return menu


def _show_teacher_mode_actions(window: Any, on: bool) -> None:
    """ "Grade a folder" and "Rate hints" show in teacher mode only."""
    for name in ("grade_action", "rate_action"):
        action = getattr(window, name, None)
        if action is not None:
            action.setVisible(on)


def set_teacher_mode(window: Any, on: bool) -> None:
    window.session.settings.teacher_mode = on
    _show_teacher_mode_actions(window, on)
    window.saver.settings()


def open_help(window: Any) -> HelpDialog:
    actions = [a for menu in window.menuBar().findChildren(QMenu) for a in menu.actions()]
    dialog = HelpDialog(actions, window)
    dialog.show()
    window.help_dialog = dialog
    return dialog
