"""Light and dark theme: follow the system's colour scheme (Qt's style hints), or the learner's choice in the
View menu (kept in the settings as ``theme``: "system", "light" or "dark").

A dark theme is the Fusion style with a dark palette, so it looks the same on every platform; the editor's
colours follow the palette by themselves (``ui.editor``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
_DARK = {
    QPalette.ColorRole.Window: "#202124",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#26282b",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#2d2f33",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.ToolTipBase: "#2d2f33",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.Highlight: "#3d6fb4",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.BrightText: "#ff8a80",
}


def system_is_dark() -> bool:
    """What the desktop asks for (Unknown, as on a bare X server, counts as light)."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def wants_dark(choice: str) -> bool:
    choice = choice if choice in THEMES else "system"
    return choice == "dark" or (choice == "system" and system_is_dark())


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#80868b"))
    return palette


_light_palette: list[QPalette] = []  # the palette the app started with, to go back to
_light_style: list[str] = []  # and its style's name


def apply_theme(choice: str, app: QApplication | None = None) -> bool:
    """Apply ``choice`` to the whole application; True when the result is dark."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None:
        return False
    if not _light_palette:
        _light_palette.append(QPalette(app.palette()))
        _light_style.append(app.style().name())
    dark = wants_dark(choice)
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif app.style().name() != _light_style[0]:
        app.setStyle(_light_style[0])
        app.setPalette(_light_palette[0])
    else:
        app.setPalette(_light_palette[0])
    return dark


_follow: list[Callable[[], str]] = []  # the current window's choice; the signal is connected once


def follow_system(choice_of: Callable[[], str]) -> None:
    """Re-apply the theme when the desktop's colour scheme changes; ``choice_of()`` gives the current choice
    (the newest window's: one connection for the whole application, holding no window alive)."""
    if not _follow:
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(_follow[0]()))
        _follow.append(choice_of)
    _follow[0] = choice_of
