"""The native engine: llama-cpp-python running a GGUF model on this machine's CPU (or GPU where built for it).

One ``Llama`` per engine; calls are serialised by a lock because a ``Llama`` is not thread-safe (the app calls it
from one worker thread). llama-cpp-python keeps the KV cache of the previous call and re-evaluates only the part
of a new prompt after the longest common prefix, so prompts that start with the same exercise text reuse it; the
number of reused tokens is reported. Cancel is checked between tokens and closes the stream at once.
"""

from __future__ import annotations

import ctypes
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.engines import cpu_backend
from tutor.engines.base import (
    EngineError,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    ProgressCallback,
    Prompt,
    Stopwatch,
)
from tutor.engines.prompting import render_prompt
from tutor.system import default_threads

DEFAULT_CONTEXT = 4096
_log = logging.getLogger("tutor.llama_cpp")
_log_callback: Any = None


def _route_llama_logs() -> None:
    """Send llama.cpp's own log lines to Python logging (debug) instead of the learner's terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    def forward(level: int, text: bytes, user_data: Any) -> None:
        _log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


class NativeEngine:
    """``Engine`` over llama-cpp-python."""

    name = "native"

    def __init__(self, threads: int | None = None, context_length: int = DEFAULT_CONTEXT) -> None:
        self._threads = threads or default_threads()
        self._context_length = context_length
        self._llama: Any = None
        self._template: str | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._grammars: dict[str, Any] = {}
        self._info = EngineInfo(name=self.name, threads=self._threads)

    # -- loading -------------------------------------------------------------------------------------------
    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None:
        """Load a GGUF file; raises ``EngineError`` with a plain message when it cannot."""
        import llama_cpp

        path = Path(model_path)
        if not path.is_file():
            raise EngineError(f"Model file not found: {path}")
        _route_llama_logs()
        try:
            cpu = cpu_backend.ensure_loaded()
        except (RuntimeError, OSError) as exc:
            raise EngineError(f"llama.cpp has no CPU code path for this computer: {exc}") from exc
        clock = Stopwatch()
        if progress:
            progress(0.0)
        try:
            llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self._context_length,
                n_threads=self._threads,
                n_threads_batch=self._threads,
                n_batch=512,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"Could not load the model {path.name}: it may be corrupt or incomplete ({exc}).") from exc
        with self._lock:
            self._llama = llama
            self._grammars.clear()
            metadata = dict(llama.metadata or {})
            self._template = metadata.get("tokenizer.chat_template") or None
            self._info = EngineInfo(
                name=self.name,
                model_path=str(path),
                model_name=metadata.get("general.name", path.stem),
                backend="gpu" if llama_cpp.llama_supports_gpu_offload() else "cpu",
                threads=self._threads,
                context_length=llama.n_ctx(),
                chat_template=self._template is not None,
                load_s=clock.elapsed(),
                details={
                    "architecture": metadata.get("general.architecture", ""),
                    "llama_cpp_python": llama_cpp.__version__,
                    "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
                    "cpu_code_path": cpu.summary(),
                },
            )
        if progress:
            progress(1.0)

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def info(self) -> EngineInfo:
        return self._info

    def cancel(self) -> None:
        """Stop the running generation after the current token."""
        self._cancel.set()

    # -- prompts -------------------------------------------------------------------------------------------
    def render(self, prompt: Prompt) -> str:
        """Messages become text with the model's chat template when it has one, else with ``plain_prompt``."""
        if isinstance(prompt, str) or not self._template:
            return render_prompt(prompt, None)
        llama = self._require()
        return render_prompt(
            prompt,
            self._template,
            bos=llama.detokenize([llama.token_bos()]).decode("utf-8", "ignore"),
            eos=llama.detokenize([llama.token_eos()]).decode("utf-8", "ignore"),
        )

    def count_tokens(self, text: str) -> int:
        return len(self._require().tokenize(text.encode("utf-8"), add_bos=True, special=True))

    # -- generation ----------------------------------------------------------------------------------------
    def generate(self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None) -> Generation:
        stats = GenerationStats()
        return Generation(self._stream(self.render(prompt), params, grammar, stats), stats)

    def _stream(self, text: str, params: GenerationParams, grammar: Grammar | None, stats: GenerationStats) -> Iterator[str]:
        llama = self._require()
        with self._lock:
            self._cancel.clear()
            clock = Stopwatch()
            tokens = llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)
            stats.prompt_tokens = len(tokens)
            stats.prompt_tokens_reused = self._reusable_prefix(llama, tokens)
            if len(tokens) + params.max_tokens > llama.n_ctx():
                raise EngineError(
                    f"The prompt ({len(tokens)} tokens) leaves no room to answer in the model's context of {llama.n_ctx()}."
                )
            stream = llama.create_completion(
                tokens,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                repeat_penalty=params.repeat_penalty,
                seed=params.seed,
                stop=list(params.stop) or None,
                grammar=self._grammar(grammar),
                stream=True,
            )
            stats.finish = "stop"
            try:
                for chunk in stream:
                    if self._cancel.is_set():
                        stats.finish = "cancelled"
                        break
                    choice = chunk["choices"][0]
                    piece = choice.get("text", "")
                    if choice.get("finish_reason") == "length":
                        stats.finish = "length"
                    if piece:
                        if stats.completion_tokens == 0:
                            stats.first_token_s = clock.elapsed()
                        stats.completion_tokens += 1
                        yield piece
            finally:
                stream.close()
                stats.total_s = clock.elapsed()

    @staticmethod
    def _reusable_prefix(llama: Any, tokens: list[int]) -> int:
        cached = list(llama._input_ids[: llama.n_tokens])
        shared = 0
        for old, new in zip(cached, tokens, strict=False):
            if old != new:
                break
            shared += 1
        return min(shared, len(tokens) - 1)

    def _grammar(self, grammar: Grammar | None) -> Any:
        if grammar is None:
            return None
        from llama_cpp import LlamaGrammar

        key = grammar.gbnf or json.dumps(grammar.json_schema, sort_keys=True)
        if key not in self._grammars:
            if grammar.gbnf is not None:
                self._grammars[key] = LlamaGrammar.from_string(grammar.gbnf, verbose=False)
            else:
                self._grammars[key] = LlamaGrammar.from_json_schema(json.dumps(grammar.json_schema), verbose=False)
        return self._grammars[key]

    def _require(self) -> Any:
        if self._llama is None:
            raise EngineError("No model is loaded.")
        return self._llama
