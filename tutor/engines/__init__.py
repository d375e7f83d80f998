"""Engines that run a GGUF model: the protocol, the native llama.cpp engine, and engine selection."""

from tutor.engines.base import (
    Engine,
    EngineCrashed,
    EngineError,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    Message,
)

__all__ = [
    "Engine",
    "EngineCrashed",
    "EngineError",
    "EngineInfo",
    "Generation",
    "GenerationParams",
    "GenerationStats",
    "Grammar",
    "Message",
]
