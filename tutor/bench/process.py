"""The engine in its own process against the same engine in this process, side by side in one run, and the time
to come back after a crash. Part of ``tutor bench``; alone: ``python -m tutor.bench.process [--json]``.

1. tokens/s of ``ProcessEngine`` ÷ tokens/s of ``NativeEngine`` in process: same model, prompt, settings and
   threads, runs interleaved, medians (goal ≥ 0.97). Each engine is measured from its own process.
2. restart after a crash: the engine process is killed (SIGKILL, as the kernel does when memory runs out) in the
   middle of a generation; the request raises ``EngineCrashed``; the next request starts a fresh process and
   reloads the model. Reported: the restart (spawn + load) and the next request's first token.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.engines.base import EngineCrashed, GenerationParams
from tutor.engines.native import NativeEngine, default_threads
from tutor.engines.process import ProcessEngine
from tutor.models.choice import ModelRefused
from tutor.session import authorized_model_file

PROMPT = (
    "Exercise: Count the vowels\nStudent program:\n```python\ndef count_vowels(text):\n    count = 0\n"
    "    for letter in text:\n        if letter in 'aeiou':\n            count += 1\n    return count\n```\n"
    "Explain what this program does, step by step:\n"
)


def _rate(engine: Any, params: GenerationParams) -> float:
    """Tokens per second as the caller sees them, from the request to the last piece."""
    start, count = time.perf_counter(), 0
    for _ in engine.generate(PROMPT, params):
        count += 1
    return count / (time.perf_counter() - start)


def serve_rates(kind: str, model: str, tokens: int, threads: int) -> None:
    """A measuring process: load one engine, then answer each ``go`` line on stdin with one tokens/s figure.

    Each engine kind is measured from its own process, so that neither sees the other's llama.cpp threads
    (an idle in-process engine in the same parent distorted the earlier figures by up to 8x).
    """
    engine: Any = NativeEngine(threads=threads) if kind == "in-process" else ProcessEngine(threads=threads)
    engine.load(Path(model))
    params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=1)
    _rate(engine, params)  # warm: the weights are paged in and the prompt is then reused the same way
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() != "go":
                break
            print(round(_rate(engine, params), 3), flush=True)
    finally:
        if isinstance(engine, ProcessEngine):  # its engine process; the in-process engine ends with this one
            engine.close()


class _Meter:
    """The parent's handle on one measuring process."""

    def __init__(self, kind: str, model: Path, tokens: int, threads: int) -> None:
        code = "import sys; from tutor.bench.process import serve_rates; serve_rates(*sys.argv[1:3], *map(int, sys.argv[3:]))"
        self.child = subprocess.Popen(
            [sys.executable, "-c", code, kind, str(model), str(tokens), str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect("ready")

    def _expect(self, word: str) -> str:
        assert self.child.stdout is not None
        line = self.child.stdout.readline().strip()
        if not line or (word and line != word):
            raise RuntimeError(f"measuring process ended early (exit {self.child.poll()})")
        return line

    def rate(self) -> float:
        assert self.child.stdin is not None
        self.child.stdin.write("go\n")
        self.child.stdin.flush()
        return float(self._expect(""))

    def close(self) -> None:
        if self.child.stdin is not None:
            self.child.stdin.close()
        self.child.wait(timeout=60)


def process_vs_in_process(model: Path, rounds: int, tokens: int) -> dict[str, Any]:
    """Rounds interleaved between two measuring processes that stay loaded; medians of each."""
    threads = default_threads()
    inside = _Meter("in-process", model, tokens, threads)
    try:
        outside = _Meter("engine-process", model, tokens, threads)
        try:
            inside_rates, outside_rates = [], []
            for _ in range(rounds):
                outside_rates.append(outside.rate())
                inside_rates.append(inside.rate())
        finally:
            outside.close()
    finally:
        inside.close()
    ratio = statistics.median(outside_rates) / statistics.median(inside_rates)
    return {
        "process_tok_s": round(statistics.median(outside_rates), 1),
        "in_process_tok_s": round(statistics.median(inside_rates), 1),
        "ratio": round(ratio, 3),
        "goal": ">= 0.97",
        "rounds": rounds,
        "tokens": tokens,
        "threads": threads,
        "rates": {"process": outside_rates, "in_process": inside_rates},
    }


def restart_after_crash(model: Path, crashes: int) -> dict[str, Any]:
    engine = ProcessEngine()
    engine.load(model)
    params = GenerationParams(max_tokens=200, temperature=0.0, seed=1)
    restarts, first_tokens, pids = [], [], []
    try:
        for _ in range(crashes):
            pid = engine.pid
            assert pid is not None
            pids.append(pid)
            try:
                for count, _piece in enumerate(engine.generate(PROMPT, params)):
                    if count == 3:
                        os.kill(pid, signal.SIGKILL)
            except EngineCrashed:
                pass
            else:
                raise RuntimeError("the engine process outlived SIGKILL")
            started = time.perf_counter()
            generation = engine.generate(PROMPT, GenerationParams(max_tokens=1, temperature=0.0, seed=1))
            generation.collect()
            first_tokens.append(time.perf_counter() - started)
            restarts.append(engine.last_restart_s)
    finally:
        engine.close()
    return {
        "crashes": crashes,
        "restart_s": round(statistics.median(restarts), 3),
        "next_first_token_s": round(statistics.median(first_tokens), 3),
        "restarts": engine.restarts,
        "fresh_pids": len(set(pids)) == len(pids),
    }


def print_figures(results: dict[str, Any]) -> None:
    if "process_vs_in_process" in results:
        p = results["process_vs_in_process"]
        print(
            f"engine process tokens/s ÷ in process: {p['process_tok_s']} / {p['in_process_tok_s']} = {p['ratio']} "
            f"(goal {p['goal']})"
        )
    if "restart_after_crash" in results:
        r = results["restart_after_crash"]
        print(
            f"restart after a crash (SIGKILL mid-generation, {r['crashes']}x): {r['restart_s']} s to a loaded model, "
            f"{r['next_first_token_s']} s to the next request's first token"
        )


def main(argv: Sequence[str] | None = None) -> int:

    parser = argparse.ArgumentParser(
        prog="python -m tutor.bench.process", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--crashes", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        model = authorized_model_file()  # the school's policy (tutor.session)
    except ModelRefused as exc:
        print(f"tutor bench: {exc}", file=sys.stderr)
        return 2
    results = {
        "process_vs_in_process": process_vs_in_process(model, args.rounds, args.tokens),
        "restart_after_crash": restart_after_crash(model, args.crashes),
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_figures(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
