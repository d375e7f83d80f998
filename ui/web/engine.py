"""``BrowserEngine``: tutor's ``Engine`` protocol over a QtWebEngine page running wllama, talking over QWebChannel.

The page and the engine object live in the GUI thread. ``load``/``generate``/``cancel`` may be called from any
thread (the app's model worker, the CLI's worker thread): calls into the page are queued to the GUI thread, and
tokens come back through the bridge into a per-request queue that the caller's iterator reads. Called from the
GUI thread itself, waits keep the event loop running instead of blocking it.

When the page's renderer process dies (a crash, killed for memory), the request in flight raises
``EngineCrashed``, a fresh page is made at once, and the next request loads the model into it again.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QFile, QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from shiboken6 import Shiboken

from tutor.engines.base import (
    BaseEngine,
    EngineCrashed,
    EngineError,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    ProgressCallback,
    Prompt,
)
from tutor.engines.prompting import render_prompt
from tutor.models.gguf_header import GGUFError, read_header
from tutor.paths import resources_dir
from tutor.system import default_threads
from ui.web.interceptor import OriginOnlyInterceptor
from ui.web.server import EngineServer

_DONE = object()
LOAD_TIMEOUT_S = 600.0


def web_root() -> Path:
    """The built page and wllama files (``python -m ui.web.assets`` puts them there; the install script runs it)."""
    return resources_dir() / "web"


def qwebchannel_js() -> bytes:
    handle = QFile(":/qtwebchannel/qwebchannel.js")
    if not handle.open(QFile.OpenModeFlag.ReadOnly):
        raise EngineError("Qt's qwebchannel.js is missing from this PySide6 installation")
    data = bytes(handle.readAll().data())
    handle.close()
    return data


class _Page(QWebEnginePage):
    console = Signal(str)

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:  # noqa: N802
        self.console.emit(message)


class _Bridge(QObject):
    """The one object the page sees (``bridge``); its slots run in the GUI thread."""

    def __init__(self, engine: BrowserEngine) -> None:
        super().__init__()
        self.engine = engine

    @Slot(str)
    def pageReady(self, data: str) -> None:  # noqa: N802 - called by name from JavaScript
        self.engine._events["ready"] = json.loads(data)
        self.engine._signal("ready")

    @Slot(str)
    def probed(self, data: str) -> None:
        self.engine._events["probe"] = json.loads(data)
        self.engine._signal("probe")

    @Slot(float)
    def progress(self, fraction: float) -> None:
        if self.engine._progress:
            self.engine._progress(min(0.99, fraction * 0.7))

    @Slot(str)
    def loaded(self, data: str) -> None:
        self.engine._events["load"] = json.loads(data)
        self.engine._signal("load")

    @Slot(str)
    def failed(self, message: str) -> None:
        self.engine._events["load"] = {"error": message}
        self.engine._signal("load")

    @Slot(int, str)
    def token(self, request_id: int, text: str) -> None:
        target = self.engine._queues.get(request_id)
        if target is not None:
            target.put(text)

    @Slot(int, str)
    def done(self, request_id: int, data: str) -> None:
        target = self.engine._queues.get(request_id)
        if target is not None:
            target.put((_DONE, json.loads(data)))


class BrowserEngine(QObject, BaseEngine):
    """Create in the GUI thread (a QApplication must exist); use from any thread. Of the optional part of the
    ``Engine`` contract it has ``close`` only: ``capabilities()`` names nothing (``BaseEngine``'s defaults)."""

    name = "browser"
    _call_js = Signal(str)

    def __init__(
        self, root: Path | None = None, threads: int | None = None, context_length: int = 4096
    ) -> None:
        super().__init__()
        root = root or web_root()
        if not (root / "index.html").is_file() or not (root / "wllama" / "index.js").is_file():
            raise EngineError(f"the browser engine's files are not built in {root} (run the install script)")
        self._threads = threads or default_threads()
        self._context_length = context_length
        self._events: dict[str, Any] = {}
        self._flags = {name: threading.Event() for name in ("ready", "probe", "load")}
        self._queues: dict[int, queue.Queue[Any]] = {}
        self._ids = itertools.count(1)
        self._current = 0
        self._lock = threading.Lock()
        self._progress: ProgressCallback | None = None
        self._template: str | None = None
        self._info = EngineInfo(name=self.name, threads=self._threads)
        self.console: list[str] = []
        self.pages_made = 0
        self._model_path: Path | None = None
        self._reload = False
        self._closing = False
        self._retired: list[QWebEnginePage] = []  # pages whose renderer died, deleted later (see close)
        self.server = EngineServer(root, {"qwebchannel.js": qwebchannel_js()})
        self.profile = QWebEngineProfile(self)  # off the record: no cache or storage on disk
        self.interceptor = OriginOnlyInterceptor(self.server.origin)
        self.profile.setUrlRequestInterceptor(self.interceptor)
        self.bridge = _Bridge(self)
        self._call_js.connect(self._run_js, Qt.ConnectionType.QueuedConnection)
        self._make_page()

    def _make_page(self) -> None:
        self.page = _Page(self.profile, self)
        self.page.console.connect(self.console.append)
        self.channel = QWebChannel(self.page)
        self.channel.registerObject("bridge", self.bridge)
        self.page.setWebChannel(self.channel)
        self.page.loadFinished.connect(self._on_load_finished)
        self.page.renderProcessTerminated.connect(self._on_renderer_gone)
        self.page.load(QUrl(self.server.base_url + "index.html"))
        self.pages_made += 1

    def _on_renderer_gone(self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
        """The page's renderer died: end what waits on it with ``EngineCrashed`` and make a fresh page."""
        if self._closing:
            return
        detail = f"the page's renderer process ended ({status.name}, exit code {code})"
        self._reload = self._model_path is not None
        self._flags["ready"].clear()
        self._events.pop("ready", None)
        for name in ("probe", "load"):
            self._events[name] = {"error": detail, "crashed": True}
            self._flags[name].set()
        for target in list(self._queues.values()):
            target.put((_DONE, {"finish": "crashed", "detail": detail}))
        old = self.page
        self._make_page()
        self._retired.append(old)
        old.deleteLater()

    @Slot(bool)
    def _on_load_finished(self, ok: bool) -> None:
        if not ok:  # e.g. no loopback interface: say so at once instead of waiting for a timeout
            self._events["ready"] = {"error": f"the engine page did not load from {self.server.origin}"}
            self._signal("ready")

    # -- thread plumbing ---------------------------------------------------------------------------------------
    @Slot(str)
    def _run_js(self, script: str) -> None:
        self.page.runJavaScript(script)

    def _signal(self, name: str) -> None:
        self._flags[name].set()

    def _wait(self, name: str, timeout: float) -> None:
        if not self._wait_for(self._flags[name].is_set, timeout):
            raise EngineError(f"the browser engine did not answer ({name}) within {timeout:.0f} s")
        problem = (self._events.get(name) or {}).get("error") if name == "ready" else None
        if problem:
            raise EngineError(problem)

    def _wait_for(self, done: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        in_gui_thread = QThread.currentThread() is self.thread()
        while not done():
            if time.monotonic() > deadline:
                return False
            if in_gui_thread:
                QCoreApplication.processEvents()
            time.sleep(0.005)
        return True

    def _js(self, script: str) -> None:
        self._call_js.emit(script)

    # -- the Engine protocol -----------------------------------------------------------------------------------
    def probe(self, timeout: float = 30.0) -> dict[str, Any]:
        """What the page reports about WebGPU (adapter or the reason there is none) and isolation."""
        self._wait("ready", timeout)
        self._flags["probe"].clear()
        self._js("tutor.probe()")
        self._wait("probe", timeout)
        return dict(self._events["probe"])

    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None:
        path = Path(model_path)
        try:
            header = read_header(path)
        except GGUFError as exc:
            raise EngineError(f"Could not load the model {path.name}: {exc}") from None
        self._progress, self._model_path = progress, path
        self._wait("ready", 60)
        self.server.model_path = path
        self._template = header.chat_template
        self._flags["load"].clear()
        config = {
            "url": "model.gguf",
            "size": path.stat().st_size,
            "n_ctx": self._context_length,
            "threads": self._threads,
        }
        self._js(f"tutor.load({json.dumps(config)})")
        self._wait("load", LOAD_TIMEOUT_S)
        result = self._events["load"]
        if result.get("crashed"):
            raise EngineCrashed(f"The model stopped unexpectedly while loading {path.name}.", result["error"])
        if "error" in result:
            raise EngineError(f"The browser engine could not load {path.name}: {result['error'][:300]}")
        webgpu = result.get("webgpu") or {}
        self._info = EngineInfo(
            name=self.name,
            model_path=str(path),
            model_name=header.name,
            backend="webgpu" if result.get("gpu_layers") else "wasm",
            threads=int(result.get("threads", 0)),
            context_length=self._context_length,
            chat_template=header.chat_template is not None,
            load_s=float(result.get("ms", 0)) / 1000,
            details={
                "multithread": result.get("multithread"),
                "gpu_layers": result.get("gpu_layers"),
                "webgpu_adapter": webgpu,
                "cross_origin_isolated": result.get("isolated"),
                "fetch_s": float(result.get("fetch_ms", 0)) / 1000,
                "runtime": "wllama 3.8.1 (llama.cpp, WebAssembly)",
            },
        )
        if progress:
            progress(1.0)

    def info(self) -> EngineInfo:
        return self._info

    def cancel(self) -> None:
        if self._current:
            self._js(f"tutor.cancel({self._current})")

    def render(self, prompt: Prompt) -> str:
        return render_prompt(prompt, self._template)  # wllama adds the BOS token itself

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        if self._reload and self._model_path is not None:  # the renderer died: a fresh page, the model again
            self._reload = False
            self.load(self._model_path)
        if self._info.load_s == 0:
            raise EngineError("No model is loaded.")
        stats = GenerationStats()
        request = {
            "prompt": self.render(prompt),
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "repeat_penalty": params.repeat_penalty,
            "seed": params.seed,
            "stop": list(params.stop),
            "grammar": _gbnf(grammar),
        }
        return Generation(self._stream(request, stats), stats)

    def _stream(self, request: dict[str, Any], stats: GenerationStats) -> Iterator[str]:
        with self._lock:
            request_id = next(self._ids)
            tokens: queue.Queue[Any] = queue.Queue()
            self._queues[request_id] = tokens
            self._current = request_id
            started = time.perf_counter()
            self._js(f"tutor.generate({request_id}, {json.dumps(request)})")
            try:
                while True:
                    item = self._next(tokens)
                    if isinstance(item, tuple) and item and item[0] is _DONE:
                        self._finish(stats, item[1])
                        break
                    if stats.completion_tokens == 0:
                        stats.first_token_s = time.perf_counter() - started
                    stats.completion_tokens += 1
                    yield item
            finally:
                stats.total_s = time.perf_counter() - started
                self._queues.pop(request_id, None)
                self._current = 0

    def _next(self, tokens: queue.Queue[Any]) -> Any:
        box: list[Any] = []

        def arrived() -> bool:
            try:
                box.append(tokens.get_nowait())
            except queue.Empty:
                return False
            return True

        if QThread.currentThread() is not self.thread():
            return tokens.get(timeout=LOAD_TIMEOUT_S)
        if not self._wait_for(arrived, LOAD_TIMEOUT_S):
            raise EngineError("the browser engine stopped answering")
        return box[0]

    @staticmethod
    def _finish(stats: GenerationStats, result: dict[str, Any]) -> None:
        timings = result.get("timings") or {}
        stats.finish = {"stop": "stop", "length": "length", "cancelled": "cancelled"}.get(
            str(result.get("finish")), "stop"
        )
        stats.prompt_tokens = int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0))
        stats.prompt_tokens_reused = int(timings.get("cache_n", 0))
        if result.get("finish") == "crashed":
            raise EngineCrashed(detail=str(result.get("detail", "")))
        if result.get("finish") == "error":
            raise EngineError(f"the browser engine failed: {timings.get('error', '')[:300]}")

    def close(self) -> None:
        """Destroy the page, then its profile, now and in this (the GUI) thread, and stop the server.

        Chromium CHECKs that its objects die on the UI thread and traps (SIGTRAP) otherwise. This engine sits in
        reference cycles (bridge, signal slots), so if its profile were left to Python's cyclic garbage collector
        it would die in whichever thread the collector happens to run: a model worker, the test runner's pool.
        Safe to call twice: the second call does nothing.
        """
        if self._closing:
            return
        self._closing = True
        # a profile must outlive its pages
        parts = [*self._retired, self.page, self.profile, self.interceptor]
        for part in parts:
            if Shiboken.isValid(part):
                Shiboken.delete(part)
        self.server.close()


def _gbnf(grammar: Grammar | None) -> str | None:
    if grammar is None:
        return None
    if grammar.gbnf is not None:
        return grammar.gbnf
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return str(json_schema_to_gbnf(json.dumps(grammar.json_schema)))
