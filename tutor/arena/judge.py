"""The local judge: one model call per ordered pair, its verdict grammar-constrained to ``A``, ``B`` or ``tie``.

The judge sees the task, the buggy program, the first failing test, the reference fix (the contestants never see
it) and the two hints. Decoding is greedy under a three-way GBNF grammar, so the verdict is always one of the
three; the probabilities of the three answers under the model's own distribution (read from the first token's
log-probabilities, renormalised over the three) are kept with it, where the engine reports them. Battles are
decided on calibrated verdicts made from those probabilities (``tutor.arena.calibration``). The prompt puts
what a whole item shares (instructions, task, program, test, fix) before the two hints, so the engine's prefix
cache reads it once for all the item's battles when they are judged one after another.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from typing import Any

from tutor.engines.base import Engine, GenerationParams, Grammar, Message, Prompt
from tutor.eval.answers import Matcher, answer_probabilities

VERDICTS = ("A", "B", "tie")
VERDICT_GRAMMAR = Grammar(gbnf='root ::= "A" | "B" | "tie"')
_PARAMS = GenerationParams(max_tokens=4, temperature=0.0, repeat_penalty=1.0, logprobs=20)

PROMPT_VERSION = 2  # bumped whenever the prompt changes (hand-label checks keep scores per version)
_INSTRUCTIONS = (
    "You compare two hints written for a beginner whose Python program fails a test. The better hint is the one "
    "that (1) is true and points the student at the real bug shown to you (the same line or the same mistake), "
    "(2) does not give the fix away (no code, and it does not say exactly what to change), and (3) is a clear "
    "message to the student, not text about writing a hint. A hint that only repeats the failing test is worse "
    "than one that points at the real bug without giving it away, and better than one that is false or off the "
    "point. Answer tie when neither hint is better."
)


@dataclass(frozen=True)
class Case:
    """What the judge sees about one item, besides the two hints."""

    task: str
    code: str
    failing_test: str
    fix: str


@dataclass
class Verdict:
    label: str  # "A", "B" or "tie"
    probabilities: dict[str, float] | None
    seconds: float
    prompt_tokens: int = 0
    prompt_tokens_reused: int = 0  # read from the engine's prefix cache (the item's shared part)

    def to_json(self) -> dict[str, Any]:
        probabilities = (
            {k: round(v, 4) for k, v in self.probabilities.items()} if self.probabilities else None
        )
        return {
            "verdict": self.label,
            "probabilities": probabilities,
            "seconds": round(self.seconds, 3),
            "prompt_tokens": self.prompt_tokens,
            "prompt_tokens_reused": self.prompt_tokens_reused,
        }


def judge_prompt(case: Case, hint_a: str, hint_b: str) -> Prompt:
    numbered = "\n".join(
        f"{n:>2} | {line}" for n, line in enumerate(case.code.rstrip().splitlines(), start=1)
    )
    body = (
        f"Task:\n{case.task.strip()}\n\nStudent program (line numbers added):\n{numbered}\n\n"
        f"First failing test:\n{case.failing_test.strip()}\n\n"
        "The real bug, as the reference fix repairs it (never shown to the student):\n"
        f"{fix_changes(case.code, case.fix)}\n\n"
        f"Hint A: {_one_line(hint_a)}\n\nHint B: {_one_line(hint_b)}\n\n"
        "Which hint is better for the student? Answer A, B or tie."
    )
    messages: list[Message] = [
        {"role": "system", "content": _INSTRUCTIONS},
        {"role": "user", "content": body},
    ]
    return messages


def fix_changes(code: str, fix: str, most: int = 6) -> str:
    """What the reference fix changes, line by line in the student's numbering (a small judge finds the bug in a
    short list of changes more easily than by comparing two programs); the whole fix when it rewrites more
    than ``most`` lines."""
    old, new = code.rstrip().splitlines(), fix.rstrip().splitlines()
    changes, size = [], 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal" or not "".join(old[i1:i2] + new[j1:j2]).strip():  # unchanged, or blank lines only
            continue
        size += max(i2 - i1, j2 - j1)
        if tag == "insert":
            changes += [f"- after line {i1}, add: {line.strip()}" for line in new[j1:j2]]
        elif tag == "delete":
            changes += [f"- line {n}: remove {old[n - 1].strip()}" for n in range(i1 + 1, i2 + 1)]
        else:
            numbers = [n for n in range(i1 + 1, i2 + 1) if old[n - 1].strip()] or [i1 + 1]
            was = " / ".join(old[n - 1].strip() for n in numbers)
            now = " / ".join(line.strip() for line in new[j1:j2] if line.strip())
            where = f"line {numbers[0]}" if len(numbers) == 1 else f"lines {numbers[0]}-{numbers[-1]}"
            changes.append(f"- {where}: {was}  ->  {now}")
    if not changes or size > most:
        return f"the fix rewrites the program:\n{fix.strip()}"
    return "\n".join(changes)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(empty)"


class Judge:
    """A loaded judge model. ``name`` is what reports call it."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine, self.name = engine, name

    def verdict(self, case: Case, hint_a: str, hint_b: str) -> Verdict:
        started = time.perf_counter()
        prompt = judge_prompt(case, hint_a, hint_b)
        if not self.engine.info().chat_template and isinstance(prompt, list):
            prompt = _base_model_prompt(prompt)
        generation = self.engine.generate(prompt, _PARAMS, VERDICT_GRAMMAR)
        text = generation.collect().strip()
        label = text if text in VERDICTS else "tie"
        probabilities = (
            verdict_probabilities(generation.stats.top_logprobs[0]) if generation.stats.top_logprobs else None
        )
        stats = generation.stats
        return Verdict(
            label,
            probabilities,
            time.perf_counter() - started,
            stats.prompt_tokens,
            stats.prompt_tokens_reused,
        )


def _base_model_prompt(messages: list[Message]) -> str:
    """A base model with no chat template gets the same text, ending where its answer starts."""
    return "\n\n".join(m["content"] for m in messages) + "\n\nAnswer:"


def verdict_probabilities(first_token: dict[str, float]) -> dict[str, float] | None:
    """P(A), P(B), P(tie) from the first answer token's log-probabilities, renormalised over the three answers
    (a piece counts for the answer it can start: ``A``, ``B``, or a prefix of ``tie``). None if none is there."""
    return answer_probabilities(first_token, _VERDICT_PIECES)


def _is_tie(piece: str) -> bool:
    word = piece.strip()
    return bool(word) and "tie".startswith(word.lower()) and word[0] in "tT"


_VERDICT_PIECES: dict[str, Matcher] = {
    "A": lambda piece: piece.strip() == "A",
    "B": lambda piece: piece.strip() == "B",
    "tie": _is_tie,
}
