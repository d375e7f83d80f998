"""The one engine protocol every runtime implements (native llama.cpp, the in-app browser page).

``generate`` returns a ``Generation``: iterate it for text pieces as they stream; when the stream ends (or is
cancelled) its ``stats`` hold token counts and timings. Prompts are either plain text or chat messages; an engine
turns messages into text with the model's own chat template, or with ours for base models without one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypedDict


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


Prompt = str | list[Message]
ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings for one call. ``prompt_lookup`` > 0 lets an engine that supports it guess up to that
    many tokens at a time by copying from the prompt (speculative decoding that keeps the output: for repairs,
    which mostly copy the learner's code); engines without it ignore it."""

    max_tokens: int = 256
    temperature: float = 0.2
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    seed: int | None = None
    stop: tuple[str, ...] = ()
    prompt_lookup: int = 0
    logprobs: int = 0  # keep this many likeliest next tokens per step in ``stats.top_logprobs`` (0: none)


@dataclass(frozen=True)
class Grammar:
    """Constrained output: a llama.cpp GBNF grammar, or a JSON schema turned into one."""

    gbnf: str | None = None
    json_schema: dict[str, Any] | None = None


@dataclass
class GenerationStats:
    """What one call cost. ``finish`` is ``stop``, ``length`` or ``cancelled``."""

    prompt_tokens: int = 0
    prompt_tokens_reused: int = 0
    completion_tokens: int = 0
    first_token_s: float = 0.0
    total_s: float = 0.0
    finish: str = "stop"
    threads: int = 0
    # per generated token: {piece: log-probability} of the likeliest pieces under the model's own distribution
    # (before the grammar and the sampling settings); filled only when ``params.logprobs`` asks and the engine can
    top_logprobs: list[dict[str, float]] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        decode_s = self.total_s - self.first_token_s
        return (self.completion_tokens - 1) / decode_s if self.completion_tokens > 1 and decode_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tokens_per_s"] = round(self.tokens_per_s, 2)
        return data


@dataclass
class EngineInfo:
    """What an engine reports about itself: never guessed, read from the runtime."""

    name: str
    model_path: str = ""
    model_name: str = ""
    backend: str = ""
    threads: int = 0
    context_length: int = 0
    chat_template: bool = False
    load_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Generation:
    """A stream of text pieces from one call; ``stats`` and ``text`` are complete once the stream ends."""

    def __init__(self, pieces: Iterator[str], stats: GenerationStats) -> None:
        self._pieces = pieces
        self.stats = stats
        self.text = ""

    def __iter__(self) -> Iterator[str]:
        for piece in self._pieces:
            self.text += piece
            yield piece

    def collect(self) -> str:
        """Drain the stream and return the whole text."""
        for _ in self:
            pass
        return self.text


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond ``load``/``generate``/``cancel``/``info``/``close``; a caller asks here
    instead of probing for methods."""

    batch: bool = False  # ``generate_many``: several completions of one prompt decoded as one batch
    answer_scores: bool = False  # ``answer_logprobs``: log-probabilities of given answers' first tokens
    process: bool = False  # the model runs in its own process; ``process_stats`` says about it


class Engine(Protocol):
    """A runtime that loads a GGUF model and streams generated text. Every engine has every method; one its
    ``capabilities()`` do not name raises ``EngineError`` (``process_stats`` returns ``{}``)."""

    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None: ...

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation: ...

    def cancel(self) -> None: ...

    def info(self) -> EngineInfo: ...

    def close(self) -> None:
        """Free the model (and stop its process); safe to call twice. A later ``load`` starts afresh."""
        ...

    def capabilities(self) -> Capabilities: ...

    def generate_many(
        self, prompt: Prompt, params: list[GenerationParams], stop: Callable[[], bool] | None = None
    ) -> list[Generation]:
        """Several completions of one prompt decoded together (``capabilities().batch``); no streaming."""
        ...

    def answer_logprobs(self, prompt: Prompt, answers: tuple[str, ...]) -> dict[str, float]:
        """Log-probability of each answer's first token right after ``prompt`` (``capabilities().answer_scores``)."""
        ...

    def process_stats(self) -> dict[str, Any]:
        """What the engine's process says about itself (pid, requests, peak memory); ``{}`` in process."""
        ...


class BaseEngine:
    """The optional part of the contract, for engines that lack it: a subclass overrides what it can do and says
    so in ``capabilities``."""

    def close(self) -> None:
        return None

    def capabilities(self) -> Capabilities:
        return Capabilities()

    def generate_many(
        self, prompt: Prompt, params: list[GenerationParams], stop: Callable[[], bool] | None = None
    ) -> list[Generation]:
        raise EngineError("This engine cannot decode several completions as one batch.")

    def answer_logprobs(self, prompt: Prompt, answers: tuple[str, ...]) -> dict[str, float]:
        raise EngineError("This engine does not expose token probabilities.")

    def process_stats(self) -> dict[str, Any]:
        return {}


class EngineError(RuntimeError):
    """A model could not be loaded or run; the message is meant for the learner."""


CRASH_NOTICE = "The model stopped unexpectedly"  # how every notice of a crashed model process begins
CRASHED = f"{CRASH_NOTICE} and is being restarted."


class EngineCrashed(EngineError):
    """The process running the model died (a crash in llama.cpp, an abort, killed for memory, a dead browser
    renderer). The engine starts afresh on the next request; ``detail`` says how it died, for logs."""

    def __init__(self, message: str = CRASHED, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Stopwatch:
    """Tiny helper for the timings every stage reports."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
