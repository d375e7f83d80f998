"""Background work for the window: test runs in a thread pool, and the model in one dedicated thread.

Workers never touch widgets: they emit signals, and Qt queues them to the UI thread. The engine is not
thread-safe, so one ``ModelWorker`` owns it in its own ``QThread``; requests reach it through queued signals.
Cancel is the exception: ``HintPipeline.cancel`` is thread-safe and is called directly from the UI thread.
"""

from __future__ import annotations

import atexit
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot
from shiboken6 import Shiboken

from tutor.engines.base import Engine, EngineError
from tutor.engines.process import ProcessEngine
from tutor.exercises import Exercise
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.models.default_model import DefaultModelError
from tutor.models.store import StoreError
from tutor.runner import TestReport, run
from tutor.saving import reason
from tutor.session import config_for_model, model_file


class _TestSignals(QObject):
    finished = Signal(object, object, float)  # exercise, TestReport, seconds
    failed = Signal(object, str)  # exercise, why no report came


class _TestJob(QRunnable):
    def __init__(self, exercise: Exercise, code: str, signals: _TestSignals) -> None:
        super().__init__()
        self.exercise, self.code, self.signals = exercise, code, signals

    def run(self) -> None:
        """Every run ends in one signal: a report, or why there is none (a job that died silently would leave
        the window waiting for it, with Run tests dead, until it is restarted)."""
        started = time.perf_counter()
        try:
            report = run(self.exercise, self.code)
        except OSError as exc:  # e.g. a full or read-only disk: no room for the run's temporary folder
            why = reason(exc)
            then = (
                "Free some space and run them again."
                if "full" in why
                else "Run them again once that is fixed."
            )
            self.signals.failed.emit(self.exercise, f"The tests could not be run: {why}. {then}")
            return
        except Exception as exc:  # noqa: BLE001 - shown to the learner, never a dead Run tests
            traceback.print_exc()
            self.signals.failed.emit(self.exercise, f"The tests could not be run: {exc}")
            return
        self.signals.finished.emit(self.exercise, report, time.perf_counter() - started)


class TestRunner(QObject):
    """Runs an exercise's tests off the UI thread; ``finished(exercise, report, seconds)``, or
    ``failed(exercise, message)`` when no report could be made."""

    __test__ = False
    finished = Signal(object, object, float)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _TestSignals()
        self._signals.finished.connect(self.finished)
        self._signals.failed.connect(self.failed)

    def start(self, exercise: Exercise, code: str) -> None:
        self._pool.start(_TestJob(exercise, code, self._signals))

    def wait(self) -> None:
        self._pool.waitForDone()


class ModelWorker(QObject):
    """Owns the engine. Lives in its own thread; all slots run there."""

    progress = Signal(int, str)  # percent (or -1 when unknown), message
    ready = Signal(object)  # EngineInfo
    failed = Signal(str)
    stage = Signal(str)
    token = Signal(str)
    observation = Signal(str)  # the failing test in words, sent before any repair is tried
    hint_done = Signal(object)  # Hint
    hint_failed = Signal(str)

    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__()
        self.engine: Engine = engine or ProcessEngine()  # llama.cpp in its own process
        self.config = PipelineConfig()  # the session's, with the school's avoid-list
        self.model_path = ""  # the loaded model: its catalog entry says who writes the hint's words
        # the session's model check (``Session.authorize_model``), run on the very file that is loaded
        self.authorize: Callable[[Path], Path] | None = None
        self._pipeline: HintPipeline | None = None

    @Slot(str)
    def prepare(self, model_path: str) -> None:
        try:
            if not model_path:
                self.progress.emit(0, "Preparing the built-in model…")
            path = model_file(
                model_path,
                lambda done, total: self.progress.emit(
                    int(done * 90 / max(total, 1)), "Preparing the built-in model…"
                ),
            )
            if self.authorize is not None:
                path = self.authorize(path)
            self.progress.emit(92, "Loading the model…")
            self.engine.load(path)
            self.model_path = str(path)
            self.progress.emit(100, "Model ready")
            self.ready.emit(self.engine.info())
        except (EngineError, DefaultModelError, StoreError, OSError) as exc:
            self.failed.emit(str(exc))

    @Slot(object, str, object)
    def hint(self, exercise: Exercise, code: str, report: TestReport | None) -> None:
        config = config_for_model(self.config, self.model_path)
        self._pipeline = HintPipeline(
            self.engine,
            config,
            on_stage=self.stage.emit,
            on_token=self.token.emit,
            on_observation=self.observation.emit,
        )
        try:
            self.hint_done.emit(self._pipeline.run(exercise, code, report))
        except Exception as exc:  # noqa: BLE001 - shown to the learner, never a crash
            traceback.print_exc()
            self.hint_failed.emit(f"The hint could not be made: {exc}")
        finally:
            self._pipeline = None

    def cancel(self) -> None:
        """Thread-safe: stops the running hint after the current token."""
        pipeline = self._pipeline
        if pipeline is not None:
            pipeline.cancel()


class ModelThread(QObject):
    """Starts a ``ModelWorker`` in its own ``QThread`` and forwards requests to it as queued signals."""

    _prepare = Signal(str)
    _hint = Signal(object, str, object)

    def __init__(self, parent: QObject | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("model")
        self.worker = ModelWorker(engine)
        self.worker.moveToThread(self.worker_thread)
        self._prepare.connect(self.worker.prepare)
        self._hint.connect(self.worker.hint)
        self.worker_thread.start()
        # a window destroyed without being closed must not destroy a running QThread (Qt aborts the process):
        # stop it when this object goes, through a callable that holds the thread and worker but not ``self``
        thread, worker = self.worker_thread, self.worker
        self.destroyed.connect(lambda: _stop(worker, thread))
        _running.append((worker, thread))  # and at the latest when the interpreter exits (see _stop_all)

    def prepare(self, model_path: str = "") -> None:
        self._prepare.emit(model_path)

    def hint(self, exercise: Exercise, code: str, report: TestReport | None) -> None:
        self._hint.emit(exercise, code, report)

    def cancel(self) -> None:
        self.worker.cancel()

    def stop(self) -> None:
        _stop(self.worker, self.worker_thread)


_running: list[tuple[ModelWorker, QThread]] = []


def _stop(worker: ModelWorker, thread: QThread) -> None:
    if (worker, thread) in _running:
        _running.remove((worker, thread))
    if not Shiboken.isValid(thread):  # already stopped by close(), and Qt has since deleted it at teardown
        return
    worker.cancel()
    thread.quit()
    thread.wait()  # the worker's slots end soon after a cancel; a QThread destroyed while running aborts Qt
    if worker.engine.capabilities().process:
        worker.engine.close()  # the engine process ends with the window


@atexit.register
def _stop_all() -> None:
    """A window dropped without closing may be collected only at exit, after its ``destroyed`` handlers can run:
    stop its model thread here, before the interpreter tears the objects down."""
    for worker, thread in list(_running):
        _stop(worker, thread)
