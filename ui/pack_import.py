"""Importing a teacher's pack: File > Open pack..., or a pack file or folder dropped on the window.

The core checks it (``tutor.packs.import_pack``, the same check as ``tutor pack check``); a broken pack is
refused with its reasons in a dialog and nothing changes; an accepted one is installed and the list reloads
with the learner's place kept.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tutor.packs import SUFFIX, import_pack, installed_packs_dir
from ui.course_actions import show_pack

MAX_SHOWN = 12  # problems listed in the dialog; the rest are counted


def _problem_text(problems: list[str]) -> str:
    shown = "\n".join(f"• {p}" for p in problems[:MAX_SHOWN])
    more = len(problems) - MAX_SHOWN
    return shown + (f"\n… and {more} more." if more > 0 else "")


def import_path(window: Any, path: Path) -> bool:
    """Check and import ``path``; True when it was imported. A refusal is shown in ``window.pack_dialog``."""
    try:
        check = import_pack(path, installed_packs_dir(), taken=window.pack)
    except Exception as exc:  # noqa: BLE001 - a malformed pack never crashes the app
        _tell(window, "Pack refused", f"{path.name} could not be read: {exc}", "Nothing was changed.")
        return False
    if not check.ok:
        _tell(
            window,
            "Pack refused",
            f"<b>{escape(path.name)} was not imported</b>: it does not pass the pack check. Nothing was changed.",
            _problem_text(list(check.problems) or ["the pack has no exercises"]),
        )
        return False
    show_pack(window, window.session.exercises())
    window.show_notice(f"Pack {path.name} imported: {check.exercises} exercises. They are in the list now.")
    return True


def _tell(window: Any, title: str, text: str, details: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, window)
    if details:
        box.setInformativeText(details)
    box.open()  # not modal to the event loop: the window keeps running
    window.pack_dialog = box


def open_pack(window: Any) -> None:
    """File > Open pack...: a built pack file (``tutor pack build``); a pack folder can be dropped on the window."""
    path, _ = QFileDialog.getOpenFileName(window, "Open pack", "", f"Packs (*{SUFFIX});;All files (*)")
    if path:
        import_path(window, Path(path))


class PackDrops(QObject):
    """Accepts a pack file or folder dropped on the window and imports it."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        window.pack_dialog = None  # the last refusal shown
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        window.editor.viewport().installEventFilter(self)  # a pack dropped on the code is a pack, not text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if isinstance(event, QDragEnterEvent) and _local_paths(event):
            event.acceptProposedAction()
            return True
        if event.type() == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = _local_paths(event)
            if paths:
                event.acceptProposedAction()
                import_path(self._window, paths[0])
                return True
        return False


def _local_paths(event: QDropEvent) -> list[Path]:
    """The pack folders and built pack files dropped (anything else is left to the widget under the mouse)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.is_dir() or p.suffix == SUFFIX]
