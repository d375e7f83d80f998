"""Words a teacher reads in the grading report, without the grader's jargon: "1 student", and the smallest
change that makes a failing program pass said as an edit ("changes a comparison on line 3") rather than as the
analysis's kinds ("comparison, extra, statement").
"""

from __future__ import annotations

from tutor.feedback import analysis

# analysis.Change.kind -> what the smallest passing change does, as a verb phrase
_EDITS = {
    "missing": "adds code at line {line}",
    "extra": "removes code from line {line}",
    "comparison": "changes a comparison on line {line}",
    "arithmetic": "changes an operator on line {line}",
    "number": "changes a number on line {line}",
    "logic": "changes a condition on line {line}",
    "value": "changes a value on line {line}",
    "string": "changes a piece of text on line {line}",
    "name": "uses a different name on line {line}",
    "statement": "rewrites part of line {line}",
}


def plural(count: int, word: str) -> str:
    """``1 student``, ``2 students``."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def smallest_change(code: str, fixed: str) -> str:
    """What the smallest passing change does to ``code``, in words ("" when there is no difference):
    "The smallest change that makes it pass changes a comparison on line 3 (and 1 other line)."."""
    found = analysis.changes(code, fixed)
    if not found:
        return ""
    first = found[0]
    others = len({c.line for c in found} - {first.line})
    more = f" (and {plural(others, 'other line')})" if others else ""
    edit = _EDITS.get(first.kind, "changes line {line}").format(line=first.line)
    return f"The smallest change that makes it pass {edit}{more}."
