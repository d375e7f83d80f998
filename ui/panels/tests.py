"""The test panel: a summary line and one table row per test (mark, call, expected, got, message)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from tutor.runner import TestReport, TestResult
from ui.panels.common import column

READY = "Press F5 to run the tests."


class TestsPanel(QWidget):
    """Shows a ``TestReport``. ``line_chosen(line or None)``: the editor line that the shown result points at
    (a syntax error, the selected failing test), or None when nothing needs marking."""

    __test__ = False
    line_chosen = Signal(object)
    next_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: TestReport | None = None
        self.summary = QLabel(READY)
        self.table = QTableWidget(0, 5)
        self._setup_table()
        self.next_button = QPushButton("Next exercise →")
        self.next_button.setToolTip("Open the next exercise you have not passed (Ctrl+N)")
        self.next_button.setVisible(False)
        self.next_button.clicked.connect(self.next_requested)
        column(self, QLabel("<b>Tests</b>"), self.summary, self.table, self.next_button)

    def _setup_table(self) -> None:
        table = self.table
        table.setHorizontalHeaderLabels(["", "Call", "Expected", "Got", "Message"])
        table.setWordWrap(False)
        table.setAccessibleName("Test results")
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        modes = [
            QHeaderView.ResizeMode.ResizeToContents,
            QHeaderView.ResizeMode.Interactive,
            QHeaderView.ResizeMode.ResizeToContents,
            QHeaderView.ResizeMode.ResizeToContents,
            QHeaderView.ResizeMode.Stretch,
        ]
        for section, mode in enumerate(modes):
            header.setSectionResizeMode(section, mode)
        header.resizeSection(1, 150)
        table.itemSelectionChanged.connect(self._on_selected)

    def clear(self) -> None:
        self.report = None
        self.table.setRowCount(0)
        self.summary.setText(READY)
        self.next_button.setVisible(False)

    def running(self) -> None:
        self.summary.setText("Running the tests…")

    def show_report(self, report: TestReport) -> None:
        """Fill the table, say how many pass, and select the first failing test (which marks its line)."""
        self.report = report
        self.next_button.setVisible(report.passed)
        self.table.setRowCount(len(report.tests))
        for row, test in enumerate(report.tests):
            cells = _cells(test, row + 1)
            for column_index, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{test.status}: {cells[1]}" if column_index == 0 else text)
                if column_index == 0:
                    item.setForeground(QColor("#2e7d32") if test.passed else QColor("#c62828"))
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, test.status)
                self.table.setItem(row, column_index, item)
        if report.syntax_error:
            problem = report.syntax_error
            self.summary.setText(f"<b>{problem.message}</b> on line {problem.line}: no test could run.")
            self.line_chosen.emit(problem.line)
            return
        status = (
            "All tests pass. Well done!"
            if report.passed
            else f"{report.passed_count} of {len(report.tests)} tests pass."
        )
        self.summary.setText(f"{status} ({report.duration_s * 1000:.0f} ms)")
        failure = report.first_failure
        if failure is None:
            self.line_chosen.emit(None)
            return
        self.table.selectRow(report.tests.index(failure))

    def show_failure(self, message: str) -> None:
        """No report: the tests could not be run at all (e.g. no room for the run's temporary folder)."""
        self.report = None
        self.table.setRowCount(0)
        self.summary.setText(message)
        self.line_chosen.emit(None)

    def set_font(self, font: QFont) -> None:
        self.table.setFont(font)

    def _on_selected(self) -> None:
        if self.report is None:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.report.tests):
            self.line_chosen.emit(self.report.tests[rows[0].row()].line)


def _cells(test: TestResult, number: int) -> list[str]:
    """A row: mark, call, expected, got, message; a hidden test shows only that it passed or failed."""
    mark = "✓" if test.passed else "✗"
    if test.hidden:
        return [mark, test.call or f"hidden test {number}", "", "", "passed" if test.passed else "failed"]
    return [mark, test.call, test.expected or "", test.got or "", test.message or "passed"]
