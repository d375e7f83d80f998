"""Qt tests run offscreen; pytest-qt fails a test on any Qt warning (see pyproject)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def gui_thread_garbage_collection(qapp):  # type: ignore[no-untyped-def]
    """As in the app: Qt objects are collected in the GUI thread only (ui/gc_guard.py)."""
    from ui import gc_guard

    collector = gc_guard.install()
    yield collector
