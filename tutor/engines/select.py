"""Choosing the engine. ``native`` and ``browser`` are what they say; ``auto`` means native llama.cpp (why is
written in ``tutor.session``, which every front door asks). The browser engine lives in the desktop layer, which
registers it here; ``tutor`` itself never imports Qt. ``probe_browser`` asks the registered page what WebGPU it
has, for ``tutor doctor``."""

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


AUTO_REASON = "auto means native llama.cpp: Qt WebEngine gives the browser engine no WebGPU adapter, and on the CPU native is faster"


def choose(requested: str = "auto") -> Choice:
    if requested not in ENGINES:
        raise EngineError(f"unknown engine {requested!r} (choose from {', '.join(ENGINES)})")
    if requested == "browser":
        if not _browser:
            raise EngineError(
                "the browser engine needs the desktop app's Qt WebEngine; run the `tutor` command"
            )
        return Choice("browser", "asked for")
    return Choice("native", "asked for" if requested == "native" else AUTO_REASON)


def probe_browser() -> dict[str, Any]:
    """What the registered browser engine's page reports (WebGPU adapter, isolation); raises ``EngineError``."""
    if not _browser:
        raise EngineError("the browser engine is not available in this process")
    return dict(_browser["probe"]())


def make_engine(choice: Choice, threads: int | None = None, in_process: bool = False) -> Engine:
    """The chosen engine. Native runs llama.cpp in its own process (a crash there cannot take the app down);
    ``in_process`` keeps it in this one (the benchmark compares the two)."""
    if choice.name == "browser":
        return _browser["factory"]()
    if in_process:
        # lazy: the session imports this module for every command (``tutor exercises`` too), which must not
        # import the engines' model code (heavy: llama_cpp)
        from tutor.engines.native import NativeEngine

        return NativeEngine(threads=threads)
    from tutor.engines.process import ProcessEngine  # heavy: as above

    return ProcessEngine(threads=threads)
