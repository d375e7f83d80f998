"""The code editor: Python highlighting (pygments), line numbers, auto-indent, Tab inserts 4 spaces, bracket
matching, zoom, and a mark on the failing line after a test run. Undo/redo come from QPlainTextEdit."""

from __future__ import annotations

from collections.abc import Callable

from pygments.lexers.python import PythonLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType
from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

INDENT = "    "
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class PythonHighlighter(QSyntaxHighlighter):
    """Colours each line with pygments' tokens; colours follow the light or dark palette."""

    def __init__(self, document: QTextDocument, dark: bool) -> None:
        super().__init__(document)
        self._lexer = PythonLexer(stripnl=False, ensurenl=False)
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        colours = {
            Keyword: "#c678dd" if dark else "#7a1fa2",
            Name.Builtin: "#61afef" if dark else "#1a5fb4",
            Name.Function: "#61afef" if dark else "#1a5fb4",
            String: "#98c379" if dark else "#2d7d2d",
            Number: "#d19a66" if dark else "#a15c00",
            Comment: "#7f848e" if dark else "#6a737d",
            Operator.Word: "#c678dd" if dark else "#7a1fa2",
        }
        self._formats: dict[_TokenType, QTextCharFormat] = {}
        for kind, colour in colours.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if kind is Keyword:
                fmt.setFontWeight(QFont.Weight.Bold)
            if kind is Comment:
                fmt.setFontItalic(True)
            self._formats[kind] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for index, kind, value in self._lexer.get_tokens_unprocessed(text):
            fmt = self._format_for(kind)
            if fmt is not None:
                self.setFormat(index, len(value), fmt)

    def _format_for(self, kind: _TokenType) -> QTextCharFormat | None:
        while kind is not None:
            if kind in self._formats:
                return self._formats[kind]
            kind = kind.parent
        return None


class _LineNumbers(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self.editor.paint_line_numbers(event)


class CodeEditor(QPlainTextEdit):
    """QPlainTextEdit with what a beginner's Python editor needs."""

    zoom_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 11))
        self.setFont(font)
        self._base_point_size = font.pointSizeF()
        self._zoom = 0
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self.setAccessibleName("Code editor")
        self.highlighter = PythonHighlighter(self.document(), is_dark(self.palette()))
        self._numbers = _LineNumbers(self)
        self._error_line: int | None = None
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_numbers)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._update_margin()
        self._refresh_selections()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """Follow the system's light/dark palette when it changes."""
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_dark(is_dark(self.palette()))
            self._refresh_selections()
        super().changeEvent(event)

    # -- zoom --------------------------------------------------------------------------------------------------
    @property
    def zoom(self) -> int:
        return self._zoom

    def set_zoom(self, steps: int) -> None:
        self._zoom = max(-6, min(20, steps))
        font = self.font()
        font.setPointSizeF(max(6.0, self._base_point_size + self._zoom))
        self.setFont(font)
        self._update_margin()
        self.zoom_changed.emit(self._zoom)

    # -- failing line ------------------------------------------------------------------------------------------
    def mark_error_line(self, line: int | None) -> None:
        """Highlight ``line`` (1-based) as the failing line and scroll to it; None clears the mark."""
        self._error_line = line if line and 1 <= line <= self.blockCount() else None
        if self._error_line:
            cursor = QTextCursor(self.document().findBlockByNumber(self._error_line - 1))
            self.setTextCursor(cursor)
            self.centerCursor()
        self._refresh_selections()

    @property
    def error_line(self) -> int | None:
        return self._error_line

    # -- typing helpers ----------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._indent_or_insert()
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._newline_with_indent()
            return
        if key == Qt.Key.Key_Backspace and self._delete_indent_unit():
            return
        super().keyPressEvent(event)

    def _indent_or_insert(self) -> None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            column = cursor.positionInBlock()
            cursor.insertText(" " * (len(INDENT) - column % len(INDENT)))
            return
        self._for_selected_lines(lambda c: c.insertText(INDENT))

    def _dedent(self) -> None:
        def remove(cursor: QTextCursor) -> None:
            text = cursor.block().text()
            width = len(text) - len(text.lstrip(" "))
            for _ in range(min(width, len(INDENT))):
                cursor.deleteChar()

        self._for_selected_lines(remove)

    def _for_selected_lines(self, action: Callable[[QTextCursor], None]) -> None:
        cursor = self.textCursor()
        start = self.document().findBlock(cursor.selectionStart()).blockNumber()
        end = self.document().findBlock(cursor.selectionEnd()).blockNumber()
        cursor.beginEditBlock()
        for number in range(start, end + 1):
            line = QTextCursor(self.document().findBlockByNumber(number))
            line.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            action(line)
        cursor.endEditBlock()

    def _newline_with_indent(self) -> None:
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        indent = before[: len(before) - len(before.lstrip(" "))]
        stripped = before.rstrip()
        if stripped.endswith(":"):
            indent += INDENT
        elif stripped.split() and stripped.split()[0] in ("return", "pass", "break", "continue", "raise"):
            indent = indent[: max(0, len(indent) - len(INDENT))]
        cursor.insertText("\n" + indent)

    def _delete_indent_unit(self) -> bool:
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        before = cursor.block().text()[: cursor.positionInBlock()]
        if not before or before.strip() or len(before) % len(INDENT):
            return False
        cursor.beginEditBlock()
        for _ in range(len(INDENT)):
            cursor.deletePreviousChar()
        cursor.endEditBlock()
        return True

    # -- line numbers and highlights ---------------------------------------------------------------------------
    def line_number_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margin(self, *_: object) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _scroll_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._numbers.setGeometry(QRect(rect.left(), rect.top(), self.line_number_width(), rect.height()))

    def paint_line_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self._numbers)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = round(self.blockBoundingRect(block).height())
        width = self._numbers.width() - 6
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                number = block.blockNumber() + 1
                colour = (
                    QColor("#d32f2f")
                    if number == self._error_line
                    else palette.color(QPalette.ColorRole.PlaceholderText)
                )
                painter.setPen(colour)
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, str(number))
            block = block.next()
            top += height
        painter.end()

    def _refresh_selections(self) -> None:
        selections = []
        dark = is_dark(self.palette())
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(QColor("#2c313a" if dark else "#f2f6fc"))
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections.append(current)
        if self._error_line:
            error = QTextEdit.ExtraSelection()
            error.format.setBackground(QColor("#5c2b2b" if dark else "#fde2e2"))
            error.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            error.cursor = QTextCursor(self.document().findBlockByNumber(self._error_line - 1))
            selections.append(error)
        selections += self._bracket_match()
        self.setExtraSelections(selections)

    def _bracket_match(self) -> list[QTextEdit.ExtraSelection]:
        text = self.toPlainText()
        position = self.textCursor().position()
        for index in (position, position - 1):
            if 0 <= index < len(text) and (text[index] in _PAIRS or text[index] in _CLOSERS):
                other = _matching_bracket(text, index)
                if other is None:
                    return []
                found = []
                for spot in (index, other):
                    selection = QTextEdit.ExtraSelection()
                    selection.format.setBackground(
                        QColor("#3e4451" if is_dark(self.palette()) else "#c8e1ff")
                    )
                    selection.cursor = QTextCursor(self.document())
                    selection.cursor.setPosition(spot)
                    selection.cursor.setPosition(spot + 1, QTextCursor.MoveMode.KeepAnchor)
                    found.append(selection)
                return found
        return []


def _matching_bracket(text: str, index: int) -> int | None:
    """Index of the bracket matching the one at ``index`` (ignores brackets inside strings only roughly)."""
    char = text[index]
    if char in _PAIRS:
        opener, closer, step = char, _PAIRS[char], 1
    else:
        opener, closer, step = char, _CLOSERS[char], -1
    depth = 0
    position = index
    while 0 <= position < len(text):
        if text[position] == opener:
            depth += 1
        elif text[position] == closer:
            depth -= 1
            if depth == 0:
                return position
        position += step
    return None
