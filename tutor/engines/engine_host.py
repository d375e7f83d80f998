"""The engine process: hosts a ``NativeEngine`` for ``ProcessEngine`` (tutor/engines/process.py), so a crash in
llama.cpp (a segfault, an abort, the kernel killing it for memory) takes down this process only, never the app.

Started as ``python -m tutor.engines.engine_host`` (or ``<frozen app> --tutor-engine``). A small JSON-lines
protocol: the parent writes one command per line on our stdin; we answer on the stdout we were given, after
pointing file descriptor 1 at stderr so that nothing llama.cpp prints can mix into the protocol. Each command has
an ``id``, and each answer carries the id it answers:

    {"id", "op": "load", "path", "options"}                 -> {"id", "event": "done", "value": EngineInfo}
    {"id", "op": "generate", "prompt", "params", "grammar"}  -> {"id", "event": "piece", "text"} ... then
                                                               {"id", "event": "done", "value": GenerationStats}
    {"id", "op": "generate_many", "prompt", "params": [...]} -> {"id", "event": "done", "value": [{"text", "stats"}]}
    {"id", "op": "cancel", "target": id}                    -> no answer; that generation ends "cancelled"
    {"id", "op": "answer_logprobs", "prompt", "answers": [...]} -> {"id", "event": "done", "value": {answer: logprob}}
    {"id", "op": "info" | "stats" | "render" | "count_tokens", ...} -> {"id", "event": "done", "value"}
    any failure                                             -> {"id", "event": "error", "kind", "message"}

``kind`` is ``engine`` for an ``EngineError`` (its message is meant for the learner). Commands run one at a time
in a worker thread, in order; ``cancel`` is handled at once by the reading thread. End of stdin (the parent is
gone) ends the process.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from tutor.engines.base import EngineError, GenerationParams, Grammar
from tutor.engines.blas_guard import steer_openblas
from tutor.engines.native import NativeEngine


def params_from_json(data: dict[str, Any]) -> GenerationParams:
    known = {f.name for f in fields(GenerationParams)}
    values = {key: value for key, value in data.items() if key in known}
    if "stop" in values:
        values["stop"] = tuple(values["stop"])
    return GenerationParams(**values)


def grammar_from_json(data: dict[str, Any] | None) -> Grammar | None:
    return Grammar(**data) if data else None


class Host:
    """Runs the commands against one ``NativeEngine``, writing answers to ``out``."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.engine: NativeEngine | None = None
        self.options: dict[str, Any] = {}
        self.current = 0
        self.cancelled: set[int] = set()
        self.requests = 0
        self._write = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False) + "\n"
        with self._write:
            self.out.write(line)
            self.out.flush()

    def cancel(self, target: int) -> None:
        """From the reading thread: stop ``target`` if it runs now, or before it starts."""
        self.cancelled.add(target)
        if self.current == target and self.engine is not None:
            self.engine.cancel()

    def handle(self, command: dict[str, Any]) -> None:
        request = int(command.get("id", 0))
        self.requests += 1
        try:
            value = self._run(request, command)
        except EngineError as exc:
            self.send({"id": request, "event": "error", "kind": "engine", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which turns it into an EngineError
            self.send(
                {
                    "id": request,
                    "event": "error",
                    "kind": "internal",
                    "message": f"{type(exc).__name__}: {exc}",
                }
            )
        else:
            self.send({"id": request, "event": "done", "value": value})
        finally:
            self.cancelled.discard(request)

    def _run(self, request: int, command: dict[str, Any]) -> Any:
        op = command.get("op")
        if op == "load":
            return self._load(Path(command["path"]), dict(command.get("options") or {}))
        if op == "generate":
            return self._generate(request, command)
        if op == "generate_many":
            return self._generate_many(request, command)
        if op == "stats":
            return self.stats()
        engine = self._engine()
        if op == "info":
            return engine.info().to_json()
        if op == "render":
            return engine.render(command["prompt"])
        if op == "count_tokens":
            return engine.count_tokens(command["text"])
        if op == "answer_logprobs":
            return engine.answer_logprobs(command["prompt"], tuple(command["answers"]))
        raise ValueError(f"unknown command {op!r}")

    def _engine(self) -> NativeEngine:
        if self.engine is None:
            raise EngineError("No model is loaded.")
        return self.engine

    def _load(self, path: Path, options: dict[str, Any]) -> dict[str, Any]:
        if self.engine is None or options != self.options:
            self.engine, self.options = NativeEngine(**options), options
        self.engine.load(path)
        info = self.engine.info().to_json()
        info["details"]["process"] = {"pid": os.getpid()}
        return info

    def _generate(self, request: int, command: dict[str, Any]) -> dict[str, Any]:
        engine = self._engine()
        generation = engine.generate(
            command["prompt"],
            params_from_json(command.get("params") or {}),
            grammar_from_json(command.get("grammar")),
        )
        if request in self.cancelled:
            generation.stats.finish = "cancelled"
            return generation.stats.to_json()
        self.current = request
        try:
            for piece in generation:
                self.send({"id": request, "event": "piece", "text": piece})
                if request in self.cancelled:  # a cancel that came before the stream cleared its flag
                    engine.cancel()
        finally:
            self.current = 0
        return generation.stats.to_json()

    def _generate_many(self, request: int, command: dict[str, Any]) -> list[dict[str, Any]]:
        """The k completions of one prompt as parallel sequences of one batch; complete, not streamed."""
        engine = self._engine()
        params = [params_from_json(p) for p in command.get("params") or []]
        self.current = request
        try:
            done = engine.generate_many(command["prompt"], params, lambda: request in self.cancelled)
        finally:
            self.current = 0
        return [{"text": g.text, "stats": g.stats.to_json()} for g in done]

    def stats(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "pid": os.getpid(),
            "requests": self.requests,
            "loaded": bool(self.engine and self.engine.loaded),
        }
        try:
            import resource

            value["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        except ImportError:  # Windows
            pass
        return value


def _protocol_out() -> IO[str]:
    """The real stdout becomes the protocol channel; fd 1 (and ``sys.stdout``) now lead to stderr."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main() -> int:
    steer_openblas()  # before llama_cpp imports numpy: its OpenBLAS on CPUs without AVX2
    host = Host(_protocol_out())
    jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def work() -> None:
        while (command := jobs.get()) is not None:
            host.handle(command)

    threading.Thread(target=work, name="engine-worker", daemon=True).start()
    for raw in sys.stdin.buffer:
        try:
            command = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(command, dict):
            continue
        if command.get("op") == "cancel":
            host.cancel(int(command.get("target", 0)))
        else:
            jobs.put(command)
    os._exit(0)  # the parent is gone: do not wait for a generation nobody reads


if __name__ == "__main__":
    sys.exit(main())
