"""The core benchmark: ratios measured side by side in one run, printed as figures (never asserted as tests).

1. engine tokens/s ÷ raw llama-cpp-python tokens/s, same model, prompt and settings, runs interleaved (goal ≥ 0.97)
   and the engine in its own process ÷ in process, and the restart after a crash (tutor/bench/process.py)
2. hint pipeline wall time ÷ the sum of its model calls (goal ≤ 1.10)
3. test feedback latency on a 10-test exercise (goal ≤ 150 ms)
4. every program in shared/datasets checked against its label, with total time and the exceptions listed

Run: ``python -m tutor.bench.core [--json] [--datasets DIR] [--quick]`` or ``tutor bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tutor.bench import process as engine_process
from tutor.engines.base import GenerationParams
from tutor.engines.native import NativeEngine
from tutor.exercises import Exercise, TestCase, load_bundled, load_tasks
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.jsonl import read_jsonl
from tutor.models.choice import ModelRefused
from tutor.runner import run
from tutor.session import authorized_model_file
from tutor.system import default_threads

PROMPT = (
    "Exercise: Count the vowels\nStudent program:\n```python\ndef count_vowels(text):\n    count = 0\n"
    "    for letter in text:\n        if letter in 'aeiou':\n            count += 1\n    return count\n```\n"
    "Explain what this program does, step by step:\n"
)
DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def engine_vs_raw(model: Path, rounds: int, tokens: int) -> dict[str, Any]:
    """Tokens per second through our engine and through a bare ``llama_cpp.Llama``, alternating."""
    import llama_cpp

    threads = default_threads()
    engine = NativeEngine(threads=threads)
    engine.load(model)  # also loads llama.cpp's CPU code path (tutor.engines.cpu_backend) for the bare Llama
    raw = llama_cpp.Llama(
        model_path=str(model),
        n_ctx=4096,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=512,
        verbose=False,
    )
    params = GenerationParams(
        max_tokens=tokens, temperature=0.0, top_k=40, top_p=0.95, repeat_penalty=1.1, seed=1
    )

    def ours() -> float:
        start, count = time.perf_counter(), 0
        for _ in engine.generate(PROMPT, params):
            count += 1
        return count / (time.perf_counter() - start)

    def bare() -> float:
        start, count = time.perf_counter(), 0
        stream: Any = raw.create_completion(
            PROMPT,
            max_tokens=tokens,
            temperature=0.0,
            top_k=40,
            top_p=0.95,
            repeat_penalty=1.1,
            seed=1,
            stream=True,
        )
        for chunk in stream:
            count += bool(chunk["choices"][0]["text"])
        return count / (time.perf_counter() - start)

    ours(), bare()  # warm both (first call evaluates the prompt; later calls reuse it the same way in both)
    ours_rates, raw_rates = [], []
    for _ in range(rounds):
        ours_rates.append(ours())
        raw_rates.append(bare())
    ratio = statistics.median(ours_rates) / statistics.median(raw_rates)
    return {
        "engine_tok_s": round(statistics.median(ours_rates), 1),
        "raw_tok_s": round(statistics.median(raw_rates), 1),
        "ratio": round(ratio, 3),
        "goal": ">= 0.97",
        "rounds": rounds,
        "threads": threads,
    }


def pipeline_overhead(model: Path, exercise_ids: Sequence[str]) -> dict[str, Any]:
    engine = NativeEngine()
    engine.load(model)
    pack = load_bundled()
    rows: list[dict[str, Any]] = []
    for exercise_id in exercise_ids:
        exercise = pack.find(exercise_id)
        assert exercise is not None
        hint = HintPipeline(engine, PipelineConfig()).run(exercise, exercise.starter)
        model_s = hint.timings.get("repair_model_s", 0.0) + hint.timings.get("hint_model_s", 0.0)
        rows.append(
            {
                "exercise": exercise_id,
                "wall_s": round(hint.timings["total_s"], 2),
                "model_s": round(model_s, 2),
                "ratio": round(hint.timings["total_s"] / model_s, 3) if model_s else None,
                "source": hint.source,
                "repair": hint.repair_source or "none",
            }
        )
    wall = sum(r["wall_s"] for r in rows)
    model_total = sum(r["model_s"] for r in rows)
    return {"runs": rows, "ratio": round(wall / model_total, 3) if model_total else None, "goal": "<= 1.10"}


def feedback_latency(samples: int) -> dict[str, Any]:
    exercise = _ten_test_exercise()
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        report = run(exercise, exercise.solution or "")
        durations.append(time.perf_counter() - started)
        assert len(report.tests) == 10 and report.passed
    return {
        "tests": 10,
        "median_ms": round(statistics.median(durations) * 1000, 1),
        "p90_ms": round(sorted(durations)[int(samples * 0.9) - 1] * 1000, 1),
        "samples": samples,
        "goal": "<= 150 ms",
    }


def _ten_test_exercise() -> Exercise:
    grade = load_bundled().find("grade_letter")
    assert grade is not None
    scores = [100, 95, 90, 89, 80, 79, 70, 69, 12, 0]
    letters = ["A", "A", "A", "B", "B", "C", "C", "F", "F", "F"]
    tests = tuple(
        TestCase(call=f"grade_letter({s})", expected=repr(letter))
        for s, letter in zip(scores, letters, strict=True)
    )
    return Exercise(
        id="bench", title="bench", description="", entry="grade_letter", tests=tests, solution=grade.solution
    )


def dataset_labels(folder: Path, workers: int = 2, limit: int | None = None) -> dict[str, Any]:
    """Run every dataset program; correct/fixed/reference must pass all tests, wrong/buggy must fail one."""
    started = time.perf_counter()
    exercises: dict[str, Exercise] = {}
    jobs: list[dict[str, Any]] = []
    for name in ("quixbugs", "refactory"):
        for exercise in load_tasks(folder / f"{name}.tasks.jsonl").exercises:
            exercises[exercise.id] = exercise
        rows = read_jsonl(folder / f"{name}.programs.jsonl", "program")
        jobs += rows[:limit] if limit else rows

    def check(row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        report = run(exercises[row["task"]], row["code"])
        return row, report.passed

    exceptions: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for row, passed in pool.map(check, jobs):
            should_pass = row["label"] in ("correct", "fixed", "reference")
            counts[row["label"]] = counts.get(row["label"], 0) + 1
            if passed != should_pass:
                exceptions.append(
                    {
                        "task": row["task"],
                        "label": row["label"],
                        "name": row.get("name", ""),
                        "passed": str(passed),
                    }
                )
    total = time.perf_counter() - started
    return {
        "programs": len(jobs),
        "by_label": counts,
        "agree": len(jobs) - len(exceptions),
        "exceptions": exceptions,
        "total_s": round(total, 1),
        "per_program_ms": round(total / len(jobs) * 1000, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tutor bench", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and programs (a smoke run)")
    args = parser.parse_args(argv)
    try:
        model = authorized_model_file()  # the school's policy (tutor.session)
    except ModelRefused as exc:
        print(f"tutor bench: {exc}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    _step(
        "engine ÷ raw llama-cpp-python",
        lambda: results.__setitem__(
            "engine_vs_raw",
            engine_vs_raw(model, rounds=2 if args.quick else 5, tokens=64 if args.quick else 128),
        ),
    )
    _step(
        "engine process ÷ in process, restart after a crash",
        lambda: results.update(
            process_vs_in_process=engine_process.process_vs_in_process(
                model, rounds=2 if args.quick else 5, tokens=64 if args.quick else 128
            ),
            restart_after_crash=engine_process.restart_after_crash(model, crashes=1 if args.quick else 3),
        ),
    )
    _step(
        "pipeline ÷ model calls",
        lambda: results.__setitem__(
            "pipeline_overhead",
            pipeline_overhead(
                model,
                ["grade_letter"]
                if args.quick
                else ["grade_letter", "factorial", "sum_of_evens", "count_vowels", "largest"],
            ),
        ),
    )
    _step(
        "test feedback latency",
        lambda: results.__setitem__("feedback_latency", feedback_latency(10 if args.quick else 30)),
    )
    if args.datasets.is_dir():
        _step(
            "dataset labels",
            lambda: results.__setitem__(
                "dataset_labels", dataset_labels(args.datasets, limit=40 if args.quick else None)
            ),
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print_table(results)
    return 0


def _step(name: str, action: Any) -> None:
    print(f"… {name}", file=sys.stderr)
    action()


def _print_table(results: dict[str, Any]) -> None:
    e = results["engine_vs_raw"]
    print(
        f"engine tokens/s ÷ raw llama-cpp-python: {e['engine_tok_s']} / {e['raw_tok_s']} = {e['ratio']} (goal {e['goal']})"
    )
    engine_process.print_figures(results)
    p = results["pipeline_overhead"]
    for row in p["runs"]:
        print(
            f"  pipeline {row['exercise']:<14} wall {row['wall_s']:>6} s  model {row['model_s']:>6} s  "
            f"ratio {row['ratio']}  hint from {row['source']}, repair {row['repair']}"
        )
    print(f"pipeline wall ÷ model calls: {p['ratio']} (goal {p['goal']})")
    f = results["feedback_latency"]
    print(f"test feedback, 10 tests: median {f['median_ms']} ms, p90 {f['p90_ms']} ms (goal {f['goal']})")
    if "dataset_labels" in results:
        d = results["dataset_labels"]
        print(
            f"datasets: {d['agree']}/{d['programs']} programs agree with their label "
            f"({d['by_label']}); {d['total_s']} s in all, {d['per_program_ms']} ms each"
        )
        for item in d["exceptions"]:
            print(f"  exception: {item['task']} {item['label']} {item['name']} passed={item['passed']}")


if __name__ == "__main__":
    sys.exit(main())
