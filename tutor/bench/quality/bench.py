"""The benchmark loop: every item through every system, scored, judged, and cached as it goes.

Items run in an order that alternates between sets, and every system answers an item before the next item starts,
so a run stopped early still gives paired, comparable results on every set (n per cell says how far it got).
Models are loaded once, when first needed. The benchmark's own work (the full test run of each chosen repair and
the scoring) is timed separately from model time, to check it stays a small share.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.bench.quality.judge import JUDGE_VERSION, Judge
from tutor.eval.cache import GenerationCache
from tutor.eval.items import Item
from tutor.eval.scoring import generate_row
from tutor.eval.systems import HintSource, System, open_source
from tutor.exercises import Exercise


@dataclass
class BenchRun:
    systems: list[System]
    items: list[Item]
    exercises: dict[str, Exercise]
    out: Path
    judge: System | None = None
    threads: int | None = None
    progress: bool = True
    generate: bool = True  # False: report what the cache holds, generate and judge nothing new
    log: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))


def interleave(items: list[Item]) -> list[Item]:
    """Round-robin over the sets, keeping each set's own order."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.set, []).append(item)
    ordered: list[Item] = []
    for index in range(max((len(g) for g in groups.values()), default=0)):
        ordered += [g[index] for g in groups.values() if index < len(g)]
    return ordered


def judge_key(judge: str, system: str) -> str:
    return f"judge:v{JUDGE_VERSION}:{judge}|{system}"


def run_bench(job: BenchRun) -> list[dict[str, Any]]:
    """Fill the cache for every (system, item) and return the rows (cached and new), judged when a judge is set."""
    from tqdm import tqdm

    cache = GenerationCache(job.out)
    sources: dict[str, HintSource] = {}
    judge: Judge | None = None
    ordered = interleave(job.items)
    bar = tqdm(
        total=len(ordered) * len(job.systems),
        desc="hints",
        unit="hint",
        file=sys.stderr,
        disable=not job.progress,
        dynamic_ncols=True,
    )
    rows: list[dict[str, Any]] = []
    try:
        for item in ordered:
            exercise = job.exercises[item.task]
            for system in job.systems:
                row = cache.get(system.name, item.key)
                if row is None and not job.generate:
                    bar.update(1)
                    continue
                if row is None:
                    if system.name not in sources:
                        job.log(f"loading {system.name}")
                        sources[system.name] = open_source(system, job.threads)
                    row = generate_row(sources[system.name], system, item, exercise)
                    cache.put(system.name, item.key, row)
                if job.judge is not None:
                    verdict = cache.get(judge_key(job.judge.name, system.name), item.key)
                    if verdict is None and job.generate:
                        if judge is None:
                            job.log(f"loading the judge {job.judge.name}")
                            judge = Judge(job.judge, open_source(job.judge, job.threads))
                        started = time.perf_counter()
                        found = judge.verdict(
                            exercise, item.code, item.fix, row.get("failing_test"), row["hint"]
                        )
                        verdict = dict(found.to_json(), judge_s=round(time.perf_counter() - started, 3))
                        cache.put(judge_key(job.judge.name, system.name), item.key, verdict)
                    row = dict(row, judge=verdict) if verdict else row
                rows.append(row)
                bar.update(1)
    finally:
        bar.close()
    return rows
