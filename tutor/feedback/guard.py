"""The leak guard: a hint may never hand over the solution, and must actually say something.

A hint fails when it contains a code block or inline code, any line of the fixed program, a word from the
teacher's avoid-list, or when it only restates the task, repeats the instructions it was given (a small instruct
model may answer "A question that points at the bug without giving any code would be..."), talks about the hint
instead of the program ("A question could be ..."), is cut off inside a quotation, repeats itself, or is too
vague to help. Each failure
comes with a reason, so the pipeline can regenerate once and then fall back to the analysis hint.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from tutor.feedback.tokens import tokens

_MIN_LINE_CHARS = 8
_MAX_WORDS = 60
_CODE_SIGNS = re.compile(
    r"```|`[^`]+`|^\s*(def|for|while|if|return|import)\b.*:\s*$|\bdef \w+\(|\bclass \w+|lambda\s"
    r"|\w\s*(==|!=|<=|>=|\+=|-=|\*=|//|\*\*)\s*\w|\w\[[^\]]*:[^\]]*\]|<[a-z_]+>",
    re.M,
)
# a sentence about the hint rather than the program (seen on dev-split items: 'A question could be "What if ...')
_META = re.compile(
    r"\b(?:a|one|another|the|my) (?:good |possible |helpful |useful |better )?(?:question|hint|nudge)"
    r"(?: to ask)?(?: (?:about|for) (?:this|it|the \w+))?(?: here)? (?:could|would|might|should|can) be\b"
    r"|\bhere(?:'s| is) (?:a|the|my|one) (?:hint|question)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CONCEPTS = {
    "loop",
    "condition",
    "comparison",
    "index",
    "boundary",
    "base",
    "recursion",
    "recursive",
    "counter",
    "operator",
    "range",
    "empty",
    "order",
    "keys",
    "dictionary",
    "off",
}


@dataclass
class GuardVerdict:
    ok: bool
    reasons: list[str] = field(default_factory=list)


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def check_hint(
    hint: str,
    fixed_code: str | None,
    learner_code: str,
    avoid: tuple[str, ...] = (),
    task_text: str = "",
    facts: str = "",
    focus: tuple[str, ...] = (),
    copied_from: tuple[str, ...] = (),
    instructions: str = "",
) -> GuardVerdict:
    """Judge a hint. ``task_text`` is text it must not merely restate (the task, the worked example);
    ``facts`` is what it may echo (the failing test's call and values); ``focus`` are words a specific hint
    would use (the lines a repair changes, ``line N``); ``instructions`` is what the model was told to do: a hint
    that shares four words in a row with it talks about the task of hinting, not about the program."""
    reasons: list[str] = []
    flat = normalise(hint)
    words = _WORD.findall(flat)
    if len(words) < 5:
        reasons.append("too short to help")
    if len(words) > _MAX_WORDS or len(re.findall(r"[.?!](\s|$)", hint)) > 3:
        reasons.append("too long for a hint")
    if _CODE_SIGNS.search(hint):
        reasons.append("contains code")
    reasons += _leaked_lines(flat, fixed_code)
    reasons += [
        f"contains the avoided word {word!r}" for word in avoid if word.strip() and word.lower() in flat
    ]
    task_words = _WORD.findall(normalise(task_text))
    if _overlap(words, task_words) > 0.5 or set(_ngrams(words, 6)) & set(_ngrams(task_words, 6)):
        reasons.append("restates the task or the example")
    if any(_similar(flat, normalise(other)) for other in copied_from):
        reasons.append("copies the worked example")
    if set(_ngrams(words, 4)) & set(_ngrams(_WORD.findall(normalise(instructions)), 4)):
        reasons.append("repeats the instructions")
    reasons += _wrong_lines(flat, learner_code, focus)
    if _META.search(hint):
        reasons.append("talks about the hint, not the program")
    if _unclosed_quote(hint):
        reasons.append("is cut off inside a quotation")
    if _repeats(words):
        reasons.append("repeats itself")
    if not _specific(words, flat, learner_code, facts, focus):
        reasons.append("says nothing specific")
    return GuardVerdict(ok=not reasons, reasons=reasons)


def _leaked_lines(flat_hint: str, fixed_code: str | None) -> list[str]:
    if not fixed_code:
        return []
    leaked = []
    for line in fixed_code.splitlines():
        flat_line = normalise(line)
        compact = flat_line.replace(" ", "")
        if len(compact) >= _MIN_LINE_CHARS and (
            flat_line in flat_hint or compact in flat_hint.replace(" ", "")
        ):
            leaked.append(f"contains a line of the fixed program ({line.strip()[:40]!r})")
    return leaked


def _unclosed_quote(text: str) -> bool:
    """An odd number of double quotes, or more opening than closing curly ones: the text stops mid-quotation."""
    return text.count('"') % 2 == 1 or text.count("\u201c") > text.count("\u201d")


def _similar(a: str, b: str) -> bool:
    return bool(a and b) and difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() >= 0.6


def _wrong_lines(flat_hint: str, learner_code: str, focus: tuple[str, ...]) -> list[str]:
    """A hint that names a line must name one that exists, and the right one when it is known."""
    named = {int(n) for n in re.findall(r"\blines? (\d+)", flat_hint)}
    if not named:
        return []
    count = len(learner_code.splitlines())
    if any(not 1 <= n <= count for n in named):
        return ["points at a line the program does not have"]
    known = {int(f.split()[1]) for f in focus if f.startswith("line ")}
    if known and not named & known:
        return ["points at the wrong line"]
    return []


def _ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def _overlap(hint_words: list[str], task_words: list[str]) -> float:
    grams = _ngrams(hint_words, 4)
    if not grams or not task_words:
        return 0.0
    task = set(_ngrams(task_words, 4))
    return sum(g in task for g in grams) / len(grams)


def _repeats(words: list[str]) -> bool:
    grams = _ngrams(words, 3)
    return any(grams.count(g) >= 3 for g in set(grams))


def _specific(words: list[str], flat: str, learner_code: str, facts: str, focus: tuple[str, ...]) -> bool:
    """Points somewhere: at the focus (where the bug is) when it is known, else at the code or the test."""
    if focus:
        return any(f.lower() in flat if " " in f else f.lower() in words for f in focus)
    names = {t.value.lower() for t in tokens(learner_code) if t.value.isidentifier() and len(t.value) > 2}
    fact_words = {w for w in _WORD.findall(normalise(facts)) if len(w) > 1}
    return any(w in _CONCEPTS or w in names or w in fact_words for w in words)
