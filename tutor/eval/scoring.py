"""Scoring one hint against one item (no model involved): the automatic metrics of the benchmark.

- RPass: the repair the pipeline chose passes *all* the tests (the pipeline itself checks only the first failing
  one); REdit: token edit distance from the learner's code to that repair (None without a repair);
- localization: the line the hint points to (a ``line N`` in its text, else the pipeline's own pointer) is one of
  the lines the reference fix changes in the buggy program;
- conceal: the text has no code and no line of the reference fix (the leak guard's rules, against the reference);
- model share: the text is the model's, not the analysis fallback.
"""

from __future__ import annotations

import re
from typing import Any

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
