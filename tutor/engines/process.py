"""``ProcessEngine``: the native engine in its own process (as Thonny runs learner code), so that when llama.cpp
crashes, aborts or is killed for memory, the app and the CLI keep running.

The child (``tutor/engines/engine_host.py``, command line ``python -m tutor.engines.engine_host`` or
``<frozen app> --tutor-engine``, so it is recognisable in ``ps``) keeps its ``Llama``: prefix reuse works as in
process. Pieces stream back one JSON line each; timings are taken here, where the learner sees the tokens. When
the child dies, the request in flight raises ``EngineCrashed`` and the next request starts a fresh child and
reloads the model (``restarts`` and ``last_restart_s`` say how often and how long).
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tutor.engines.base import (
    CRASH_NOTICE,
    BaseEngine,
    Capabilities,
    EngineCrashed,
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
from tutor.engines.child import Child, engine_command, raise_for, release_all
from tutor.engines.native import DEFAULT_CONTEXT


class ProcessEngine(BaseEngine):
    """``Engine`` over a ``NativeEngine`` in a child process (``tutor.engines.child``); options are passed on to
    ``NativeEngine``. It can do what the native engine can (batches, answer scores) and reports on its process."""

    name = "native"

    def __init__(
        self, threads: int | None = None, context_length: int = DEFAULT_CONTEXT, **options: Any
    ) -> None:
        self._options: dict[str, Any] = {"threads": threads, "context_length": context_length, **options}
        self._child: Child | None = None
        self._model: Path | None = None
        self._info = EngineInfo(name=self.name, threads=threads or 0)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # one request at a time, as in process
        self._current: tuple[Child, int] | None = None
        self.restarts = 0
        self.last_restart_s = 0.0
        self._started: list[Child] = []
        weakref.finalize(self, release_all, self._started)

    # -- the process -----------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The engine process now running, if any."""
        child = self._child
        return child.pid if child is not None and child.alive else None

    def _call(self, child: Child, op: str, **fields: Any) -> Any:
        request = next(self._ids)
        answers = child.open(request)
        try:
            child.send({"id": request, "op": op, **fields})
            answer = answers.get()
        finally:
            child.close(request)
        raise_for(answer)
        return answer.get("value")

    def _start(self) -> Child:
        """A running child with the model loaded; on a fresh child this is a (re)start, and it is timed."""
        if self._child is not None and self._child.alive:
            return self._child
        if self._model is None:
            raise EngineError("No model is loaded.")
        restart = self._child is not None
        if self._child is not None:
            self._child.stop(timeout=0.5)
        clock = Stopwatch()
        self._child = child = Child()
        self._started[:] = [child]
        self._load_in(child)
        if restart:
            self.restarts += 1
            self.last_restart_s = clock.elapsed()
        self._info.details["process"].update(
            start_s=round(clock.elapsed(), 3),
            restarts=self.restarts,
            last_restart_s=round(self.last_restart_s, 3),
        )
        return child

    def _load_in(self, child: Child) -> None:
        assert self._model is not None
        try:
            info = self._call(child, "load", path=str(self._model), options=self._options)
        except EngineCrashed as exc:
            raise EngineCrashed(
                f"{CRASH_NOTICE} while loading {self._model.name}: the file may be "
                "damaged, or too big for this computer's memory.",
                exc.detail,
            ) from None
        self._info = EngineInfo(**info)
        self._info.details["process"] = {
            "pid": child.pid,
            "command": " ".join(engine_command()[1:]),
            "restarts": self.restarts,
            "last_restart_s": round(self.last_restart_s, 3),
        }

    def capabilities(self) -> Capabilities:
        return Capabilities(batch=True, answer_scores=True, process=True)

    def close(self) -> None:
        """Stop the engine process, freeing its model (it also stops by itself when this process ends); safe
        twice. The model stays chosen: a later request starts a fresh process and loads it again."""
        with self._lock:
            if self._child is not None:
                self._child.stop()
                self._child = None

    def process_stats(self) -> dict[str, Any]:
        """What the engine process says about itself: pid, requests served, peak memory."""
        child = self._child
        if child is None or not child.alive:
            return {}
        return dict(self._call(child, "stats"))

    # -- the Engine protocol ---------------------------------------------------------------------------------
    def load(self, model_path: Path, progress: ProgressCallback | None = None) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise EngineError(f"Model file not found: {path}")
        if progress:
            progress(0.0)
        with self._lock:
            self._model = path
            if self._child is not None and self._child.alive:  # another model in the same process
                self._load_in(self._child)
            else:
                self._start()
        if progress:
            progress(1.0)

    def info(self) -> EngineInfo:
        return self._info

    def cancel(self) -> None:
        current = self._current
        if current is not None:
            child, request = current
            child.send({"id": 0, "op": "cancel", "target": request})

    def render(self, prompt: Prompt) -> str:
        with self._lock:
            child = self._start()
        return str(self._call(child, "render", prompt=prompt))

    def count_tokens(self, text: str) -> int:
        with self._lock:
            child = self._start()
        return int(self._call(child, "count_tokens", text=text))

    def answer_logprobs(self, prompt: Prompt, answers: tuple[str, ...]) -> dict[str, float]:
        """``NativeEngine.answer_logprobs`` in the engine process (a judge out of process keeps its probabilities)."""
        with self._lock:
            child = self._start()
        value = self._call(child, "answer_logprobs", prompt=prompt, answers=list(answers))
        return {str(answer): float(logprob) for answer, logprob in dict(value).items()}

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        stats = GenerationStats()
        return Generation(self._stream(prompt, params, grammar, stats), stats)

    @contextlib.contextmanager
    def _request(self) -> Iterator[tuple[Child, int, queue.Queue[dict[str, Any]]]]:
        """One request in flight on a running child (one at a time), reachable by ``cancel()``; closed after."""
        with self._lock:
            child = self._start()
            request = next(self._ids)
            answers = child.open(request)
            self._current = (child, request)
            try:
                yield child, request, answers
            finally:
                self._current = None
                child.close(request)

    def _stream(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None, stats: GenerationStats
    ) -> Iterator[str]:
        with self._request() as (child, request, answers):
            clock = Stopwatch()
            ended = False
            try:
                child.send(
                    {
                        "id": request,
                        "op": "generate",
                        "prompt": prompt,
                        "params": asdict(params),
                        "grammar": asdict(grammar) if grammar else None,
                    }
                )
                while True:
                    answer = answers.get()
                    if answer.get("event") == "piece":
                        if stats.completion_tokens == 0:
                            stats.first_token_s = clock.elapsed()
                        stats.completion_tokens += 1
                        yield answer["text"]
                        continue
                    ended = True
                    raise_for(answer)
                    _fill(stats, answer.get("value") or {})
                    break
            finally:
                stats.total_s = clock.elapsed()
                if not ended:  # the caller stopped reading: stop the child too
                    child.send({"id": 0, "op": "cancel", "target": request})

    def generate_many(
        self, prompt: Prompt, params: list[GenerationParams], stop: Callable[[], bool] | None = None
    ) -> list[Generation]:
        """``NativeEngine.generate_many`` in the engine process: the k candidates decoded as one batch there.
        ``stop()`` is polled here while the child works, and ``cancel()`` reaches it, as for ``generate``."""
        with self._request() as (child, request, answers):
            clock = Stopwatch()
            message = {
                "id": request,
                "op": "generate_many",
                "prompt": prompt,
                "params": [asdict(p) for p in params],
            }
            child.send(message)
            answer = self._wait(child, request, answers, stop)
        raise_for(answer)
        generations = []
        for value in answer.get("value") or []:
            stats = GenerationStats(
                completion_tokens=int(value["stats"].get("completion_tokens", 0)),
                threads=int(value["stats"].get("threads", 0)),
                total_s=clock.elapsed(),
            )
            _fill(stats, value["stats"])
            generation = Generation(iter(()), stats)
            generation.text = str(value.get("text", ""))
            generations.append(generation)
        return generations

    @staticmethod
    def _wait(
        child: Child, request: int, answers: queue.Queue[dict[str, Any]], stop: Callable[[], bool] | None
    ) -> dict[str, Any]:
        """The request's answer; a ``stop()`` that turns true meanwhile cancels it in the child (once)."""
        asked_to_stop = False
        while True:
            try:
                return answers.get(timeout=0.05)
            except queue.Empty:
                if stop is not None and not asked_to_stop and stop():
                    child.send({"id": 0, "op": "cancel", "target": request})
                    asked_to_stop = True


def _fill(stats: GenerationStats, value: dict[str, Any]) -> None:
    stats.prompt_tokens = int(value.get("prompt_tokens", 0))
    stats.prompt_tokens_reused = int(value.get("prompt_tokens_reused", 0))
    stats.finish = str(value.get("finish", "stop"))
    stats.top_logprobs = [dict(step) for step in value.get("top_logprobs") or []]
