"""Speed-ups measured side by side in one run: ``tutor bench repairs`` and ``tutor bench load``.

repairs: the pipeline's k model repairs (the repair stage's model time) on real buggy programs from the shared
    datasets, today's way and with each speed-up, interleaved round by round on one engine. Each stage starts
    with the prompt out of the KV cache, as for a new hint. The outputs at temperature 0 must be identical to
    today's (checked and printed); at the pipeline's repair temperature they are counted.
load: tokens/s of the native engine alone and beside one busy-loop process, with as many llama.cpp threads as
    cores (before) and with the load-aware thread count (after), interleaved.

Run: ``tutor bench repairs [--programs N] [--rounds R]`` and ``tutor bench load [--rounds R]`` (``--json`` too).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tutor.engines.base import GenerationParams, Prompt
from tutor.engines.native import NativeEngine, default_threads
from tutor.engines.threads import usable_cores
from tutor.exercises import Exercise, load_tasks
from tutor.feedback import prompts
from tutor.feedback.pipeline import PipelineConfig, repair_params
from tutor.models.default_model import ensure_default_model
from tutor.runner import run

DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
LOOKUP_TOKENS = PipelineConfig().repair_prompt_lookup or 10  # the pipeline's setting, or 10 where it is off
# stage -> (prompt-lookup draft tokens, the k candidates as parallel sequences of one batch)
STAGES: dict[str, tuple[int, bool]] = {
    "today": (0, False),
    "prompt lookup": (LOOKUP_TOKENS, False),
    "batching": (0, True),
    "both": (LOOKUP_TOKENS, True),
}


@dataclass
class Case:
    name: str
    code: str
    prompt: Prompt


def buggy_cases(folder: Path, count: int, chat: bool = False) -> list[Case]:
    """Buggy QuixBugs programs and wrong Refactory submissions (alternating) whose first failing test is known."""
    exercises: dict[str, Exercise] = {}
    pools: list[list[dict[str, Any]]] = []
    for name, label in (("quixbugs", "buggy"), ("refactory", "wrong")):
        for exercise in load_tasks(folder / f"{name}.tasks.jsonl").exercises:
            exercises[exercise.id] = exercise
        rows = [
            json.loads(line) for line in (folder / f"{name}.programs.jsonl").read_text().splitlines() if line
        ]
        pools.append([row for row in rows if row["label"] == label][::7])  # spread over the tasks
    cases: list[Case] = []
    for index in range(max(len(pool) for pool in pools)):
        for pool in pools:
            if index >= len(pool) or len(cases) >= count:
                continue
            row = pool[index]
            exercise = exercises[row["task"]]
            report = run(exercise, row["code"])
            failure = report.first_failure
            if report.syntax_error is None and failure is not None and len(row["code"]) < 900:
                context = prompts.shared_context(exercise, row["code"], failure)
                cases.append(
                    Case(
                        f"{row['task']}:{row.get('name', index)}",
                        row["code"],
                        prompts.repair_prompt(context, chat),
                    )
                )
    return cases


def repair_stage(
    engine: NativeEngine, case: Case, config: PipelineConfig, stage: tuple[int, bool]
) -> tuple[float, list[str], int]:
    """The k repair calls of one hint, from a cold prompt: seconds, texts, generated tokens."""
    lookup, batched = stage
    flush = GenerationParams(max_tokens=1, temperature=0.0)
    engine.generate("\n", flush).collect()  # push the prompt out of both KV caches
    engine.generate_many("\n", [flush])
    params = [
        replace(repair_params(config, case.code, i), prompt_lookup=lookup) for i in range(config.repairs)
    ]
    started = time.perf_counter()
    generations = (
        engine.generate_many(case.prompt, params)
        if batched
        else [engine.generate(case.prompt, p) for p in params]
    )
    texts = [g.collect() for g in generations]
    return time.perf_counter() - started, texts, sum(g.stats.completion_tokens for g in generations)


def bench_repairs(
    model: Path, folder: Path, programs: int, rounds: int, threads: int | None
) -> dict[str, Any]:
    engine = NativeEngine(threads=threads)
    engine.load(model)
    cases = buggy_cases(folder, programs, engine.info().chat_template)
    results: dict[str, Any] = {
        "programs": [c.name for c in cases],
        "k": PipelineConfig().repairs,
        "rounds": [],
        "threads": threads or "load-aware",
    }
    for temperature in (0.0, PipelineConfig().repair_temperature):
        config = PipelineConfig(repair_temperature=temperature)
        for round_no in range(rounds):
            seconds = {stage: 0.0 for stage in STAGES}
            tokens = {stage: 0 for stage in STAGES}
            same = {stage: 0 for stage in list(STAGES)[1:]}
            compared = 0
            for case in cases:
                outputs = {}
                for stage, settings in STAGES.items():
                    took, outputs[stage], count = repair_stage(engine, case, config, settings)
                    seconds[stage] += took
                    tokens[stage] += count
                compared += len(outputs["today"])
                for stage in same:
                    same[stage] += sum(a == b for a, b in zip(outputs["today"], outputs[stage], strict=True))
            row = {
                "temperature": temperature,
                "round": round_no + 1,
                "identical": same,
                "compared": compared,
                "seconds": {k: round(v, 2) for k, v in seconds.items()},
                "tokens": tokens,
                "speedup": {k: round(seconds["today"] / v, 2) for k, v in seconds.items() if v},
            }
            results["rounds"].append(row)
            _progress(
                f"repairs T={temperature} round {round_no + 1}: {row['seconds']} identical {same}/{compared}"
            )
    return results


# -- load ---------------------------------------------------------------------------------------------------------
BUSY_LOOP = "while True:\n    pass\n"
LOAD_PROMPT = (
    "Exercise: Count the vowels\nStudent program:\n```python\ndef count_vowels(text):\n    count = 0\n"
)


def tokens_per_s(engine: NativeEngine, tokens: int) -> tuple[float, int]:
    generation = engine.generate(LOAD_PROMPT, GenerationParams(max_tokens=tokens, temperature=0.0, seed=1))
    started, count = time.perf_counter(), 0
    for _ in generation:
        count += 1
    return count / (time.perf_counter() - started), generation.stats.threads


def bench_load(model: Path, rounds: int, tokens: int) -> dict[str, Any]:
    cores = usable_cores()
    engines = {"before": NativeEngine(threads=default_threads()), "after": NativeEngine()}
    for engine in engines.values():
        engine.load(model)
        tokens_per_s(engine, 8)
    rows: list[dict[str, Any]] = []
    for round_no in range(rounds):
        for busy in (False, True):
            child = _busy_child() if busy else None
            try:
                time.sleep(0.3 if busy else 0.0)
                for name, engine in engines.items():
                    rate, threads = tokens_per_s(engine, tokens)
                    rows.append(
                        {
                            "round": round_no + 1,
                            "competing": int(busy),
                            "engine": name,
                            "tok_s": round(rate, 1),
                            "threads": threads,
                        }
                    )
            finally:
                if child is not None:
                    child.kill()
                    child.wait()
        _progress(f"load round {round_no + 1}: {rows[-4:]}")
    summary = {}
    for name in engines:
        for competing in (0, 1):
            rates = [r["tok_s"] for r in rows if r["engine"] == name and r["competing"] == competing]
            summary[f"{name}_{'busy' if competing else 'alone'}_tok_s"] = round(statistics.median(rates), 1)
    return {"cores": cores, "rows": rows, "median": summary}


def _busy_child() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", BUSY_LOOP], stdin=subprocess.DEVNULL, start_new_session=True
    )


# -- command --------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tutor bench", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("suite", choices=["repairs", "load"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--programs", type=int, default=2, help="repairs: buggy programs (default 2)")
    parser.add_argument(
        "--threads", type=int, default=None, help="repairs: llama.cpp threads (default: load-aware)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, interleaved (default 3)")
    parser.add_argument("--tokens", type=int, default=96, help="load: tokens per measurement (default 96)")
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: the embedded model)")
    args = parser.parse_args(argv)
    model = args.model or ensure_default_model()
    if args.suite == "repairs":
        if not args.datasets.is_dir():
            print(f"tutor bench: no datasets folder at {args.datasets}", file=sys.stderr)
            return 2
        results = bench_repairs(model, args.datasets, args.programs, args.rounds, args.threads)
        printer: Callable[[dict[str, Any]], None] = _print_repairs
    else:
        results = bench_load(model, args.rounds, args.tokens)
        printer = _print_load
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        printer(results)
    return 0


def _progress(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


def _print_repairs(results: dict[str, Any]) -> None:
    print(
        f"repair stage, k={results['k']}, threads {results['threads']}, {len(results['programs'])} buggy programs: "
        f"{', '.join(results['programs'])}"
    )
    for row in results["rounds"]:
        times = "  ".join(
            f"{stage} {row['seconds'][stage]:.2f} s/{row['tokens'][stage]} tok (x{row['speedup'][stage]})"
            for stage in STAGES
        )
        same = ", ".join(f"{stage} {n}/{row['compared']}" for stage, n in row["identical"].items())
        print(
            f"  T={row['temperature']} round {row['round']}: {times}\n    outputs identical to today's: {same}"
        )


def _print_load(results: dict[str, Any]) -> None:
    print(f"tokens/s on {results['cores']} cores, alone and beside one busy-loop process")
    for row in results["rows"]:
        print(
            f"  round {row['round']} {'busy' if row['competing'] else 'alone':<5} {row['engine']:<6} "
            f"{row['tok_s']:>6} tok/s  ({row['threads']} threads)"
        )
    print("  median: " + ", ".join(f"{k} {v}" for k, v in results["median"].items()))


if __name__ == "__main__":
    sys.exit(main())
