"""Speed-ups measured side by side in one run: ``tutor bench repairs`` and ``tutor bench load``.

repairs: the pipeline's model repair stage (k = 3 generations, each checked with the tests as the pipeline
    checks it, the passing one closest to the code chosen) on real buggy programs from the shared datasets,
    the way it was before this change ("all k") and with each speed-up alone and together, interleaved round by
    round on one engine. Each stage starts with the prompt out of the KV cache, as for a new hint. Speed-ups:
    "until pass" (a passing candidate ends the search), "greedy once" (at temperature 0 the k requests are the
    same greedy generation, made once), "prompt lookup" and "batching" (measured, off in the pipeline). The chosen
    repair of each stage, and the candidate texts it generated, are compared with all-k's (the first as many of
    them): at temperature 0 they must be identical.
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
from tutor.feedback.pipeline import VALIDATION_LIMITS, PipelineConfig, repair_params
from tutor.feedback.tokens import edit_distance
from tutor.jsonl import read_jsonl
from tutor.models.choice import ModelRefused
from tutor.runner import passes, run
from tutor.session import authorized_model_file

DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
LOOKUP_TOKENS = PipelineConfig().repair_prompt_lookup or 10  # the pipeline's setting, or 10 where it is off


@dataclass(frozen=True)
class Stage:
    lookup: int = 0  # prompt-lookup draft tokens
    batched: bool = False  # the k candidates as parallel sequences of one batch
    until_pass: bool = False  # a passing candidate ends the search
    greedy_once: bool = False  # at temperature 0, one generation stands for the k identical ones


STAGES: dict[str, Stage] = {
    "all k": Stage(),
    "until pass": Stage(until_pass=True),
    "greedy once": Stage(greedy_once=True),
    "pipeline": Stage(until_pass=True, greedy_once=True),  # what PipelineConfig() does now
    "prompt lookup": Stage(lookup=LOOKUP_TOKENS),
    "batching": Stage(batched=True),
    "pipeline + lookup": Stage(lookup=LOOKUP_TOKENS, until_pass=True, greedy_once=True),
}


@dataclass
class Case:
    name: str
    code: str
    prompt: Prompt
    exercise: Exercise
    first: str  # the first failing test's call


def buggy_cases(folder: Path, count: int, chat: bool = False) -> list[Case]:
    """Buggy QuixBugs programs and wrong Refactory submissions (alternating) whose first failing test is known."""
    exercises: dict[str, Exercise] = {}
    pools: list[list[dict[str, Any]]] = []
    for name, label in (("quixbugs", "buggy"), ("refactory", "wrong")):
        for exercise in load_tasks(folder / f"{name}.tasks.jsonl").exercises:
            exercises[exercise.id] = exercise
        rows = read_jsonl(folder / f"{name}.programs.jsonl", "program")
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
                        exercise,
                        failure.call,
                    )
                )
    return cases


@dataclass
class StageRun:
    seconds: float
    chosen: str | None  # the passing repair the pipeline would pick, if any
    texts: list[str]  # every candidate generated
    tokens: int
    generations: int


def repair_stage(engine: NativeEngine, case: Case, config: PipelineConfig, stage: Stage) -> StageRun:
    """The model repair stage of one hint, from a cold prompt, validation included."""
    flush = GenerationParams(max_tokens=1, temperature=0.0)
    engine.generate("\n", flush).collect()  # push the prompt out of both KV caches
    engine.generate_many("\n", [flush])
    count = 1 if stage.greedy_once and config.repair_temperature == 0 else config.repairs
    params = [replace(repair_params(config, case.code, i), prompt_lookup=stage.lookup) for i in range(count)]
    started = time.perf_counter()
    passing: list[tuple[int, str]] = []
    tokens = 0
    batched = stage.batched and len(params) > 1
    if batched:
        generations = engine.generate_many(case.prompt, params)
        texts = [g.collect() for g in generations]
        tokens = sum(g.stats.completion_tokens for g in generations)
    else:
        texts = []
        for p in params:
            generation = engine.generate(case.prompt, p)
            texts.append(generation.collect())
            tokens += generation.stats.completion_tokens
            if stage.until_pass and _check(case, texts[-1], passing):
                break
    if batched or not stage.until_pass:
        for text in texts:
            _check(case, text, passing)
    chosen = min(passing)[1] if passing else None
    return StageRun(time.perf_counter() - started, chosen, texts, tokens, len(texts))


def _check(case: Case, text: str, passing: list[tuple[int, str]]) -> bool:
    """Validate one candidate as the pipeline does; a passing one is added with its distance."""
    candidate = prompts.parse_repair(text)
    if candidate is None or candidate.strip() == case.code.strip():
        return False
    if not passes(case.exercise, candidate, case.first, VALIDATION_LIMITS):
        return False
    passing.append((edit_distance(case.code, candidate), candidate))
    return True


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
            row = _round(engine, cases, config)
            row.update({"temperature": temperature, "round": round_no + 1})
            results["rounds"].append(row)
            _progress(
                f"repairs T={temperature} round {round_no + 1}: {row['seconds']} same choice {row['same_choice']} same texts {row['same_texts']}"
            )
    return results


def _round(engine: NativeEngine, cases: list[Case], config: PipelineConfig) -> dict[str, Any]:
    seconds = {stage: 0.0 for stage in STAGES}
    tokens = {stage: 0 for stage in STAGES}
    generations = {stage: 0 for stage in STAGES}
    same = {stage: 0 for stage in list(STAGES)[1:]}
    same_texts = {stage: 0 for stage in list(STAGES)[1:]}
    passed = {stage: 0 for stage in STAGES}
    for case in cases:
        runs = {stage: repair_stage(engine, case, config, settings) for stage, settings in STAGES.items()}
        for stage, run_ in runs.items():
            seconds[stage] += run_.seconds
            tokens[stage] += run_.tokens
            generations[stage] += run_.generations
            passed[stage] += run_.chosen is not None
        for stage in same:
            same[stage] += runs[stage].chosen == runs["all k"].chosen
            # the candidates themselves (at temperature 0, all of all-k's are one text): the same set of texts
            same_texts[stage] += set(runs[stage].texts) == set(runs["all k"].texts[: len(runs[stage].texts)])
    return {
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "tokens": tokens,
        "generations": generations,
        "repaired": passed,
        "same_choice": same,
        "same_texts": same_texts,
        "compared": len(cases),
        "speedup": {k: round(seconds["all k"] / v, 2) for k, v in seconds.items() if v},
    }


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
    try:
        model = authorized_model_file(args.model)  # the school's policy (tutor.session)
    except ModelRefused as exc:
        print(f"tutor bench: {exc}", file=sys.stderr)
        return 2
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
        same = ", ".join(f"{stage} {n}/{row['compared']}" for stage, n in row["same_choice"].items())
        texts = ", ".join(f"{stage} {n}/{row['compared']}" for stage, n in row["same_texts"].items())
        repaired = ", ".join(f"{stage} {n}" for stage, n in row["repaired"].items())
        print(
            f"  T={row['temperature']} round {row['round']}: {times}\n"
            f"    chosen repair as with all k: {same}\n    candidate texts as with all k: {texts}\n"
            f"    programs repaired: {repaired}"
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
