"""The analysis hint's "Show explanation": the *why* behind the hint, never the hint again.

The hint says what happened and where to look; the explanation says why that kind of mistake behaves as it does
(why ``print`` is not ``return``, why an off-by-one comparison fails only at the boundary, why a list changed
inside a loop skips items). It is chosen from the beginner mistake when one was recognised
(``tutor.feedback.mistakes``), else from the kind of edit a validated repair makes, else from how the test failed;
any sentence the hint already contains is left out.
"""

from __future__ import annotations

import difflib
import re

from tutor.feedback import analysis
from tutor.feedback.mistakes import Mistake, find_mistake
from tutor.runner.report import TestResult

# analysis.Change.kind -> why that kind of edit matters
_BY_CHANGE = {
    "comparison": "A comparison that is off by one (less than where less than or equal is meant, or the other way round) gives the right "
    "answer for almost every input and the wrong one exactly at the boundary, which is the value tests like "
    "to check.",
    "number": "A start, end or step value that is one off usually changes only the first or the last step, so "
    "most inputs still look right and only the edge cases fail.",
    "arithmetic": "Operators that look alike do different things: % gives the remainder of a division, "
    "whole-number division (//) rounds down, and / keeps the fraction.",
    "logic": "A condition with and needs both sides to be true, with or only one; not turns the whole "
    "condition around. Putting the failing input through the condition by hand shows which way it goes.",
    "missing": "Programs often fail on a case the code does not handle at all: an empty input, a single item, "
    "or the first or last step of a loop.",
    "extra": "A step that runs when it should not (an extra statement, or one inside a loop that belongs after "
    "it) changes the result only for some inputs, which is why other tests can still pass.",
    "name": "Two variables with similar roles are easy to mix up; writing down each one's value as the code "
    "runs on the failing input shows which one is used where.",
    "value": "A value that is right for one case can be wrong for another: check which value this input needs "
    "at that point, working it out by hand first.",
    "string": "Text is compared character by character: a missing space, a different capital letter or a "
    "different punctuation mark makes two strings different.",
    "statement": "Following the code by hand and writing down every variable's value after each line shows the "
    "first place where the program's values part from the ones you expect.",
}
_BY_EXCEPTION = {
    "IndexError": "A list of n items has positions 0 to n - 1: asking for position n, or for any position of an "
    "empty list, raises IndexError.",
    "KeyError": "Reading a dictionary key that was never stored raises KeyError; get() with a default, or "
    "checking with in first, handles a key that may be missing.",
    "ZeroDivisionError": "Dividing by zero has no answer, so Python stops with ZeroDivisionError; an empty "
    "list, for instance, has a length of 0.",
    "TypeError": "Each operation works on certain types only: text and a number cannot be added, and None has "
    "no length. Some value here has a type the operation cannot use.",
    "RecursionError": "Each call of a recursive function must come closer to a case that returns without "
    "calling again; without one, the calls pile up until Python stops them.",
    "NameError": "Python knows a name only after it has been given a value, and spelled exactly the same way "
    "(capital letters count).",
    "UnboundLocalError": "A variable that gets a value anywhere in a function belongs to that function, so "
    "using it before that line is an error even when a variable of the same name exists outside.",
    "AttributeError": "A method belongs to a type: lists have append, strings have upper, and None has none at "
    "all, which is often the real cause.",
}
TIMEOUT = (
    "A loop stops only when its condition becomes false, and a recursion only when it reaches a case that does "
    "not call itself again. If nothing inside changes what that condition looks at, it never stops, and the "
    "test is stopped after a time limit."
)
COMPARED = (
    "The test compares the value your function returns with the expected value. Working out the expected "
    "answer for this input by hand, then following your code step by step, shows where the two part."
)


def explanation(hint: str, failure: TestResult, code: str, fixed: str | None, mistake: Mistake | None) -> str:
    """Why, for the analysis hint ``hint``: sentences the hint does not already have."""
    reasons = [mistake.why] if mistake else []
    if fixed:
        found = analysis.changes(code, fixed)
        if found and found[0].kind in _BY_CHANGE:
            reasons.append(_BY_CHANGE[found[0].kind])
    if failure.status == "timeout":
        reasons.append(TIMEOUT)
    elif failure.exception and failure.exception in _BY_EXCEPTION:
        reasons.append(_BY_EXCEPTION[failure.exception])
    if not reasons:
        reasons.append(COMPARED)
    said = {_flat(s) for s in _sentences(hint)}
    kept = [s for reason in reasons[:2] for s in _sentences(reason) if _flat(s) not in said]
    return " ".join(kept)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def distinct_explanation(given: str, hint: str, failure: TestResult, code: str, fixed: str | None) -> str:
    """A model's explanation when it adds something to its hint; else the why from ``explanation``."""
    own = [s for s in _sentences(given) if not _repeats(s, hint)]
    if own:
        return " ".join(own)
    return explanation(hint, failure, code, fixed, find_mistake(code, failure))


def _repeats(sentence: str, hint: str) -> bool:
    flat, said = _flat(sentence), _flat(hint)
    if flat in said:
        return True
    return any(
        difflib.SequenceMatcher(a=flat, b=_flat(other), autojunk=False).ratio() >= 0.8
        for other in _sentences(hint)
    )
