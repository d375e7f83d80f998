"""The one window learners live in: it builds the panels (exercises, tests, hint, status), the description and
the editor, and connects them to the session (``tutor.session``) and the workers (``ui.workers``).

The rules (which model and engine, whether a hint may be given, where progress is kept) are the session's; the
panels only show things and report clicks; test runs and model work happen in the workers.

Saving, and what the window says when a disk refuses, is ``ui/saving.py``'s; hints are ``ui/hint_state.py``'s,
the menu bar ``ui/menus.py``'s, the Output pane and Run program ``ui/output_pane.py``'s, the course actions
(next exercise, reset all progress) ``ui/course_actions.py``'s and pack import ``ui/pack_import.py``'s.
"""

from __future__ import annotations

import time
from functools import partial

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter, QTextBrowser, QWidget

from tutor.engines.base import Engine, EngineError, EngineInfo
from tutor.exercises import Exercise, LoadResult
from tutor.models.store import StoreError
from tutor.policy import Policy
from tutor.progress import ProgressStore
from tutor.runner import ProgramRun, TestReport
from tutor.session import Session
from tutor.workspace import Workspace
from ui.compare_view import install_compare_hints
from ui.course_actions import go_next
from ui.editor import CodeEditor
from ui.exercise_list import ExerciseList, about
from ui.grade_dialog import install_grade_action
from ui.hint_state import HintFlow, HintMemory
from ui.label_dialog import install_rate_hints
from ui.menus import install_menus
from ui.models_dialog import ModelsDialog
from ui.output_pane import OutputPane, ProgramRunner
from ui.pack_import import PackDrops
from ui.panels.hint import HintPanel
from ui.panels.status import StatusPanel
from ui.panels.tests import TestsPanel
from ui.panels.toolbar import Toolbar, add_view_shortcuts
from ui.saving import Saver, autosave_timer, recovery_dialog
from ui.theme import apply_theme, follow_system
from ui.timings import Timings
from ui.web.host import register_in_app
from ui.workers import ModelThread, TestRunner


class MainWindow(QMainWindow, HintFlow):
    tests_shown = Signal(object)  # TestReport
    hint_shown = Signal(object)  # Hint
    model_ready = Signal(object)  # EngineInfo
    stage_shown = Signal(str)  # a pipeline stage, once the UI shows it
    first_text_shown = Signal(str)  # the failing test in words, once the hint pane shows it
    program_shown = Signal(object)  # a ProgramRun, once the Output pane shows it

    def __init__(
        self,
        exercises: LoadResult,
        model_path: str = "",
        progress: ProgressStore | None = None,
        workspace: Workspace | None = None,
        policy: Policy | None = None,
        session: Session | None = None,
    ) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.timings = Timings()
        self.pack, self.exercises = exercises, exercises.exercises
        self.hint_memory = HintMemory()
        self.session = session or Session(policy=policy, progress=progress, workspace=workspace)
        self.current: Exercise | None = None
        self.last_report_code = ""
        self.engine_info: EngineInfo | None = None
        self.model_failed = False  # then hints come from the analysis alone, with the engine's message
        self.tests_running = False
        self._hint_exercise = ""
        self._closed = False  # results that arrive after closing (a cancelled hint, a test run) are dropped
        self.recovery_dialog: QMessageBox | None = None
        self.saver = Saver(self.session, self.show_notice)
        self.setWindowTitle("Offline Python Tutor")
        self.resize(1280, 800)
        self._build()
        self.tests = TestRunner(self)
        self.tests.finished.connect(self._on_tests_finished)
        self.tests.failed.connect(self._on_tests_failed)
        self.program = ProgramRunner(self)
        self.program.finished.connect(self._on_program_finished)
        self.program.failed.connect(lambda _id, message: self.output_pane.show_failure(message))
        self.model = ModelThread(self, self._make_engine())
        self.model.worker.config = self.session.pipeline_config()
        self.model.worker.authorize = self.session.authorize_model  # exam mode, allowed models (sha256)
        self._connect_model()
        self._autosave = autosave_timer(self, self.save_code)
        self.editor.textChanged.connect(self._autosave.start)
        self.editor.textChanged.connect(self._on_code_changed_for_hint)
        self.exercises_panel.fill(self.session.progress.all())
        self._open_initial_exercise()
        if recovered := self.session.progress.recovered_message:  # a damaged progress file was kept aside
            self._later(recovered)
            QTimer.singleShot(0, lambda: setattr(self, "recovery_dialog", recovery_dialog(self, recovered)))
        if sandbox_notice := self.session.sandbox_notice():
            self._later(sandbox_notice)  # once per start, where no OS sandbox can run
        self.model.prepare(self._model_to_load(model_path))
        self.hint_panel.show_policy(self.session.policy)
        self._update_hint_action()
        install_grade_action(
            self, self.exercises, self.session.policy
        )  # teachers: "Grade a folder…" (policy)
        install_compare_hints(self)  # teachers: "Compare hints", when the school's policy allows it
        install_rate_hints(self)  # teachers: "Rate hints" (blind labels), allowed like Compare hints
        install_menus(self)
        self.pack_drops = PackDrops(self)
        apply_theme(self.session.settings.theme)
        follow_system(partial(getattr, self.session.settings, "theme"))  # holds no window

    # -- the session's state, as the window and its tests see it ----------------------------------------------
    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @property
    def hint_running(self) -> bool:
        return self.hint_panel.running

    @property
    def last_report(self) -> TestReport | None:
        return self.tests_panel.report

    # -- building ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.exercises_panel = ExerciseList(self.pack)
        self.exercises_panel.chosen.connect(self._on_exercise_chosen)
        self.description = QTextBrowser()
        self.description.setOpenExternalLinks(False)
        self.description.setAccessibleName("Exercise description")
        self.editor = CodeEditor()
        self.editor.set_zoom(self.session.settings.zoom)
        self.editor.zoom_changed.connect(self._on_zoom)
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.description)
        middle.addWidget(self.editor)
        middle.setSizes([260, 540])
        self.tests_panel = TestsPanel()
        self.tests_panel.line_chosen.connect(self.editor.mark_error_line)
        self.tests_panel.next_requested.connect(lambda: go_next(self))
        self.output_pane = OutputPane()
        self.output_pane.run_requested.connect(self.run_program)
        self.hint_panel = HintPanel()
        self.hint_panel.cancel_requested.connect(self.cancel_hint)
        right = QSplitter(Qt.Orientation.Vertical)
        for part in (self.tests_panel, self.output_pane, self.hint_panel):
            right.addWidget(part)
        right.setSizes([300, 230, 270])
        main = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.exercises_panel, middle, right):
            main.addWidget(widget)
        main.setSizes([300, 520, 460])
        self.setCentralWidget(main)
        self.status_panel = StatusPanel(self.statusBar(), self.session.settings.engine)
        self.status_panel.engine_chosen.connect(self._choose_engine)
        self._build_actions()

    def _build_actions(self) -> None:
        bar = Toolbar(self)
        self.run_action = bar.add("Run tests", QKeySequence(Qt.Key.Key_F5), self.run_tests)
        self.run_program_action = bar.add(
            "Run program",
            QKeySequence("Ctrl+R"),
            lambda: self.run_program(self.output_pane.input.toPlainText()),
        )
        self.hint_action = bar.add("Get hint", QKeySequence("Ctrl+H"), self.request_hint)
        self.cancel_action = bar.add("Cancel", QKeySequence(Qt.Key.Key_Escape), self.cancel_hint)
        self.reset_action = bar.add("Reset code", QKeySequence(), self.reset_code)
        self.models_action = bar.add("Models…", QKeySequence("Ctrl+M"), self.open_models)
        focus: tuple[tuple[str, QWidget], ...] = (
            ("Ctrl+L", self.exercises_panel.list),
            ("Ctrl+F", self.exercises_panel.filter),
            ("Ctrl+E", self.editor),
            ("Ctrl+T", self.tests_panel.table),
            ("Ctrl+J", self.hint_panel.view),
        )
        self.zoom_in_action, self.zoom_out_action = add_view_shortcuts(bar, self.editor, focus)

    # -- model and engine ----------------------------------------------------------------------------------------
    def _make_engine(self) -> Engine:
        """The session's engine; the browser engine is made here, in the GUI thread, when it is the choice."""
        register_in_app()
        try:
            return self.session.make_engine()
        except EngineError as exc:
            self._later(f"The browser engine is not available ({exc}); using native.")
            return self.session.make_engine("native")

    def _model_to_load(self, requested: str) -> str:
        choice = self.session.choose_model(requested)
        if choice.notice():
            self._later(choice.notice())
        return choice.path

    def _choose_engine(self, engine: str) -> None:
        self.session.settings.engine = engine
        if self._save_settings():
            self.show_notice(f"Engine set to {engine}; it is used from the next start.")

    def _connect_model(self) -> None:
        worker = self.model.worker
        worker.progress.connect(self.status_panel.show_progress)
        worker.ready.connect(self._on_model_ready)
        worker.failed.connect(self._on_model_failed)
        worker.stage.connect(self._on_stage)
        worker.token.connect(self._on_token)
        worker.observation.connect(self._on_observation)
        worker.hint_done.connect(self._on_hint_done)
        worker.hint_failed.connect(self.hint_panel.show_failure)

    def _on_model_ready(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.timings.model_ready = self._now()
        self.status_panel.show_ready(info)
        self.model_ready.emit(info)

    def _on_model_failed(self, message: str) -> None:
        self.model_failed = True
        self.status_panel.show_failed()
        self.show_notice(
            f"The model could not be loaded: {message} Tests still run; hints come from your tests alone."
        )

    def open_models(self) -> None:
        policy = self.session.policy
        dialog = ModelsDialog(
            self, store=self.session.store(), downloads_allowed=policy.downloads, endpoint=policy.hf_endpoint
        )
        dialog.model_chosen.connect(self._switch_model)
        dialog.open()
        self.models_dialog = dialog

    def _switch_model(self, path: str) -> None:
        try:
            self.session.use_model(path)  # the dialog saved it too; the session's settings must agree
        except StoreError as exc:
            self.show_notice(f"{exc}.")
            return
        warning = self.session.ram_warning(path)
        if warning:
            self.show_notice(warning)
        self.engine_info, self.model_failed = None, False
        self.status_panel.loading()
        self.model.prepare(path)

    # -- exercises and code --------------------------------------------------------------------------------------
    def _open_initial_exercise(self) -> None:
        last = self.session.settings.last_exercise
        if not self.exercises_panel.select(last) and self.exercises:
            self.exercises_panel.select(self.exercises[0].id)

    def open_exercise(self, exercise_id: str) -> None:
        self.exercises_panel.select(exercise_id)

    def _on_exercise_chosen(self, exercise_id: str) -> None:
        self.save_code()
        exercise = next(e for e in self.exercises if e.id == exercise_id)
        self.current = exercise
        self.description.setMarkdown(f"# {exercise.title}\n\n*{about(exercise)}*\n\n{exercise.description}")
        saved = self.workspace.load(exercise.id)
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(saved if saved is not None else exercise.starter.lstrip("\n"))
        self.editor.mark_error_line(None)
        self.tests_panel.clear()
        self.output_pane.clear()
        self.hint_panel.clear()
        if hasattr(self, "hint_action"):
            self._update_hint_action()
        self.session.settings.last_exercise = exercise.id
        self._save_settings()

    def save_code(self) -> bool:
        """Autosave; False (and one notice, not one per keystroke) when the disk refuses it."""
        return self.current is None or self.saver.code(self.current.id, self.editor.toPlainText())

    @property
    def save_problem(self) -> str:
        return self.saver.problem

    def _save_settings(self) -> bool:
        return self.saver.settings()

    def reset_code(self) -> None:
        if self.current is None:
            return
        answer = QMessageBox.question(
            self, "Reset code", "Replace your code with the starter code? Your current code will be lost."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.editor.setPlainText(self.current.starter.lstrip("\n"))
            self.save_code()

    def _on_zoom(self, steps: int) -> None:
        self.session.settings.zoom = steps
        self._save_settings()
        font = self.hint_panel.view.font()
        font.setPointSizeF(max(6.0, self.font().pointSizeF() + steps))
        self.description.setFont(font)
        self.tests_panel.set_font(font)
        self.output_pane.set_font(font)
        self.hint_panel.set_font(font)

    # -- tests ---------------------------------------------------------------------------------------------------
    def run_tests(self) -> None:
        if self.current is None or self.tests_running:
            return
        self.tests_running = True
        self.save_code()
        self.timings.tests_started = self._now()
        self.tests_panel.running()
        self.last_report_code = self.editor.toPlainText()
        self.tests.start(self.current, self.last_report_code)

    def _on_tests_finished(self, exercise: Exercise, report: TestReport, seconds: float) -> None:
        self.tests_running = False
        if self._closed or self.current is None or exercise.id != self.current.id:
            return
        self.tests_panel.show_report(report)
        self.output_pane.show_tests(report)
        if report.passed:
            self._on_tests_passed_for_hint()
        self.timings.tests_shown = self._now()
        self.timings.tests_runner_s = seconds
        self.saver.run(exercise.id, report)
        self.exercises_panel.refresh_mark(exercise, self.session.progress.of(exercise.id))
        self.tests_shown.emit(report)

    def _on_tests_failed(self, exercise: Exercise, message: str) -> None:
        """No report (the runner could not even start): say why; F5 works again at once."""
        self.tests_running = False
        if self._closed or self.current is None or exercise.id != self.current.id:
            return
        self.tests_panel.show_failure(message)
        self.show_notice(message)

    # -- running the program on its own ----------------------------------------------------------------------
    def run_program(self, stdin: str = "") -> None:
        if self.current is None:
            return
        self.save_code()
        self.output_pane.running()
        self.program.start(self.current.id, self.editor.toPlainText(), stdin)

    def _on_program_finished(self, exercise_id: str, run: ProgramRun) -> None:
        self.output_pane.run_button.setEnabled(True)
        if self._closed or self.current is None or exercise_id != self.current.id:
            return  # another exercise is open now: its pane was cleared
        self.output_pane.show_run(run)
        self.program_shown.emit(run)

    # -- misc ----------------------------------------------------------------------------------------------------
    def show_notice(self, message: str) -> None:
        """A non-blocking message in the status bar and the hint panel's stage line."""
        self.statusBar().showMessage(message, 8000)
        self.hint_panel.show_message(message)

    def _later(self, message: str) -> None:
        """A notice shown once the window is up (messages found while building it)."""
        QTimer.singleShot(0, lambda: self.show_notice(message))

    def _now(self) -> float:
        return time.perf_counter() - self.started

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.saver.may_close(self.save_code()):
            event.ignore()
            return
        self._closed = True
        self.model.stop()
        self.model.worker.engine.close()
        self.tests.wait()
        self.program.wait()
        self.session.close()
        super().closeEvent(event)
