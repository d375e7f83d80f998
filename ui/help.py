"""The F1 help page: how tests, hidden tests, hints and the hint quota work, and the keys. Short on purpose: a
beginner reads it once; the keys are listed from the window's own actions, so they are never out of date."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

PAGE = """
<h2>How the tutor works</h2>
<p><b>Exercises</b> are grouped in units, in the order a beginner takes them. Each one says what it is:
<i>Write</i> (the starter is a stub for you to complete) or <i>Fix the bug</i> (the starter is a program with a
mistake in it). The stars show how hard it is (★ first week … ★★★★★).</p>
<p><b>Tests</b> check your code: <i>Run tests</i> runs every test and shows which pass. A test calls your
function, or runs your whole program with some input and compares what it prints. What your code printed during
each test is in the <i>Output</i> pane.</p>
<p><b>Hidden tests</b> are shown only as "hidden test N: passed" or "failed": you never see their input or the
expected answer, so a program that only fits the visible tests does not pass.</p>
<p><b>Run program</b> runs your code on its own, like a terminal would, with what you type in the input box as
its input. If the program asks for more input than you gave, the Output pane says so.</p>
<p><b>Hints</b> look at your code and your first failing test and point at one thing to fix, without giving the
answer. Writing one takes some seconds. Asking again without changing your code shows the same hint again, free.
When you change the code the hint is marked as old; when all tests pass it goes away.</p>
<p><b>The hint quota</b>: a school can allow only a few hints per exercise. The <i>Get hint</i> button then says
how many are left and what the next one costs. In exam mode there are no hints; tests still run.</p>
<p>Your code is saved as you type, and the tutor opens where you left off.</p>
"""


def keys_table(actions: Sequence[QAction]) -> str:
    """An HTML table of each named action and its shortcut."""
    rows = []
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        name = action.text().replace("&", "").rstrip("…").rstrip(".")
        if keys and name:
            rows.append(f"<tr><td>{escape(name)}</td><td><b>{escape(keys)}</b></td></tr>")
    return "<h3>Keys</h3><table cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>"


class HelpDialog(QDialog):
    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Help")
        self.resize(560, 620)
        self.view = QTextBrowser()
        self.view.setAccessibleName("Help")
        self.view.setHtml(PAGE + keys_table(actions))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
