"""The engine page in headless Debian Chromium, which (unlike Qt WebEngine) gives a WebGPU adapter through
SwiftShader: the page must get the adapter, offload layers to WebGPU, and produce the same greedy tokens as the
WASM run."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tutor.paths import resources_dir
from ui.web.server import EngineServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WEB = resources_dir() / "web"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-webgpu",
    "--use-webgpu-adapter=swiftshader",
    "--enable-unsafe-swiftshader",
    "--enable-features=Vulkan",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (packaging/install.sh installs it)"
    ),
    pytest.mark.skipif(not (WEB / "index.html").is_file(), reason="the engine page is not built"),
]


def run_page(model: Path, gpu: bool, timeout: float = 400) -> dict:
    server = EngineServer(WEB)
    server.model_path = model
    profile = tempfile.mkdtemp(prefix="tutor-chromium-")
    url = f"{server.base_url}index.html?selftest=1&tokens=12&gpu={int(gpu)}&prompt=The%20capital%20of%20France%20is"
    browser = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while not server.reports and time.monotonic() < deadline and browser.poll() is None:
            time.sleep(0.2)
    finally:
        browser.kill()
        browser.wait()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)
    assert server.reports, "the page never reported back"
    return json.loads(server.reports[0])


def test_webgpu_adapter_layers_and_same_tokens_as_wasm(default_model: Path) -> None:
    wasm = run_page(default_model, gpu=False)
    assert "error" not in wasm, wasm
    assert wasm["load"]["gpu_layers"] == 0 and wasm["load"]["isolated"] is True
    gpu = run_page(default_model, gpu=True)
    assert "error" not in gpu, gpu
    adapter = gpu["probe"]["webgpu"]
    assert adapter["available"], adapter  # SwiftShader gives Chromium a real WebGPU adapter
    assert gpu["load"]["gpu_layers"] > 0
    assert "".join(gpu["tokens"]) == "".join(wasm["tokens"]) and len(wasm["tokens"]) >= 5
