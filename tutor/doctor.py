"""``tutor doctor``: what this machine has, and what the tutor will use on it, read from the real runtimes."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from tutor import __version__, paths
from tutor.engines import cpu_backend
from tutor.engines.base import EngineError, GenerationParams
from tutor.engines.select import browser_registered, choose, probe_browser
from tutor.exercises import load_bundled
from tutor.models.advice import recommendation
from tutor.models.choice import ModelRefused
from tutor.models.default_model import (
    DefaultModelError,
    bundled_model,
    default_description,
    default_model_path,
    display_name,
    is_ready,
)
from tutor.models.download import proxies_in_use
from tutor.policy import load_policy
from tutor.runner import sandbox_status
from tutor.session import authorized_model_file
from tutor.settings import Settings
from tutor.system import default_threads, memory_gib


def _cpu() -> dict[str, Any]:
    """The CPU's notable features and the llama.cpp code path chosen for it (``tutor.engines.cpu_backend``)."""
    model, flags = cpu_backend.cpu_description()
    report: dict[str, Any] = {"model": model, "features": " ".join(flags) or "none of note"}
    try:  # before anything asks llama.cpp about its devices: that would load a CPU path of its own choosing
        backend = cpu_backend.ensure_loaded()
    except ImportError as exc:
        return {**report, "code_path": f"unavailable: {exc}"}
    except (RuntimeError, OSError) as exc:
        return {**report, "code_path": f"none: {exc}"}
    report["code_path"] = backend.variant if backend.portable else "built in"
    report["why"] = backend.reason
    if backend.scores:
        report["variants"] = ", ".join(
            f"{v} {s}" for v, s in sorted(backend.scores.items(), key=lambda i: -i[1])
        )
    if backend.features:
        report["compiled_for"] = " ".join(k for k, v in backend.features.items() if v == "1")
    return report


def _llama_cpp() -> dict[str, Any]:
    try:
        import llama_cpp
    except ImportError as exc:
        return {"available": False, "error": str(exc)}
    return {
        "available": True,
        "llama_cpp_python": llama_cpp.__version__,
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
    }


def _model(model_path: str | None) -> dict[str, Any]:
    if model_path:
        path = Path(model_path)
        return {"path": str(path), "exists": path.is_file(), "size_mb": _size_mb(path)}
    bundled = bundled_model()
    if bundled is not None:  # a frozen build: the file was verified when the build was made
        return {"name": display_name(), "path": str(bundled), "prepared": True, "size_mb": _size_mb(bundled)}
    try:
        path = default_model_path()
        ready = is_ready()
    except DefaultModelError as exc:
        return {"name": display_name(), "error": str(exc)}
    return {
        "name": display_name(),
        "path": str(path),
        "prepared": ready,
        "note": "" if ready else "made from its package on first use",
        "size_mb": _size_mb(path),
        **default_description(),
    }


def _size_mb(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1) if path.is_file() else 0.0


def diagnose(model_path: str | None = None, probe_browser: bool = True) -> dict[str, Any]:
    total, available = memory_gib()
    exercises = load_bundled()
    return {
        "tutor": __version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "cpu_threads": os.cpu_count() or 0,
        "model_threads": default_threads(),
        "ram_gib": f"{total} total, {available} available",
        "engines": _engines() if probe_browser else {"native": "llama.cpp (browser engine not probed)"},
        "cpu": _cpu(),
        "llama_cpp": _llama_cpp(),
        "model": _model(model_path),
        "folders": {
            "data": str(paths.user_data_dir()),
            "models": str(paths.models_dir()),
            "config": str(paths.user_config_dir()),
            "site_config": str(paths.site_config_dir()),
            "resources": str(paths.resources_dir()),
        },
        "exercises": f"{len(exercises.exercises)} bundled, {len(exercises.errors)} error"
        + ("" if len(exercises.errors) == 1 else "s"),
        "sandbox": _sandbox(),
        "downloads": _hub(),
        "policy": _policy(),
    }


def _sandbox() -> str:
    """Whether learner code runs in the OS sandbox here, and if not, why."""
    return sandbox_status().summary


SMOKE_PROMPT = "def add(a, b):\n"


def greedy_generation(model_path: str | None, tokens: int) -> dict[str, Any]:
    """Load the model and write ``tokens`` tokens greedily: the same text on every CPU the build supports."""
    from tutor.engines.native import NativeEngine  # heavy: llama_cpp

    try:
        path = authorized_model_file(Path(model_path) if model_path else None)  # the school's policy
        engine = NativeEngine()
        engine.load(path)
        params = GenerationParams(max_tokens=tokens, temperature=0.0, top_k=1, repeat_penalty=1.0, seed=1)
        generation = engine.generate(SMOKE_PROMPT, params)
        text = generation.collect()
    except (EngineError, DefaultModelError, ModelRefused) as exc:
        return {"error": str(exc)}
    return {
        "prompt": SMOKE_PROMPT,
        "text": text,
        "tokens": generation.stats.completion_tokens,
        "tokens_per_s": round(generation.stats.tokens_per_s, 2),
        "code_path": engine.info().details.get("cpu_code_path", ""),
    }


def _policy() -> dict[str, Any]:
    policy = load_policy()
    data = policy.to_json()
    shown: dict[str, Any] = {"file": data["file"] or "none (no school policy)"}
    if len(policy.files) > 1:  # every file in force, merged (tutor.policy)
        shown["files"] = ", ".join(data["files"])
    if policy.error:
        shown["error"] = policy.error + " (hints, models and downloads are off until it is fixed)"
    for key, value in data["values"].items():
        shown[key] = f"{value!r}  [{data['sources'].get(key, '')}]"
    return shown


def _engines() -> dict[str, Any]:
    report: dict[str, Any] = {
        "native": "llama.cpp through llama-cpp-python (always available)",
        "auto_choice": f"native ({choose('auto').reason})",
    }
    if not browser_registered():
        report["browser"] = "not available in this process (it needs the desktop app's Qt WebEngine)"
        return report
    try:
        probe = probe_browser()
    except EngineError as exc:
        return {**report, "browser": f"unavailable: {exc}"}
    adapter = probe.get("webgpu") or {}
    report["browser"] = (
        "wllama in Qt WebEngine " + (probe.get("userAgent", "").split("QtWebEngine/")[-1].split(" ")[0])
    )
    report["webgpu_adapter"] = (
        adapter.get("description") or adapter.get("vendor")
        if adapter.get("available")
        else f"none: {adapter.get('reason', 'unknown')}"
    )
    report["cross_origin_isolated"] = probe.get("isolated")
    if adapter.get("available"):
        report["note"] = (
            "the browser engine has a WebGPU adapter here: try --engine browser (or Engine: browser)"
        )
    return report


def recommended() -> str:
    """The one recommendation (``tutor.models.advice``), as the app and ``tutor models recommend`` give it."""
    advice = recommendation()
    return f"{advice.entry.id}: {advice.sentence()}"


def _hub() -> dict[str, Any]:
    return {
        "endpoint": os.environ.get("HF_ENDPOINT", "https://huggingface.co (default)"),
        "offline": os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False"),
        "proxies": proxies_in_use() or "none",
        "active_model": Settings.load().model_path or "the embedded default",
        "recommended": recommended(),
    }
