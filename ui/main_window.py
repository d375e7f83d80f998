"""The one window learners live in: exercise list, description, editor, test panel, hint panel, status bar.

All test runs and model work happen in workers (``ui.workers``); this module only reacts to their signals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from tutor.engines.base import Engine, EngineError, EngineInfo
from tutor.exercises import Exercise, LoadResult
from tutor.feedback import Hint
from tutor.models.catalog import ram_warning
from tutor.models.choice import choose_model, store_for
from tutor.models.store import StoreError
from tutor.policy import Policy, load_policy
from tutor.progress import ProgressStore
from tutor.runner import TestReport
from tutor.settings import Settings
from tutor.system import memory_gib
from tutor.workspace import Workspace
from ui.editor import CodeEditor
from ui.workers import ModelThread, TestRunner

MARKS = {"solved": "✓", "attempted": "•", "new": " "}
STAGES = {"testing": "Running the tests…", "repairing": "Trying repairs…", "writing hint": "Writing a hint…",
          "rewriting hint": "Writing a better hint…"}


@dataclass
class Timings:
    """Moments of the learner loop, in seconds since the window was created (for the self-test)."""

    created: float = 0.0
    tests_started: float = 0.0
    tests_shown: float = 0.0
    tests_runner_s: float = 0.0
    hint_started: float = 0.0
    first_token: float = 0.0
    hint_done: float = 0.0
    model_ready: float = 0.0


class MainWindow(QMainWindow):
    tests_shown = Signal(object)  # TestReport
    hint_shown = Signal(object)  # Hint
    model_ready = Signal(object)  # EngineInfo
    stage_shown = Signal(str)  # a pipeline stage, once the UI shows it

    def __init__(self, exercises: LoadResult, model_path: str = "", progress: ProgressStore | None = None,
                 workspace: Workspace | None = None, policy: Policy | None = None) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.timings = Timings()
        self.exercises = exercises.exercises
        self.settings = Settings.load()
        self.policy = policy or load_policy()
        data_dir = Path(self.policy.progress_dir) if self.policy.progress_dir else None
        self.progress_store = progress or ProgressStore(data_dir / "progress.db" if data_dir else None)
        self.workspace = workspace or Workspace(data_dir / "code" if data_dir else None)
        self.current: Exercise | None = None
        self.last_report: TestReport | None = None
        self.last_report_code = ""
        self.engine_info: EngineInfo | None = None
        self.hint_running = False
        self.tests_running = False
        self._streamed = ""
        self.setWindowTitle("Offline Python Tutor")
        self.resize(1280, 800)
        self._build()
        self.tests = TestRunner(self)
        self.tests.finished.connect(self._on_tests_finished)
        self.model = ModelThread(self, self._engine_from_settings())
        worker = self.model.worker
        worker.avoid = tuple(self.policy.avoid)
        worker.progress.connect(self._on_model_progress)
        worker.ready.connect(self._on_model_ready)
        worker.failed.connect(self._on_model_failed)
        worker.stage.connect(self._on_stage)
        worker.token.connect(self._on_token)
        worker.hint_done.connect(self._on_hint_done)
        worker.hint_failed.connect(self._on_hint_failed)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(700)
        self._autosave.timeout.connect(self.save_code)
        self.editor.textChanged.connect(self._autosave.start)
        self._fill_exercise_list()
        self._open_initial_exercise()
        if self.progress_store.recovered_message:
            QTimer.singleShot(0, lambda: self.show_notice(self.progress_store.recovered_message))
        self.model.prepare(self._model_to_load(model_path))
        self._apply_policy()

    def _engine_from_settings(self) -> Engine | None:
        """The browser engine when the learner chose it in the status bar; otherwise the native one. ``auto`` is
        native here: Qt WebEngine 6.x gives the page no WebGPU adapter (``tutor doctor`` shows the probe)."""
        if self.settings.engine != "browser":
            return None
        try:
            from ui.web.engine import BrowserEngine

            self._browser = BrowserEngine()
            return self._browser
        except (ImportError, EngineError) as exc:
            message = f"The browser engine is not available ({exc}); using native."
            QTimer.singleShot(0, lambda: self.show_notice(message))
            return None

    def _choose_engine(self, index: int) -> None:
        self.settings.engine = self.engine_choice.itemData(index)
        self.settings.save()
        self.show_notice(f"Engine set to {self.settings.engine}; it is used from the next start.")

    # -- policy ------------------------------------------------------------------------------------------------
    def _model_to_load(self, requested: str) -> str:
        wanted = requested or self.settings.model_path
        if wanted and not Path(wanted).is_file():
            QTimer.singleShot(0, lambda: self.show_notice(f"The chosen model {wanted} is gone; using the built-in one."))
            wanted = ""
        try:
            chosen, note = choose_model(self.policy, wanted, store_for(self.policy))
        except StoreError as exc:
            chosen, note = choose_model(self.policy, "", store_for(self.policy))
            note = f"{exc}; using {note or 'the built-in model'}"
        if chosen and Path(chosen).is_file():
            warning = ram_warning(Path(chosen).stat().st_size, memory_gib()[1])
            note = f"{note}. {warning}" if note and warning else (warning or note)
        if note:
            QTimer.singleShot(0, lambda: self.show_notice(note[0].upper() + note[1:].rstrip(".") + "."))
        return chosen

    def _apply_policy(self) -> None:
        """Show what the school's policy changes: exam mode, a broken policy, hints left."""
        if self.policy.error:
            self.policy_banner.setText(f"<b>The school's policy has an error</b> ({self.policy.error}). "
                                       "Hints and downloads are off until it is fixed.")
        elif self.policy.exam_mode:
            self.policy_banner.setText("<b>Exam mode</b>: hints are off. Tests still run.")
        self.policy_banner.setVisible(bool(self.policy.error or self.policy.exam_mode))
        self._update_hint_action()

    def hints_left(self) -> int | None:
        if self.current is None:
            return None
        return self.policy.hints_left(self.progress_store.of(self.current.id).hints)

    def _update_hint_action(self) -> None:
        left = self.hints_left()
        allowed = self.policy.hints_allowed and left != 0
        self.hint_action.setEnabled(allowed)
        self.hint_action.setText("Get hint" if left is None else f"Get hint ({left} left)")

    # -- building ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_actions()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter exercises…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter exercises")
        self.filter.textChanged.connect(self._apply_filter)
        self.exercise_list = QListWidget()
        self.exercise_list.setAccessibleName("Exercises")
        self.exercise_list.currentItemChanged.connect(self._on_exercise_chosen)
        left = _column(QLabel("<b>Exercises</b>"), self.filter, self.exercise_list)

        self.description = QTextBrowser()
        self.description.setOpenExternalLinks(False)
        self.description.setAccessibleName("Exercise description")
        self.editor = CodeEditor()
        self.editor.set_zoom(self.settings.zoom)
        self.editor.zoom_changed.connect(self._on_zoom)
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.description)
        middle.addWidget(self.editor)
        middle.setSizes([260, 540])

        self.test_summary = QLabel("Press F5 to run the tests.")
        self.test_table = QTableWidget(0, 5)
        self.test_table.setHorizontalHeaderLabels(["", "Call", "Expected", "Got", "Message"])
        self.test_table.setWordWrap(False)
        self.test_table.setAccessibleName("Test results")
        self.test_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.test_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.test_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.test_table.verticalHeader().setVisible(False)
        header = self.test_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(1, 150)
        self.test_table.itemSelectionChanged.connect(self._on_test_selected)
        tests_panel = _column(QLabel("<b>Tests</b>"), self.test_summary, self.test_table)

        self.hint_stage = QLabel("Ask for a hint with Ctrl+H when a test fails.")
        self.hint_stage.setWordWrap(True)
        self.hint_busy = QProgressBar()
        self.hint_busy.setMaximum(0)
        self.hint_busy.setTextVisible(False)
        self.hint_busy.setVisible(False)
        self.hint_view = QTextBrowser()
        self.hint_view.setAccessibleName("Hint")
        self.explain_button = QPushButton("Show explanation")
        self.explain_button.setEnabled(False)
        self.explain_button.clicked.connect(self._toggle_explanation)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.explain_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        self.explanation_view = QLabel()
        self.explanation_view.setWordWrap(True)
        self.explanation_view.setVisible(False)
        self.explanation_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.policy_banner = QLabel()
        self.policy_banner.setWordWrap(True)
        self.policy_banner.setVisible(False)
        self.policy_banner.setStyleSheet("background: #fff3cd; color: #5c4400; padding: 6px; border-radius: 4px;")
        self.policy_banner.setAccessibleName("School policy notice")
        hint_panel = _column(QLabel("<b>Hint</b>"), self.policy_banner, self.hint_stage, self.hint_busy, self.hint_view,
                             self.explanation_view)
        hint_panel.layout().addLayout(buttons)  # type: ignore[union-attr]

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(tests_panel)
        right.addWidget(hint_panel)
        main = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, middle, right):
            main.addWidget(widget)
        main.setSizes([220, 580, 480])
        self.setCentralWidget(main)

        self.engine_label = QLabel("Model: preparing…")
        self.model_progress = QProgressBar()
        self.model_progress.setMaximum(100)
        self.model_progress.setMaximumWidth(220)
        self.model_progress.setFormat("Model %p%")
        self.engine_choice = QComboBox()
        self.engine_choice.setAccessibleName("Engine")
        for label, value in (("Engine: auto", "auto"), ("Engine: native", "native"), ("Engine: browser", "browser")):
            self.engine_choice.addItem(label, value)
        self.engine_choice.setCurrentIndex(max(0, self.engine_choice.findData(self.settings.engine)))
        self.engine_choice.currentIndexChanged.connect(self._choose_engine)
        self.statusBar().addPermanentWidget(self.engine_choice)
        self.statusBar().addPermanentWidget(self.model_progress)
        self.statusBar().addPermanentWidget(self.engine_label)

    def _build_actions(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        specs = [
            ("run_action", "Run tests", QKeySequence(Qt.Key.Key_F5), self.run_tests),
            ("hint_action", "Get hint", QKeySequence("Ctrl+H"), self.request_hint),
            ("cancel_action", "Cancel", QKeySequence(Qt.Key.Key_Escape), self.cancel_hint),
            ("reset_action", "Reset code", QKeySequence(), self.reset_code),
            ("models_action", "Models…", QKeySequence("Ctrl+M"), self.open_models),
            ("zoom_in_action", "Zoom in", QKeySequence(QKeySequence.StandardKey.ZoomIn), lambda: self.editor.set_zoom(self.editor.zoom + 1)),
            ("zoom_out_action", "Zoom out", QKeySequence(QKeySequence.StandardKey.ZoomOut), lambda: self.editor.set_zoom(self.editor.zoom - 1)),
        ]
        for name, text, shortcut, slot in specs:
            action = QAction(text, self)
            if not shortcut.isEmpty():
                action.setShortcut(shortcut)
                action.setToolTip(f"{text} ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})")
            action.triggered.connect(slot)
            setattr(self, name, action)
            if name not in ("zoom_in_action", "zoom_out_action"):
                toolbar.addAction(action)
            else:
                self.addAction(action)
        extra_zoom = QAction(self)
        extra_zoom.setShortcut(QKeySequence("Ctrl+="))
        extra_zoom.triggered.connect(lambda: self.editor.set_zoom(self.editor.zoom + 1))
        self.addAction(extra_zoom)
        # keyboard-only use: Tab belongs to the editor, so focus moves with shortcuts
        for keys, target in (("Ctrl+L", "exercise_list"), ("Ctrl+F", "filter"), ("Ctrl+E", "editor"),
                             ("Ctrl+T", "test_table"), ("Ctrl+J", "hint_view")):
            action = QAction(self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _=False, name=target: getattr(self, name).setFocus())
            self.addAction(action)

    # -- exercises -----------------------------------------------------------------------------------------------
    def _fill_exercise_list(self) -> None:
        states = self.progress_store.all()
        with QSignalBlocker(self.exercise_list):
            self.exercise_list.clear()
            for exercise in self.exercises:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, exercise.id)
                self._set_mark(item, exercise, states.get(exercise.id))
                self.exercise_list.addItem(item)

    def _set_mark(self, item: QListWidgetItem, exercise: Exercise, progress: object) -> None:
        state = getattr(progress, "state", "new")
        item.setText(f"{MARKS[state]}  {exercise.title}")
        item.setToolTip(f"{exercise.title} ({exercise.topic or 'exercise'}): {state}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{exercise.title}, {state}")

    def _refresh_mark(self, exercise: Exercise) -> None:
        for row in range(self.exercise_list.count()):
            item = self.exercise_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == exercise.id:
                self._set_mark(item, exercise, self.progress_store.of(exercise.id))

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, exercise in enumerate(self.exercises):
            haystack = f"{exercise.title} {exercise.topic} {exercise.id}".lower()
            self.exercise_list.item(row).setHidden(bool(needle) and needle not in haystack)

    def _open_initial_exercise(self) -> None:
        ids = [e.id for e in self.exercises]
        row = ids.index(self.settings.last_exercise) if self.settings.last_exercise in ids else 0
        if ids:
            self.exercise_list.setCurrentRow(row)

    def open_exercise(self, exercise_id: str) -> None:
        ids = [e.id for e in self.exercises]
        if exercise_id in ids:
            self.exercise_list.setCurrentRow(ids.index(exercise_id))

    def _on_exercise_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        self.save_code()
        exercise = next(e for e in self.exercises if e.id == item.data(Qt.ItemDataRole.UserRole))
        self.current = exercise
        self.description.setMarkdown(f"# {exercise.title}\n\n{exercise.description}")
        saved = self.workspace.load(exercise.id)
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(saved if saved is not None else exercise.starter.lstrip("\n"))
        self.editor.mark_error_line(None)
        self._clear_results()
        if hasattr(self, "policy_banner"):
            self._update_hint_action()
        self.settings.last_exercise = exercise.id
        self.settings.save()

    def _clear_results(self) -> None:
        self.last_report = None
        self.test_table.setRowCount(0)
        self.test_summary.setText("Press F5 to run the tests.")
        if not self.hint_running:
            self.hint_view.clear()
            self.explanation_view.clear()
            self.explanation_view.setVisible(False)
            self.explain_button.setEnabled(False)
            self.hint_stage.setText("Ask for a hint with Ctrl+H when a test fails.")

    # -- code ----------------------------------------------------------------------------------------------------
    def save_code(self) -> None:
        if self.current is not None:
            self.workspace.save(self.current.id, self.editor.toPlainText())

    def reset_code(self) -> None:
        if self.current is None:
            return
        answer = QMessageBox.question(self, "Reset code",
                                      "Replace your code with the starter code? Your current code will be lost.")
        if answer == QMessageBox.StandardButton.Yes:
            self.editor.setPlainText(self.current.starter.lstrip("\n"))
            self.save_code()

    def _on_zoom(self, steps: int) -> None:
        self.settings.zoom = steps
        self.settings.save()
        font = self.hint_view.font()
        font.setPointSizeF(max(6.0, self.font().pointSizeF() + steps))
        for widget in (self.hint_view, self.description, self.test_table, self.explanation_view):
            widget.setFont(font)

    # -- tests ---------------------------------------------------------------------------------------------------
    def run_tests(self) -> None:
        if self.current is None or self.tests_running:
            return
        self.tests_running = True
        self.save_code()
        self.timings.tests_started = self._now()
        self.test_summary.setText("Running the tests…")
        self.last_report_code = self.editor.toPlainText()
        self.tests.start(self.current, self.last_report_code)

    def _on_tests_finished(self, exercise: Exercise, report: TestReport, seconds: float) -> None:
        self.tests_running = False
        if self.current is None or exercise.id != self.current.id:
            return
        self.last_report = report
        self.show_report(report)
        self.timings.tests_shown = self._now()
        self.timings.tests_runner_s = seconds
        self.progress_store.record_run(exercise.id, report.passed_count, len(report.tests))
        self._refresh_mark(exercise)
        self.tests_shown.emit(report)

    def show_report(self, report: TestReport) -> None:
        self.test_table.setRowCount(len(report.tests))
        for row, test in enumerate(report.tests):
            mark = "✓" if test.passed else "✗"
            cells = [mark, test.call, test.expected or "", test.got or "", test.message or "passed"]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{test.status}: {test.call}" if column == 0 else text)
                if column == 0:
                    item.setForeground(QColor("#2e7d32") if test.passed else QColor("#c62828"))
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, test.status)
                self.test_table.setItem(row, column, item)
        if report.syntax_error:
            problem = report.syntax_error
            self.test_summary.setText(f"<b>{problem.message}</b> on line {problem.line}: no test could run.")
            self.editor.mark_error_line(problem.line)
            return
        status = "All tests pass. Well done!" if report.passed else f"{report.passed_count} of {len(report.tests)} tests pass."
        self.test_summary.setText(f"{status} ({report.duration_s * 1000:.0f} ms)")
        failure = report.first_failure
        if failure is None:
            self.editor.mark_error_line(None)
            return
        self.test_table.selectRow(report.tests.index(failure))

    def _on_test_selected(self) -> None:
        if self.last_report is None:
            return
        rows = self.test_table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.last_report.tests):
            self.editor.mark_error_line(self.last_report.tests[rows[0].row()].line)

    # -- hints ---------------------------------------------------------------------------------------------------
    def request_hint(self) -> None:
        if self.current is None:
            return
        if self.hint_running:
            self.show_notice("A hint is already being written. Wait for it, or press Cancel (Esc).")
            return
        if not self.policy.hints_allowed:
            self.show_notice("Hints are off (exam mode)." if self.policy.exam_mode else
                             "Hints are off until the school's policy is fixed.")
            return
        if self.hints_left() == 0:
            self.show_notice(f"No hints left for this exercise (your school allows {self.policy.hints_per_exercise}).")
            return
        if self.engine_info is None:
            self.show_notice(f"The model is still being prepared ({self.model_progress.value()}%). "
                             "You can keep editing and running tests meanwhile.")
            return
        code = self.editor.toPlainText()
        report = self.last_report if self.last_report is not None and code == self.last_report_code else None
        self.hint_running = True
        self._streamed = ""
        self.timings.hint_started, self.timings.first_token = self._now(), 0.0
        self.hint_view.clear()
        self.explanation_view.setVisible(False)
        self.explain_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.hint_busy.setVisible(True)
        self.hint_stage.setText(STAGES["testing"])
        self._hint_exercise = self.current.id
        self.model.hint(self.current, code, report)

    def cancel_hint(self) -> None:
        if self.hint_running:
            self.model.cancel()
            self.hint_stage.setText("Cancelling…")

    def _on_stage(self, stage: str) -> None:
        self.hint_stage.setText(STAGES.get(stage, stage))
        if stage == "rewriting hint":
            self._streamed = ""
            self.hint_view.clear()
        self.stage_shown.emit(stage)

    def _on_token(self, piece: str) -> None:
        if not self.timings.first_token:
            self.timings.first_token = self._now()
        self._streamed += piece
        self.hint_view.setPlainText(self._streamed)

    def _on_hint_done(self, hint: Hint) -> None:
        self._end_hint()
        if hint.status == "hint":  # a cancelled or passing request does not use up the quota
            self.progress_store.record_hint(self._hint_exercise)
        self._update_hint_action()
        self.timings.hint_done = self._now()
        if hint.status == "cancelled":
            self.hint_stage.setText("Hint cancelled.")
            self.hint_view.clear()
        elif hint.status == "passing":
            self.hint_stage.setText("All tests pass: nothing to hint at.")
            self.hint_view.setPlainText(hint.hint)
        else:
            origin = "from the model" if hint.source == "model" else "from your tests and a checked repair" \
                if hint.repair_passed else "from your tests"
            self.hint_stage.setText(f"Hint ({origin}, {hint.timings.get('total_s', 0):.1f} s):")
            self.hint_view.setPlainText(hint.hint)
            self.explanation_view.setText(hint.explanation)
            self.explain_button.setEnabled(bool(hint.explanation))
            self.set_speed(hint.tokens.get("hint_completion", 0), hint.timings.get("hint_model_s", 0.0))
            if hint.line:
                self.editor.mark_error_line(hint.line)
        self.hint_shown.emit(hint)

    def _on_hint_failed(self, message: str) -> None:
        self._end_hint()
        self.hint_stage.setText(message)

    def _end_hint(self) -> None:
        self.hint_running = False
        self.hint_busy.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.explain_button.setText("Show explanation")

    def _toggle_explanation(self) -> None:
        visible = not self.explanation_view.isVisible()
        self.explanation_view.setVisible(visible)
        self.explain_button.setText("Hide explanation" if visible else "Show explanation")

    def open_models(self) -> None:
        from ui.models_dialog import ModelsDialog

        dialog = ModelsDialog(self, store=store_for(self.policy), downloads_allowed=self.policy.downloads,
                              endpoint=self.policy.hf_endpoint)
        dialog.model_chosen.connect(self._switch_model)
        dialog.open()
        self.models_dialog = dialog

    def _switch_model(self, path: str) -> None:
        warning = ram_warning(Path(path).stat().st_size, memory_gib()[1]) if path and Path(path).is_file() else ""
        if warning:
            self.show_notice(warning)
        self.engine_info = None
        self.model_progress.setValue(0)
        self.model_progress.setVisible(True)
        self.engine_label.setText("Loading the chosen model…")
        self.model.prepare(path)

    # -- model ---------------------------------------------------------------------------------------------------
    def _on_model_progress(self, percent: int, message: str) -> None:
        self.model_progress.setValue(percent)
        self.engine_label.setText(message)

    def _on_model_ready(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.timings.model_ready = self._now()
        self.model_progress.setVisible(False)
        self.engine_label.setText(f"Engine: {info.name} ({info.backend}, {info.threads} threads) · Model: {info.model_name}")
        self.model_ready.emit(info)

    def _on_model_failed(self, message: str) -> None:
        self.model_progress.setVisible(False)
        self.engine_label.setText("Model unavailable")
        self.show_notice(f"The model could not be loaded: {message} Tests still run; hints need a model.")

    def set_speed(self, tokens: int, seconds: float) -> None:
        """Show the model's speed on the last hint next to the engine and model names."""
        if self.engine_info and tokens and seconds:
            info = self.engine_info
            self.engine_label.setText(f"Engine: {info.name} ({info.backend}, {info.threads} threads) · "
                                      f"Model: {info.model_name} · {tokens / seconds:.1f} tokens/s")

    # -- misc ----------------------------------------------------------------------------------------------------
    def show_notice(self, message: str) -> None:
        """A non-blocking message in the status bar and the hint panel's stage line."""
        self.statusBar().showMessage(message, 8000)
        if not self.hint_running:
            self.hint_stage.setText(message)

    def _now(self) -> float:
        return time.perf_counter() - self.started

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_code()
        self.model.stop()
        if getattr(self, "_browser", None) is not None:
            self._browser.close()
        self.tests.wait()
        self.progress_store.close()
        super().closeEvent(event)


def _column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    for widget in widgets:
        layout.addWidget(widget)
    return box
