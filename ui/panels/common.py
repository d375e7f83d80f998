"""Small layout helpers the panels share."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget


def column(box: QWidget, *widgets: QWidget) -> QVBoxLayout:
    """Lay ``widgets`` out top to bottom in ``box``, with the margins every panel uses."""
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    for widget in widgets:
        layout.addWidget(widget)
    return layout
