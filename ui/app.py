"""Starting the desktop app, and ``tutor app --self-test`` (the whole learner loop, timed, as JSON).

The self-test uses a throw-away workspace and progress file, so it never touches a learner's data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tutor.feedback import Hint
from tutor.progress import ProgressStore
from tutor.runner import sandbox_status
from tutor.session import Session
from tutor.system import memory_mb
from tutor.workspace import Workspace
from ui import gc_guard
from ui.main_window import MainWindow
from ui.models_dialog import ModelsDialog

SELF_TEST_EXERCISE = "grade_letter"
SELF_TEST_LIMIT_S = 300


def _application() -> QApplication:
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("Offline Python Tutor")
    app.setDesktopFileName("offline-tutor")
    gc_guard.install()  # Qt objects must die in the GUI thread (ui/gc_guard.py)
    return app


def process_started() -> float:
    """``time.perf_counter()`` value at which this process started (Linux: from /proc; else now)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        import os

        age = uptime - ticks / os.sysconf("SC_CLK_TCK")
        return time.perf_counter() - max(0.0, age)
    except (OSError, ValueError, IndexError):
        return time.perf_counter()


def run_app(args: argparse.Namespace) -> int:
    started = process_started()
    # the bundled course (unless hidden), pinned and imported packs, and --tasks files: the session's course
    exercises = Session().exercises(getattr(args, "tasks", []))
    for error in exercises.errors:
        print(f"warning: {error}", file=sys.stderr)
    if not exercises.exercises:
        print("tutor: error: no exercises could be loaded", file=sys.stderr)
        return 2
    app = _application()
    if getattr(args, "self_test", False):
        shots = Path(args.screenshots) if getattr(args, "screenshots", None) else None
        return SelfTest(app, exercises, getattr(args, "model", "") or "", started, shots).run()
    window = MainWindow(exercises, model_path=getattr(args, "model", "") or "")
    if getattr(args, "exercise", None):
        window.open_exercise(args.exercise)
    window.show()
    return app.exec()


class SelfTest:
    """Open the window, run the tests on a known-buggy program, ask for a hint, print the timings."""

    def __init__(
        self,
        app: QApplication,
        exercises: Any,
        model_path: str,
        started: float,
        screenshots: Path | None = None,
    ) -> None:
        self.app, self.started, self.screenshots = app, started, screenshots
        self.folder = tempfile.TemporaryDirectory(prefix="tutor-self-test-")
        base = Path(self.folder.name)
        self.window = MainWindow(
            exercises,
            model_path=model_path,
            progress=ProgressStore(base / "progress.db"),
            workspace=Workspace(base / "code"),
        )
        self.result: dict[str, Any] = {"ok": False, "sandbox": sandbox_status().summary}
        self.exercise = next((e for e in exercises.exercises if e.id == SELF_TEST_EXERCISE), None)

    def run(self) -> int:
        if self.exercise is None:
            return self._fail(f"the bundled exercise {SELF_TEST_EXERCISE!r} is missing")
        window = self.window
        window.tests_shown.connect(self._on_tests)
        window.hint_shown.connect(self._on_hint)
        window.first_text_shown.connect(lambda text: self._on_first_text())
        window.model_ready.connect(lambda info: self._maybe_hint())
        window.model.worker.failed.connect(lambda message: self._fail(f"model failed: {message}"))
        window.show()
        QTimer.singleShot(0, self._on_shown)
        QTimer.singleShot(
            SELF_TEST_LIMIT_S * 1000, lambda: self._fail(f"no hint after {SELF_TEST_LIMIT_S} s")
        )
        code = self.app.exec()
        window.close()
        print(json.dumps(self.result, indent=2))
        return code

    def _since_start(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def _on_shown(self) -> None:
        self.result["window_shown_s"] = self._since_start()
        self.window.open_exercise(SELF_TEST_EXERCISE)
        assert self.exercise is not None
        self.window.editor.setPlainText(self.exercise.starter.lstrip("\n"))
        self.window.run_tests()

    def _on_tests(self, report: Any) -> None:
        self.result["test_results_shown_s"] = self._since_start()
        timings = self.window.timings
        self.result["tests_runner_s"] = round(timings.tests_runner_s, 3)
        # F5 to results on screen, minus the runner's own time: what the UI adds
        self.result["tests_ui_overhead_ms"] = round(
            (timings.tests_shown - timings.tests_started - timings.tests_runner_s) * 1000, 1
        )
        self.result["tests_failed"] = len(report.tests) - report.passed_count
        if any("could not start" in test.message for test in report.tests):
            self._fail(f"the test harness could not start (sandbox: {self.result['sandbox']})")
            return
        if report.passed:
            self._fail("the known-buggy program passed its tests")
            return
        self._shoot("1-failing-tests.png")
        self._maybe_hint()

    def _maybe_hint(self) -> None:
        if (
            "test_results_shown_s" in self.result
            and self.window.engine_info
            and "hint_requested_s" not in self.result
        ):
            self.result["model_ready_s"] = round(
                self.window.timings.model_ready + self.window.started - self.started, 3
            )
            self.result["rss_with_model_mb"] = memory_mb("VmRSS")
            self.result["hint_requested_s"] = self._since_start()
            self.window.request_hint()

    def _on_hint(self, hint: Hint) -> None:
        timings = self.window.timings
        offset = self.window.started - self.started
        if timings.first_token:
            self.result["first_hint_token_s"] = round(timings.first_token + offset, 3)
        if timings.first_text:
            self.result["first_text_after_request_s"] = round(timings.first_text - timings.hint_started, 3)
        self.result["hint_done_s"] = self._since_start()
        self.result["peak_rss_mb"] = memory_mb("VmHWM")
        self.result.update(
            hint_status=hint.status,
            hint_source=hint.source,
            hint=hint.hint,
            repair_passed=hint.repair_passed,
            engine=hint.engine.get("name"),
            model=hint.engine.get("model_name"),
            model_file=Path(self.window.engine_info.model_path).name if self.window.engine_info else "",
        )
        if hint.status != "hint" or not hint.hint:
            self._fail(f"no hint came back (status {hint.status})")
            return
        self.result["ok"] = True
        if self.screenshots:
            self.window.hint_panel.explain_button.click()
            QTimer.singleShot(300, self._shoot_hint_and_models)
            return
        self.app.exit(0)

    def _on_first_text(self) -> None:
        """The hint pane's first text (the failing test in words), shot while the repairs still run."""
        if "first_text_shown_s" not in self.result:
            self.result["first_text_shown_s"] = self._since_start()
            self._shoot("1b-first-text.png")

    def _shoot_hint_and_models(self) -> None:
        self._shoot("2-hint.png")
        dialog = ModelsDialog(self.window)
        dialog.show()
        self.app.processEvents()
        dialog.grab().save(str(self.screenshots / "3-models.png")) if self.screenshots else None
        dialog.close()
        self.app.exit(0)

    def _shoot(self, name: str) -> None:
        if self.screenshots:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            self.app.processEvents()
            self.window.grab().save(str(self.screenshots / name))
            self.result.setdefault("screenshots", []).append(str(self.screenshots / name))

    def _fail(self, reason: str) -> int:
        self.result.update(ok=False, reason=reason)
        self.app.exit(1)
        return 1
