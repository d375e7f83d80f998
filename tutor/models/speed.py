"""How fast a catalog model would write a hint on this machine, without downloading it.

Token generation on a CPU is bound by memory bandwidth: every token reads every weight once, so tokens per second
scale with the inverse of the model file's size. ``measure_reference()`` times the embedded default model (a few
seconds); ``estimate_tok_s`` scales that rate by file size (on the 2-core build machine this predicts 21 tok/s for
Qwen2.5 Coder 0.5B and 9.3 for 1.5B, where 22 and 11 were measured); ``hint_seconds`` turns it into the time of a
whole hint at the pipeline's default settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tutor.engines.base import GenerationParams
from tutor.models.catalog import CatalogEntry
from tutor.session import authorized_model_file

# completion tokens of one hint at the default settings: 3 repair candidates (~110 tokens each) + the hint (~70)
HINT_TOKENS = 400


@dataclass(frozen=True)
class Reference:
    """A measured generation rate of one model file."""

    tok_s: float
    size_bytes: int
    model: str = ""


def entry_bytes(entry: CatalogEntry) -> int:
    return entry.size_bytes or entry.size_mb * 2**20


def estimate_tok_s(entry: CatalogEntry, reference: Reference) -> float:
    return reference.tok_s * reference.size_bytes / entry_bytes(entry)


def hint_seconds(entry: CatalogEntry, reference: Reference, tokens: int = HINT_TOKENS) -> float:
    return tokens / estimate_tok_s(entry, reference)


def measure_reference(tokens: int = 48) -> Reference:
    """Generate ``tokens`` tokens with the embedded default model and time the decoding."""
    from tutor.engines.native import NativeEngine  # heavy: llama_cpp

    path = authorized_model_file()  # the school's policy (tutor.session): exam mode, allowed models
    engine = NativeEngine()
    engine.load(path)
    prompt = "Explain, step by step, how a for loop adds up the numbers in a list in Python:\n"
    params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=1)
    started = time.perf_counter()
    generation = engine.generate(prompt, params)
    generation.collect()
    rate = generation.stats.tokens_per_s or generation.stats.completion_tokens / (
        time.perf_counter() - started
    )
    return Reference(rate, path.stat().st_size, path.name)
