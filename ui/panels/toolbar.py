"""The window's toolbar, and the actions that only have a shortcut (zoom, moving the keyboard focus)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar, QWidget

from ui.editor import CodeEditor


class Toolbar(QToolBar):
    """Adds itself to ``window``; ``add`` makes an action with its shortcut and tooltip."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__("Main", window)
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        window.addToolBar(self)

    def add(
        self, text: str, shortcut: QKeySequence, slot: Callable[..., object], shown: bool = True
    ) -> QAction:
        """An action on the toolbar (``shown``), or on the window only, reachable by its shortcut."""
        window = (
            self.parentWidget() or self
        )  # no Python reference back to the window: no cycle for the collector
        action = QAction(text, window)
        if not shortcut.isEmpty():
            action.setShortcut(shortcut)
            if text:
                action.setToolTip(f"{text} ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        if shown:
            self.addAction(action)
        else:
            window.addAction(action)
        return action


def add_view_shortcuts(
    bar: Toolbar, editor: CodeEditor, focus: tuple[tuple[str, QWidget], ...]
) -> tuple[QAction, QAction]:
    """Zoom in and out (on the toolbar; Ctrl+= too), and keyboard-only focus moves (Tab belongs to the editor);
    the two zoom actions."""
    zoom_in, zoom_out = QKeySequence.StandardKey.ZoomIn, QKeySequence.StandardKey.ZoomOut
    bigger = bar.add("Zoom in", QKeySequence(zoom_in), lambda: editor.set_zoom(editor.zoom + 1), False)
    smaller = bar.add("Zoom out", QKeySequence(zoom_out), lambda: editor.set_zoom(editor.zoom - 1), False)
    bar.add("", QKeySequence("Ctrl+="), lambda: editor.set_zoom(editor.zoom + 1), False)
    for keys, target in focus:
        bar.add("", QKeySequence(keys), lambda _=False, widget=target: widget.setFocus(), False)
    return bigger, smaller
