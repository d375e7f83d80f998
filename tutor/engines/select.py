"""Choosing the engine: ``auto`` takes the browser engine when it reports a WebGPU adapter and the native
llama.cpp engine otherwise (on a CPU the native engine is several times faster than WebAssembly). The browser
engine lives in the desktop layer, which registers it here; ``tutor`` itself never imports Qt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutor.engines.base import Engine, EngineError

ENGINES = ("auto", "native", "browser")
_browser: dict[str, Callable[..., Any]] = {}


def register_browser(factory: Callable[[], Engine], probe: Callable[[], dict[str, Any]]) -> None:
    """Called by the desktop layer: ``factory()`` makes the browser engine, ``probe()`` says what WebGPU it has."""
    _browser["factory"], _browser["probe"] = factory, probe


def browser_registered() -> bool:
    return bool(_browser)


@dataclass(frozen=True)
class Choice:
    name: str
    reason: str
    probe: dict[str, Any] | None = None


def choose(requested: str = "auto") -> Choice:
    if requested not in ENGINES:
        raise EngineError(f"unknown engine {requested!r} (choose from {', '.join(ENGINES)})")
    if requested == "native":
        return Choice("native", "asked for")
    if not _browser:
        if requested == "browser":
            raise EngineError("the browser engine needs the desktop app's Qt WebEngine; run the `tutor` command")
        return Choice("native", "the browser engine is not available in this process")
    if requested == "browser":
        return Choice("browser", "asked for")
    try:
        probe = _browser["probe"]()
    except EngineError as exc:
        return Choice("native", f"the browser engine did not start ({exc})")
    adapter = (probe.get("webgpu") or {})
    if adapter.get("available"):
        description = adapter.get("description") or adapter.get("vendor") or "an adapter"
        return Choice("browser", f"the browser engine has a WebGPU adapter ({description})", probe)
    return Choice("native", f"the browser engine has no WebGPU adapter ({adapter.get('reason', 'unknown')}), "
                            "and on the CPU native llama.cpp is faster", probe)


def make_engine(choice: Choice, threads: int | None = None, in_process: bool = False) -> Engine:
    """The chosen engine. Native runs llama.cpp in its own process (a crash there cannot take the app down);
    ``in_process`` keeps it in this one (the benchmark compares the two)."""
    if choice.name == "browser":
        return _browser["factory"]()
    if in_process:
        from tutor.engines.native import NativeEngine

        return NativeEngine(threads=threads)
    from tutor.engines.process import ProcessEngine

    return ProcessEngine(threads=threads)
