"""Prompts for the two model calls (repair, hint), the hint grammar, and parsing of what comes back.

Every prompt starts with the same block (exercise, learner code, first failing test) so the engine reuses its
KV cache across the k repair calls and the hint call. Base models with no chat template get a completion-style
prompt that ends where the answer starts; chat models get the same text as messages.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tutor.engines.base import Grammar, Message, Prompt
from tutor.exercises import Exercise
from tutor.runner.report import TestResult

FIXED_OPEN, FIXED_CLOSE = "[FIXED]", "[/FIXED]"
REPAIR_STOPS = ("```", FIXED_CLOSE, "\nFailing test", "\nExercise:", "\nStudent program")
REPAIR_INSTRUCTION = "Corrected program (fixes only the bug, keeps the student's names and style):"
HINT_INSTRUCTION = (
    "The tutor writes one sentence explaining the bug for the teacher, then one short, friendly hint for the "
    "student: a question that points at the bug without giving any code or the answer."
)

SYSTEM = (
    "You are a patient Python tutor for beginners. You never give the solution's code; you help the student "
    "find the bug themselves."
)

# Output always has this shape, so parsing never fails. Backticks, brackets, braces, = and < > are not allowed,
# so neither inline code nor markup can appear; the leak guard checks the rest.
HINT_GRAMMAR = Grammar(
    gbnf=r"""root ::= "Explanation: " sentence "\nHint: " sentence "\n"
sentence ::= [A-Z] [^\n`<>={}\[\]#.?!]+ [.?!]"""
)

# A worked example in the same layout, so that base models without instruction tuning see the format once.
# It is the same text in every prompt, so the engine keeps it in its KV cache.
EXAMPLE = """Exercise: Count the negatives
Write count_negatives(numbers) that returns how many numbers in the list are below zero.

Student program:
```python
def count_negatives(numbers):
    count = 0
    for n in numbers:
        if n > 0:
            count += 1
    return count
```
Failing test: count_negatives([-1, 2, -3])
Expected: 2
Got: 1
Corrected program (fixes only the bug, keeps the student's names and style):
[FIXED]
```python
def count_negatives(numbers):
    count = 0
    for n in numbers:
        if n < 0:
            count += 1
    return count
```
[/FIXED]
Where the bug is: Look at the comparison on line 4.
The tutor writes one sentence explaining the bug for the teacher, then one short, friendly hint for the student: a question that points at the bug without giving any code or the answer.

Explanation: The condition on line 4 counts the positive numbers instead of the negative ones.
Hint: Which numbers get through the condition on line 4, and are those the ones you want to count?

"""

EXAMPLE_ANSWERS = (
    "The condition on line 4 counts the positive numbers instead of the negative ones.",
    "Which numbers get through the condition on line 4, and are those the ones you want to count?",
)

_DESCRIPTION_LIMIT = 700


@dataclass(frozen=True)
class ParsedHint:
    explanation: str
    hint: str


def shared_context(exercise: Exercise, code: str, failure: TestResult) -> str:
    """The common part of every prompt: task, learner code, first failing test (and only that one)."""
    description = " ".join(exercise.description.split())[:_DESCRIPTION_LIMIT]
    observed = failure.got if failure.got is not None else failure.message
    lines = [
        f"Exercise: {exercise.title}",
        description,
        "",
        "Student program:",
        "```python",
        code.rstrip(),
        "```",
        *failing_test_lines(failure, observed),
    ]
    return "\n".join(lines) + "\n"


def failing_test_lines(failure: TestResult, observed: str) -> list[str]:
    """The failing test as the model reads it: the call, the program's input or, for a hidden test, only that
    one fails (its input and values never reach a prompt whose answer the learner reads)."""
    if failure.hidden:
        return ["Failing test: a hidden test (its input is not shown)", f"Got: {failure.message}"]
    if failure.kind == "program":
        given = repr((failure.stdin or "").removesuffix("\n")) if failure.stdin else "no input"
        lines = [f"Failing test: the whole program run with input {given}"]
        if failure.expected is not None:
            lines.append(f"Expected output: {failure.expected}")
        return [*lines, f"Got output: {observed}" if failure.got is not None else f"Got: {observed}"]
    lines = [f"Failing test: {failure.call}"]
    if failure.kind == "raises":
        lines.append(f"Expected: raises {failure.expected}")
        return [*lines, f"Got: {failure.message}"]
    if failure.expected is not None:
        lines.append(f"Expected: {failure.expected}")
    return [*lines, f"Got: {observed}"]


REPAIR_PREFILL = f"{FIXED_OPEN}\n```python\n"  # every repair answer starts inside the code fence


def repair_prompt(context: str, chat: bool) -> Prompt:
    """The repair request. The answer is opened in the prompt (for chat models, as a prefilled assistant turn),
    so the model writes code at once and the closing fence stops it; a chat model left to open the fence itself
    would be stopped by that opening fence (``REPAIR_STOPS``) before writing any code."""
    if chat:
        user = (
            f"{context}\n{REPAIR_INSTRUCTION} Reply with the whole corrected program between "
            f"{FIXED_OPEN} and {FIXED_CLOSE}."
        )
        return [*_messages(user), {"role": "assistant", "content": REPAIR_PREFILL}]
    return f"{EXAMPLE}{context}{REPAIR_INSTRUCTION}\n{REPAIR_PREFILL}"


def hint_prompt(context: str, fixed_code: str | None, change: str, chat: bool) -> Prompt:
    parts = [context.rstrip("\n")]
    if fixed_code:
        parts += [REPAIR_INSTRUCTION, FIXED_OPEN, "```python", fixed_code.rstrip(), "```", FIXED_CLOSE]
    if change:
        parts.append(f"Where the bug is: {change}")
    parts.append(HINT_INSTRUCTION)
    text = "\n".join(parts) + "\n\n"
    return _messages(text) if chat else EXAMPLE + text


def _messages(user: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_repair(text: str) -> str | None:
    """The program in a repair answer: between the markers or in a fence, cut to the longest prefix that parses."""
    body = text
    if FIXED_OPEN in body:
        body = body.split(FIXED_OPEN, 1)[1]
    body = body.split(FIXED_CLOSE, 1)[0]
    fence = re.match(r"\s*```(?:python|py)?[ \t]*\n(.*?)(?:```|$)", body, re.S)
    body = fence.group(1) if fence else body.split("```", 1)[0]
    lines = body.strip("\n").splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end]).rstrip() + "\n"
        if candidate.strip() and _parses(candidate):
            return candidate
    return None


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_hint(text: str) -> ParsedHint:
    """Split grammar-shaped output into explanation and hint; tolerant of a missing part."""
    explanation = re.search(r"Explanation:\s*(.*)", text)
    hint = re.search(r"Hint:\s*(.*)", text)
    return ParsedHint(
        explanation=explanation.group(1).strip() if explanation else "",
        hint=hint.group(1).strip() if hint else "",
    )
