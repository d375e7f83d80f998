"""The native engine: llama-cpp-python running a GGUF model on this machine's CPU (or GPU where built for it).

One ``Llama`` per engine; calls are serialised by a lock because a ``Llama`` is not thread-safe (the app calls it
from one worker thread). llama-cpp-python keeps the KV cache of the previous call and re-evaluates only the part
of a new prompt after the longest common prefix, so prompts that start with the same exercise text reuse it; the
number of reused tokens is reported. Cancel is checked between tokens and closes the stream at once.

Unless a thread count is given, each call runs one llama.cpp thread per core that other busy processes leave free
(``tutor.engines.threads``). A call whose params ask for ``prompt_lookup`` drafts tokens from its prompt
(``tutor.engines.lookup``).
"""

from __future__ import annotations

import ctypes
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tutor.engines import cpu_backend
from tutor.engines.base import (
    BaseEngine,
    Capabilities,
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
from tutor.engines.threads import LoadMeter, choose_threads, usable_cores
from tutor.system import default_threads

DEFAULT_CONTEXT = 4096
_log = logging.getLogger("tutor.llama_cpp")
_log_callback: Any = None


def _route_llama_logs() -> None:
    """Send llama.cpp's own log lines to Python logging (debug) instead of the learner's terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp  # heavy: llama_cpp

    def forward(level: int, text: bytes, user_data: Any) -> None:
        _log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


class NativeEngine(BaseEngine):
    """``Engine`` over llama-cpp-python: batch generation and answer scores, in this process."""

    name = "native"

    def __init__(self, threads: int | None = None, context_length: int = DEFAULT_CONTEXT) -> None:
        self._threads = threads or default_threads()
        self._load_aware = (
            threads is None
        )  # a given count is kept; else it follows the machine's load per call
        self._meter: LoadMeter | None = None
        self._threads_now = self._threads
        self._context_length = context_length
        self._llama: Any = None
        self._template: str | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._grammars: dict[str, Any] = {}
        self._batched: Any = None  # tutor.engines.batch.BatchedCompletions, made on first use
        self._info = EngineInfo(name=self.name, threads=self._threads)

    # -- loading -------------------------------------------------------------------------------------------
    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None:
        """Load a GGUF file; raises ``EngineError`` with a plain message when it cannot."""
        import llama_cpp  # heavy: llama_cpp (this module stays light for ``tutor.engines.process``)

        from tutor.engines import lookup  # heavy: imports llama_cpp

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
            llama = lookup.load(
                str(path),
                n_ctx=self._context_length,
                n_threads=self._threads,
                n_threads_batch=self._threads,
                n_batch=512,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(
                f"Could not load the model {path.name}: it may be corrupt or incomplete ({exc})."
            ) from exc
        with self._lock:
            if self._batched is not None:
                self._batched.close()
            self._llama, self._batched = llama, None
            self._grammars.clear()
            self._threads_now = self._threads
            self._meter = LoadMeter() if self._load_aware else None
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

    def capabilities(self) -> Capabilities:
        return Capabilities(batch=True, answer_scores=True)

    def close(self) -> None:
        """Free the model and the batch context now (not when the garbage collector gets to them); safe twice."""
        with self._lock:
            if self._batched is not None:
                self._batched.close()
            if self._llama is not None:
                self._llama.close()
            self._llama, self._batched, self._template = None, None, None
            self._grammars.clear()

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
    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        stats = GenerationStats()
        return Generation(self._stream(self.render(prompt), params, grammar, stats), stats)

    def _stream(
        self, text: str, params: GenerationParams, grammar: Grammar | None, stats: GenerationStats
    ) -> Iterator[str]:
        from tutor.engines.lookup import draft_model  # heavy: imports llama_cpp

        llama = self._require()
        with self._lock:
            self._cancel.clear()
            stats.threads = self._fit_threads(llama)
            clock = Stopwatch()
            tokens = llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)
            stats.prompt_tokens = len(tokens)
            stats.prompt_tokens_reused = self._reusable_prefix(llama, tokens)
            if len(tokens) + params.max_tokens > llama.n_ctx():
                raise EngineError(
                    f"The prompt ({len(tokens)} tokens) leaves no room to answer in the model's context of {llama.n_ctx()}."
                )
            llama.draft_model = draft_model(params.prompt_lookup)  # None: ordinary decoding
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
                logits_processor=_logprob_recorder(llama, params.logprobs, stats.top_logprobs),
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

    def generate_many(
        self, prompt: Prompt, params: list[GenerationParams], stop: Callable[[], bool] | None = None
    ) -> list[Generation]:
        """Several completions of one prompt decoded together, as parallel sequences of one batch (the k repair
        candidates). Each is what ``generate`` would return for its params, up to rounding in batched
        arithmetic; no streaming: the generations are complete. ``stop()`` or ``cancel()`` ends them early."""
        from tutor.engines.batch import BatchedCompletions  # heavy: imports llama_cpp

        llama = self._require()
        with self._lock:
            self._cancel.clear()
            clock = Stopwatch()
            threads = self._fit_threads(llama)
            tokens = llama.tokenize(self.render(prompt).encode("utf-8"), add_bos=True, special=True)
            if len(tokens) + max(p.max_tokens for p in params) * len(params) > llama.n_ctx():
                raise EngineError(
                    f"The prompt ({len(tokens)} tokens) leaves no room for {len(params)} answers."
                )
            if self._batched is None or self._batched.n_seq < len(params):
                if self._batched is not None:
                    self._batched.close()
                self._batched = BatchedCompletions(llama, max(len(params), 3))
            self._batched.set_threads(threads)
            reused = self._reusable_prefix_of(self._batched.cached, tokens)
            done = self._batched.run(
                tokens, list(params), lambda: self._cancel.is_set() or bool(stop and stop())
            )
            generations = []
            for seq in done:
                stats = GenerationStats(
                    prompt_tokens=len(tokens),
                    prompt_tokens_reused=reused,
                    completion_tokens=len(seq.tokens),
                    total_s=clock.elapsed(),
                    finish=seq.finish,
                    threads=threads,
                )
                generation = Generation(iter(()), stats)
                generation.text = seq.text.decode("utf-8", "ignore")
                generations.append(generation)
            return generations

    def _fit_threads(self, llama: Any) -> int:
        """One thread per core that other processes leave free (when no count was given); returns the count."""
        if self._meter is not None:
            wanted = choose_threads(usable_cores(), self._meter.busy_cores(), cap=self._threads)
            if wanted != self._threads_now:
                import llama_cpp  # heavy: llama_cpp

                llama_cpp.llama_set_n_threads(llama.ctx, wanted, wanted)
                self._threads_now = wanted
        return self._threads_now

    def answer_logprobs(self, prompt: Prompt, answers: tuple[str, ...]) -> dict[str, float]:
        """Log-probability of each answer's first token right after ``prompt`` (for yes/no verdicts with a
        probability); the prompt's shared prefix with the previous call is reused."""
        import numpy as np  # heavy: numpy

        llama = self._require()
        with self._lock:
            tokens = llama.tokenize(self.render(prompt).encode("utf-8"), add_bos=True, special=True)
            llama.n_tokens = self._reusable_prefix(llama, tokens)
            llama.eval(tokens[llama.n_tokens :])
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(
                np.float64
            )
            logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
            first = {a: llama.tokenize(a.encode("utf-8"), add_bos=False, special=False)[0] for a in answers}
            return {a: float(logprobs[token]) for a, token in first.items()}

    @staticmethod
    def _reusable_prefix(llama: Any, tokens: list[int]) -> int:
        return NativeEngine._reusable_prefix_of(list(llama._input_ids[: llama.n_tokens]), tokens)

    @staticmethod
    def _reusable_prefix_of(cached: list[int], tokens: list[int]) -> int:
        shared = 0
        for old, new in zip(cached, tokens, strict=False):
            if old != new:
                break
            shared += 1
        return min(shared, len(tokens) - 1)

    def _grammar(self, grammar: Grammar | None) -> Any:
        if grammar is None:
            return None
        from llama_cpp import LlamaGrammar  # heavy: llama_cpp

        key = grammar.gbnf or json.dumps(grammar.json_schema, sort_keys=True)
        if key not in self._grammars:
            if grammar.gbnf is not None:
                self._grammars[key] = LlamaGrammar.from_string(grammar.gbnf, verbose=False)
            else:
                self._grammars[key] = LlamaGrammar.from_json_schema(
                    json.dumps(grammar.json_schema), verbose=False
                )
        return self._grammars[key]

    def _require(self) -> Any:
        if self._llama is None:
            raise EngineError("No model is loaded.")
        return self._llama


def _logprob_recorder(llama: Any, count: int, out: list[dict[str, float]]) -> Any:
    """A logits processor that keeps, at each step, the ``count`` likeliest pieces and their log-probabilities.
    (``create_completion(logprobs=...)`` would need ``logits_all``: n_ctx x vocabulary floats, gigabytes here.)"""
    if count <= 0:
        return None
    import numpy as np  # heavy: numpy, llama_cpp
    from llama_cpp import LogitsProcessorList

    def record(_input_ids: Any, scores: Any) -> Any:
        logits = np.asarray(scores, dtype=np.float64)
        log_total = np.logaddexp.reduce(logits)
        step: dict[str, float] = {}
        for token in np.argpartition(logits, -count)[-count:]:
            piece = llama.detokenize([int(token)]).decode("utf-8", "replace")
            value = float(logits[token] - log_total)
            step[piece] = float(np.logaddexp(step[piece], value)) if piece in step else value
        out.append(step)
        return scores

    return LogitsProcessorList([record])
