"""From bug/fix pairs to the training set: two examples a pair, deduplicated, split by task, with a data card.

Each pair gives a ``repair`` example (the fixed program) and a ``hint`` example: the team's authored target for the
pair when there is one and it passes the teacher checks (``tutor.train.authored``; then also a hint example without
the fix, when the target passes the guard with none), else the teacher model's answer when it is accepted, else the
analysis text (see ``tutor.train.teacher``). Pairs are taken in a seeded order, so a
``teacher_limit`` spends the teacher's calls on all sources alike. Examples with the same ``Example.id`` are kept
once. ``dev.jsonl`` holds whole tasks (seeded, about ``dev_fraction`` of the examples; a task bigger than what
is left of that share stays in training), for early stopping; ``train.jsonl`` the rest. No example of a benchmark
test task or program passes the split gate.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.eval.splits import refuse_test_items
from tutor.exercises import Exercise
from tutor.feedback import analysis, prompts
from tutor.feedback.fallback import model_hint_reasons
from tutor.train.authored import AuthoredTarget, pair_key
from tutor.train.examples import Example
from tutor.train.sources import Pair
from tutor.train.teacher import (
    ANSWER_SHAPE,
    NOT_SOCRATIC,
    Teacher,
    analysis_answer,
    avoid_words,
    teacher_reasons,
)


@dataclass
class TeacherStats:
    model: str = ""
    asked: int = 0  # new calls in this build
    cached: int = 0  # answers read from the cache
    accepted: int = 0
    accepted_by_guard_and_facts: int = 0  # before the Socratic check (a question, no new code)
    seconds: list[float] = field(default_factory=list)  # per new call
    reasons: Counter[str] = field(default_factory=Counter)
    authored: int = 0  # pairs whose hint target is the team's authored one
    authored_no_fix: int = 0  # of those, also an example without the fix
    authored_refused: int = 0  # authored targets the teacher checks refuse (the pair falls back)

    def to_json(self) -> dict[str, Any]:
        answered = self.asked + self.cached
        return {
            "authored": self.authored,
            "authored_no_fix": self.authored_no_fix,
            "authored_refused": self.authored_refused,
            "model": self.model or None,
            "answers": answered,
            "asked": self.asked,
            "cached": self.cached,
            "accepted": self.accepted,
            "acceptance_rate": round(self.accepted / answered, 3) if answered else None,
            "accepted_by_guard_and_facts": self.accepted_by_guard_and_facts,
            "seconds_per_answer_mean": round(statistics.fmean(self.seconds), 2) if self.seconds else None,
            "seconds_per_answer_median": round(statistics.median(self.seconds), 2) if self.seconds else None,
            "rejections": dict(self.reasons.most_common()),
        }


@dataclass
class Built:
    train: list[Example]
    dev: list[Example]
    dev_tasks: list[str]
    duplicates: int
    teacher: TeacherStats
    analysis_guard_ok: int  # analysis hint targets the guard would accept as a model's output


def build_examples(
    pairs: list[Pair],
    exercises: dict[str, Exercise],
    teacher: Teacher | None = None,
    teacher_limit: int | None = None,
    seed: int = 7,
    on_pair: Callable[[], None] | None = None,
    authored: dict[str, AuthoredTarget] | None = None,
) -> tuple[list[Example], TeacherStats, int]:
    """Two examples a pair (three with an authored target that also stands without the fix), in a seeded order;
    returns them (not yet deduplicated), the teacher's figures and the number of analysis targets that pass the
    guard."""
    order = list(pairs)
    random.Random(f"{seed}/pairs").shuffle(order)
    stats = TeacherStats(model=teacher.model_id if teacher else "")
    budget = teacher_limit if teacher_limit is not None else 10**9
    examples: list[Example] = []
    guard_ok = 0
    for pair in order:
        exercise = exercises[pair.task]
        context = prompts.shared_context(exercise, pair.code, pair.failure)
        examples.append(Example("repair", pair.source, pair.task, context, pair.fix.rstrip() + "\n"))
        change = analysis.describe_change(pair.code, pair.fix)
        own = _authored_examples(pair, exercise, context, change, (authored or {}), stats) if change else []
        examples += own
        if change and not own:
            text, target, asked = _hint_target(pair, exercise, context, change, teacher, stats, budget)
            budget -= asked
            if text is None:
                text = analysis_answer(exercise, pair.code, pair.fix, pair.failure)
                guard_ok += not model_hint_reasons(
                    prompts.parse_hint(text),
                    exercise,
                    pair.code,
                    pair.fix,
                    pair.failure,
                    avoid_words(exercise),
                )
            examples.append(Example("hint", pair.source, pair.task, context, text, pair.fix, change, target))
        if on_pair is not None:
            on_pair()
    return examples, stats, guard_ok


def _authored_examples(
    pair: Pair,
    exercise: Exercise,
    context: str,
    change: str,
    authored: dict[str, AuthoredTarget],
    stats: TeacherStats,
) -> list[Example]:
    """The hint examples of the pair's authored target: with the fix, and without it where the guard accepts the
    target with no fix (what the model is asked when no repair passed); none when there is no target or the
    teacher checks refuse it."""
    target = authored.get(pair_key(pair.task, pair.code, pair.fix))
    if target is None:
        return []
    if teacher_reasons(target.answer, exercise, pair.code, pair.fix, pair.failure):
        stats.authored_refused += 1
        return []
    stats.authored += 1
    source = f"authored:{target.writer}"
    found = [Example("hint", pair.source, pair.task, context, target.answer, pair.fix, change, source)]
    parsed = prompts.parse_hint(target.answer)
    if not model_hint_reasons(parsed, exercise, pair.code, None, pair.failure, avoid_words(exercise)):
        stats.authored_no_fix += 1
        found.append(Example("hint", pair.source, pair.task, context, target.answer, None, "", source))
    return found


def _hint_target(
    pair: Pair,
    exercise: Exercise,
    context: str,
    change: str,
    teacher: Teacher | None,
    stats: TeacherStats,
    budget: int,
) -> tuple[str | None, str, bool]:
    """(the teacher's accepted answer or None for the analysis text, target source, whether the teacher was
    called anew)."""
    if teacher is None:
        return None, "analysis", False
    key = Example("hint", pair.source, pair.task, context, "", pair.fix, change).id
    cached = teacher.cached(key)
    if cached is None and budget <= 0:
        return None, "analysis", False
    answer = teacher.ask(key, context, pair.fix, change)
    if cached is None:
        stats.asked += 1
        stats.seconds.append(answer.seconds)
    else:
        stats.cached += 1
    reasons = teacher_reasons(answer.text, exercise, pair.code, pair.fix, pair.failure)
    stats.reasons.update(_reason_family(r) for r in reasons)
    stats.accepted_by_guard_and_facts += not [r for r in reasons if not r.startswith(NOT_SOCRATIC)]
    if reasons:
        return None, "analysis", cached is None
    stats.accepted += 1
    return answer.text, f"teacher:{teacher.model_id}", cached is None


def _reason_family(reason: str) -> str:
    """A reason without its particulars (the line, the quoted text), for counting."""
    return (
        reason.split(" (")[0].split(",")[0] if not reason.startswith("names line") else "names a wrong line"
    )


def deduplicate(examples: list[Example]) -> tuple[list[Example], int]:
    seen: set[str] = set()
    kept = []
    for example in examples:
        if example.id not in seen:
            seen.add(example.id)
            kept.append(example)
    return kept, len(examples) - len(kept)


def split_by_task(
    examples: list[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example], list[str]]:
    """(train, dev, dev tasks): whole tasks go to dev, in a seeded order, up to ``fraction`` of the examples."""
    counts = Counter(e.task for e in examples)
    tasks = sorted(counts)
    random.Random(f"{seed}/dev").shuffle(tasks)
    room = int(fraction * len(examples))
    chosen: list[str] = []
    for task in tasks:
        if counts[task] <= room:
            chosen.append(task)
            room -= counts[task]
    dev_set = set(chosen)
    return (
        [e for e in examples if e.task not in dev_set],
        [e for e in examples if e.task in dev_set],
        sorted(chosen),
    )


def gate(examples: list[Example]) -> int:
    """The benchmark's split gate on every example's task and programs (the fix; the buggy code was checked
    with its pair)."""
    return refuse_test_items({"task": e.task, "fix": e.fixed or e.answer} for e in examples)


def assemble(
    pairs: list[Pair],
    exercises: dict[str, Exercise],
    teacher: Teacher | None = None,
    teacher_limit: int | None = None,
    seed: int = 7,
    dev_fraction: float = 0.1,
    on_pair: Callable[[], None] | None = None,
    authored: dict[str, AuthoredTarget] | None = None,
) -> Built:
    examples, stats, guard_ok = build_examples(
        pairs, exercises, teacher, teacher_limit, seed, on_pair, authored
    )
    kept, duplicates = deduplicate(examples)
    gate(kept)
    train, dev, dev_tasks = split_by_task(kept, dev_fraction, seed)
    return Built(train, dev, dev_tasks, duplicates, stats, guard_ok)


def answer_fits_grammar(example: Example) -> bool:
    return example.kind != "hint" or bool(ANSWER_SHAPE.fullmatch(example.answer))
