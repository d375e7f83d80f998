"""The app outlives its engine: the native engine process is killed in the middle of a hint (SIGSEGV, SIGKILL);
the browser engine's renderer process is killed in the middle of a hint. Each time the hint still arrives (the
analysis hint and one sentence), nothing typed is lost, and the next hint runs in a fresh engine."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from tutor.engines.base import CRASHED, EngineCrashed, GenerationParams
from tutor.engines.process import ProcessEngine
from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig
from ui.main_window import MainWindow

pytestmark = pytest.mark.slow
PACK = load_bundled()
WAIT_MS = 600_000  # generous: a machine shared by many busy processes is slow; an idle one takes seconds
# the typed code has no repair that passes; the model is asked for a hint anyway, so that it can crash there
QUICK = PipelineConfig(repairs=1, hint_max_tokens=40, model_hint_needs_repair=False)
TYPED = "def factorial(n):\n    # my own note: where does this stop?\n    return n * factorial(n - 1)\n"


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_app_survives_its_engine_process_dying_mid_hint(
    qtbot, default_model: Path, sig: signal.Signals
) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(PACK, model_path=str(default_model))
    qtbot.addWidget(win)
    win.model.worker.config = QUICK
    win.show()
    qtbot.waitUntil(lambda: win.engine_info is not None, timeout=WAIT_MS)
    engine = win.model.worker.engine
    assert isinstance(engine, ProcessEngine)
    first = engine.pid
    assert first is not None and "engine" in Path(f"/proc/{first}/cmdline").read_text()
    win.open_exercise("factorial")
    win.editor.setPlainText(TYPED)

    def kill_soon(stage: str) -> None:
        if stage == "writing hint" and engine.pid == first:
            QTimer.singleShot(400, lambda: os.kill(first, sig))

    win.stage_shown.connect(kill_soon)
    with qtbot.waitSignal(win.hint_shown, timeout=WAIT_MS) as blocker:
        win.request_hint()
    win.stage_shown.disconnect(kill_soon)
    hint = blocker.args[0]
    assert hint.status == "hint" and hint.source == "analysis" and hint.notice == CRASHED
    assert win.hint_panel.view.toPlainText() == hint.hint and CRASHED in win.hint_panel.stage.text()
    assert win.isVisible() and win.editor.toPlainText() == TYPED
    assert win.session.progress.of("factorial").hints == 1
    win.save_code()
    assert win.workspace.load("factorial") == TYPED
    with qtbot.waitSignal(win.hint_shown, timeout=WAIT_MS) as blocker:
        win.request_hint()
    again = blocker.args[0]
    assert again.status == "hint" and again.notice == "" and again.tokens["hint_calls"] >= 1
    assert engine.pid not in (None, first) and again.engine["details"]["process"]["pid"] == engine.pid
    assert win.editor.toPlainText() == TYPED and win.session.progress.of("factorial").hints == 2


def test_app_with_a_model_that_crashes_at_load(qtbot, crashing_model: Path, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(PACK, model_path=str(crashing_model))
    qtbot.addWidget(win)
    win.model.worker.config = QUICK
    win.show()
    qtbot.waitUntil(lambda: win.model_failed, timeout=WAIT_MS)
    assert win.status_panel.engine_label.text() == "Model unavailable" and win.isVisible()
    win.open_exercise("factorial")
    win.editor.setPlainText(TYPED)
    with qtbot.waitSignal(win.hint_shown, timeout=WAIT_MS) as blocker:
        win.request_hint()
    hint = blocker.args[0]
    assert (
        hint.status == "hint" and hint.source == "analysis" and win.hint_panel.view.toPlainText() == hint.hint
    )
    assert (
        hint.notice.startswith("The model stopped unexpectedly while loading")
        and hint.notice in win.hint_panel.stage.text()
    )
    assert win.editor.toPlainText() == TYPED
    with qtbot.waitSignal(win.model_ready, timeout=WAIT_MS):
        win._switch_model(str(default_model))
    engine = win.model.worker.engine
    assert isinstance(engine, ProcessEngine) and engine.pid is not None
    with qtbot.waitSignal(win.hint_shown, timeout=WAIT_MS) as blocker:
        win.request_hint()
    assert blocker.args[0].notice == "" and blocker.args[0].tokens["hint_calls"] >= 1
    assert win.editor.toPlainText() == TYPED


browser_built = pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "resources" / "web" / "index.html").is_file(),
    reason="the browser engine's files are not built (packaging/install.sh builds them)",
)


@browser_built
def test_browser_engine_survives_its_renderer_dying(qapp, qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.web.engine import BrowserEngine

    engine = BrowserEngine()
    try:
        engine.load(default_model)
        renderer = engine.page.renderProcessPid()
        assert renderer > 0 and engine.pages_made == 1
        generation = engine.generate(
            "Once upon a time", GenerationParams(max_tokens=200, temperature=0.7, seed=1)
        )
        with pytest.raises(EngineCrashed) as caught:
            for count, _ in enumerate(generation):
                if count == 2:
                    os.kill(renderer, signal.SIGKILL)
        assert str(caught.value) == CRASHED and engine.pages_made == 2  # a fresh page at once
        assert engine.generate(
            "The capital of France is", GenerationParams(max_tokens=4, temperature=0.0)
        ).collect()
        reloaded = engine.page.renderProcessPid()  # the next request loaded the model into the fresh page
        assert reloaded not in (0, renderer)
        exercise = PACK.find("factorial")
        assert exercise is not None

        def kill_renderer(stage: str) -> None:
            if stage == "writing hint":
                QTimer.singleShot(1000, lambda: os.kill(reloaded, signal.SIGKILL))

        config = PipelineConfig(repairs=0, model_hint_needs_repair=False)
        hint = HintPipeline(engine, config, on_stage=kill_renderer).run(exercise, TYPED)
        assert hint.status == "hint" and hint.source == "analysis" and hint.notice == CRASHED
        assert len(hint.hint.split()) >= 5 and engine.pages_made == 3
    finally:
        engine.close()
