"""``tutor arena run``: every pair of systems on every item, decided by the leak guard or the judge.

Generations come from the quality benchmark's cache (``GenerationCache``, keyed by system and item) and missing
ones are made and added to it, one system at a time so only one contestant model is loaded at once; then the
judge model is loaded alone and every pair is judged in both orders. Battles are appended to ``battles.jsonl``
in the output folder as they are decided, so a stopped run resumes: a (judge, pair, item) already there is
skipped. Judging goes item by item, all of an item's battles and both their orders back to back, so the engine's
prefix cache reuses the item's part of the prompt. A record's ``winner`` there is the swap rule on the raw
(greedy) verdicts; reports decide judge battles on calibrated verdicts (``calibration.calibrate``), whose
position prior is estimated over all of the judge's battles.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.arena.battles import Contestant, battle
from tutor.arena.board import judge_stats, read_battles
from tutor.arena.calibration import calibrate
from tutor.arena.judge import Case, Judge
from tutor.eval.cache import GenerationCache
from tutor.eval.items import Item
from tutor.eval.scoring import generate_row
from tutor.eval.systems import System, open_source
from tutor.exercises import Exercise
from tutor.feedback.guard import check_hint
from tutor.runner import run as run_tests

BATTLES_NAME = "battles.jsonl"
Progress = Callable[[str, int, int], None]


@dataclass
class RunSummary:
    battles: int = 0
    new_battles: int = 0
    generated: int = 0
    from_cache: int = 0
    judge: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "battles": self.battles,
            "new_battles": self.new_battles,
            "generated": self.generated,
            "from_cache": self.from_cache,
            "judge": self.judge,
            "seconds": round(self.seconds, 1),
        }


class SharedCaches:
    """Several generation caches read as one (the first that has a pair wins); new generations go to the first.
    Lets an arena reuse the hints of one or more `tutor bench quality` runs."""

    def __init__(self, caches: list[GenerationCache]) -> None:
        self.caches = caches

    def get(self, system: str, key: str) -> dict[str, Any] | None:
        return next((r for c in self.caches if (r := c.get(system, key)) is not None), None)

    def put(self, system: str, key: str, record: dict[str, Any]) -> None:
        self.caches[0].put(system, key, record)


def hint_text(record: dict[str, Any]) -> str:
    """The hint in a cached generation (the benchmark's row, or the arena's own record)."""
    return str(record.get("hint") or record.get("text") or "")


def generate_missing(
    systems: list[System],
    items: list[Item],
    exercises: dict[str, Exercise],
    cache: SharedCaches,
    progress: Progress | None = None,
    threads: int | None = None,
) -> tuple[int, int]:
    """Make every (system, item) hint not yet cached. Returns (generated, found in the cache)."""
    generated = cached = 0
    for system in systems:
        missing = [i for i in items if cache.get(system.name, i.key) is None]
        cached += len(items) - len(missing)
        if not missing:
            continue
        source = open_source(system, threads)
        try:
            for done, item in enumerate(missing, start=1):
                # the benchmark's own row, so `tutor bench quality` can reuse what the arena generated
                cache.put(system.name, item.key, generate_row(source, system, item, exercises[item.task]))
                generated += 1
                if progress:
                    progress(f"hints from {system.name}", done, len(missing))
        finally:
            source.close()
    return generated, cached


def case_for(item: Item, exercise: Exercise) -> Case:
    report = run_tests(exercise, item.code)
    failure = report.first_failure
    if report.syntax_error is not None:
        failing = f"none ran: syntax error on line {report.syntax_error.line} ({report.syntax_error.message})"
    elif failure is None:
        failing = "none: every test passes"
    else:
        failing = f"{failure.call}\nExpected: {failure.expected}\nGot: {failure.got if failure.got is not None else failure.message}"
    return Case(
        task=f"{exercise.title}\n{exercise.description}", code=item.code, failing_test=failing, fix=item.fix
    )


def contestant(system: str, record: dict[str, Any], item: Item, exercise: Exercise) -> Contestant:
    """A system's hint on an item, with the leak guard's verdict on it: what counts is a leak (code, a line of the
    reference fix, a word of the avoid-list), as in the benchmark's ``conceal``; a hint that is merely vague is
    left to the judge."""
    text = hint_text(record)
    verdict = check_hint(
        text, item.fix, item.code, avoid=tuple(exercise.avoid), task_text=exercise.description
    )
    return Contestant(system, text, tuple(r for r in verdict.reasons if r.startswith("contains")))


def run_battles(
    systems: list[System],
    items: list[Item],
    exercises: dict[str, Exercise],
    cache: SharedCaches,
    judge: Judge,
    out: Path,
    progress: Progress | None = None,
) -> RunSummary:
    """Judge every pair on every item (both orders), appending to ``out/battles.jsonl``."""
    started = time.perf_counter()
    path = out / BATTLES_NAME
    out.mkdir(parents=True, exist_ok=True)
    done = {(r.get("judge"), r["a"], r["b"], r["item"]) for r in read_battles(path)}
    pairs = list(itertools.combinations(sorted(s.name for s in systems), 2))
    summary = RunSummary()
    total = sum((judge.name, a, b, item.key) not in done for item in items for a, b in pairs)
    with path.open("a", encoding="utf-8") as handle:
        for item in items:
            exercise = exercises[item.task]
            todo = [p for p in pairs if (judge.name, p[0], p[1], item.key) not in done]
            case = case_for(item, exercise) if todo else None
            for x, y in todo:
                assert case is not None
                record = battle(
                    item.key,
                    case,
                    contestant(x, _cached(cache, x, item), item, exercise),
                    contestant(y, _cached(cache, y, item), item, exercise),
                    judge.verdict,
                    judge.name,
                    task=item.task,
                )
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
                handle.flush()
                summary.new_battles += 1
                if progress:
                    progress("battles", summary.new_battles, total)
    records = [r for r in read_battles(path) if r.get("judge") == judge.name]
    wanted = {s.name for s in systems}
    records = [r for r in records if r["a"] in wanted and r["b"] in wanted]
    summary.battles, summary.judge = len(records), judge_stats(calibrate(records))
    summary.seconds = time.perf_counter() - started
    return summary


def _cached(cache: SharedCaches, system: str, item: Item) -> dict[str, Any]:
    record = cache.get(system, item.key)
    if record is None:
        raise KeyError(f"no cached hint from {system} for {item.key}")
    return record
