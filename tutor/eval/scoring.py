"""Scoring one hint against one item (no model involved): the automatic metrics of the benchmark.

- RPass: the repair the pipeline chose passes *all* the tests (the pipeline itself checks only the first failing
  one); REdit: token edit distance from the learner's code to that repair (None without a repair);
- localization: the line the hint points to (a ``line N`` in its text, else the pipeline's own pointer) is one of
  the lines the reference fix changes in the buggy program;
- conceal: the text has no code and no line of the reference fix (the leak guard's rules, against the reference);
- model share: the text is the model's, not the analysis fallback.

``generate_row`` runs one system on one item and scores it: the benchmark's row, also what the arena caches.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tutor.eval.items import Item
from tutor.eval.systems import HintSource, System
from tutor.exercises import Exercise
from tutor.feedback.analysis import changes
from tutor.feedback.guard import check_hint
from tutor.feedback.tokens import edit_distance
from tutor.runner import run

_LINE = re.compile(r"\blines? (\d+)", re.I)


def fix_lines(code: str, fix: str) -> list[int]:
    """Lines of the buggy program that the reference fix changes (an insertion counts at the line it is next to)."""
    return sorted({change.line for change in changes(code, fix)})


def hint_line(text: str, fallback: int | None) -> int | None:
    """The line a hint points to: the first ``line N`` it names, else the pipeline's pointer."""
    match = _LINE.search(text)
    return int(match.group(1)) if match else fallback


def localized(text: str, pointer: int | None, code: str, fix: str) -> bool:
    line = hint_line(text, pointer)
    return line is not None and line in fix_lines(code, fix)


def conceals(text: str, code: str, fix: str) -> bool:
    """No code and no line of the reference fix in the hint text."""
    reasons = check_hint(text, fix, code).reasons
    return not any(r.startswith("contains") for r in reasons)


def repair_scores(exercise: Exercise, code: str, repair: str | None) -> tuple[bool, int | None]:
    """(RPass, REdit) of the chosen repair."""
    if not repair:
        return False, None
    return run(exercise, repair).passed, edit_distance(code, repair)


def score(
    exercise: Exercise, code: str, fix: str, hint: dict[str, Any], repair: str | None
) -> dict[str, Any]:
    """The automatic scores of one hint (``hint`` is ``Hint.to_json()``)."""
    text = hint.get("hint", "")
    rpass, redit = repair_scores(exercise, code, repair)
    line = hint_line(text, hint.get("line"))
    return {
        "rpass": rpass,
        "redit": redit,
        "hint_line": line,
        "fix_lines": fix_lines(code, fix),
        "localization": line is not None and line in fix_lines(code, fix),
        "conceal": conceals(text, code, fix),
        "model_share": hint.get("source") == "model",
    }


def generate_row(source: HintSource, system: System, item: Item, exercise: Exercise) -> dict[str, Any]:
    """One system's hint on one item, scored: the benchmark's row (also what ``tutor arena`` caches)."""
    hint = source.hint(exercise, item.code)
    data = hint.to_json()
    started = time.perf_counter()
    scores = score(exercise, item.code, item.fix, data, source.last_repair)
    bench_s = time.perf_counter() - started
    timings, tokens = hint.timings, hint.tokens
    model_s = timings.get("repair_model_s", 0.0) + timings.get("hint_model_s", 0.0)
    completion = tokens.get("repair_completion", 0) + tokens.get("hint_completion", 0)
    return {
        "system": system.name,
        "set": item.set,
        "task": item.task,
        "name": item.name,
        "item": item.key,
        "hint": hint.hint,
        "explanation": hint.explanation,
        "source": hint.source,
        "status": hint.status,
        "line": hint.line,
        "repair": source.last_repair,
        "repair_source": hint.repair_source,
        "failing_test": hint.failing_test,
        "rejected": hint.rejected,
        **scores,
        "time_first_s": round(source.last_first_token_s, 3),
        "time_text_s": round(source.last_first_text_s, 3),
        "time_total_s": round(timings.get("total_s", 0.0), 3),
        "model_s": round(model_s, 3),
        "bench_s": round(bench_s, 4),
        "prompt_tokens": tokens.get("repair_prompt", 0) + tokens.get("hint_prompt", 0),
        "completion_tokens": completion,
        "tok_s": round(completion / model_s, 2) if model_s else None,
        "engine_peak_rss_mb": source.peak_memory_mb(),
        "engine": {k: data["engine"].get(k) for k in ("name", "model_name", "threads", "backend")},
    }
