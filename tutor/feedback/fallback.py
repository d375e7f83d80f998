"""When a model's hint may be shown, and the analysis hint that replaces it when not.

``model_hint_reasons`` is the leak guard exactly as the pipeline applies it to a model's explanation and hint
(the hint judged in full; the explanation for leaks and wrong lines only). ``analysis_hint`` is the text the
learner gets instead: the failing test in words and, when a validated repair exists, where and what kind of
change it makes, never the change itself. The pipeline and ``tutor train data`` (hint targets) both call these.
``with_observation`` puts the failing test in words before a model's hint, as the analysis hint has it.
"""

from __future__ import annotations

import keyword
import re

from tutor.exercises import Exercise
from tutor.feedback import analysis, prompts
from tutor.feedback.explain import explanation
from tutor.feedback.guard import check_hint
from tutor.feedback.mistakes import find_mistake
from tutor.runner import TestResult

GENERIC = "Work through the failing test by hand, line by line, and compare each value with what you expect."

_ERROR_QUESTIONS = {
    "RecursionError": "Which input should stop the recursion without another call, and does your function check "
    "for it before calling itself?",
    "ZeroDivisionError": "Which value is zero when the division happens, and how should that case be handled?",
    "IndexError": "Which positions does your code read, and does the list really have an item at each of them?",
    "KeyError": "Which key is looked up, and has it been put in the dictionary before that moment?",
    "TypeError": "What type does each value have at that moment? Try printing them for this input.",
    "NameError": "Is every name on that line defined, and spelled the same way everywhere?",
    "UnboundLocalError": "Does the variable get a value before it is used, on every path through the function?",
    "AttributeError": "What type is the value on that line, and does that type really have this method?",
}


def model_hint_reasons(
    parsed: prompts.ParsedHint,
    exercise: Exercise,
    code: str,
    fixed: str | None,
    failure: TestResult,
    avoid: tuple[str, ...],
) -> list[str]:
    """Why the guard refuses this model output (empty: it may be shown)."""
    facts = f"{failure.call} {failure.expected or ''} {failure.got or ''} {failure.message}"
    focus = focus_words(code, fixed, failure)
    task_text = f"{exercise.description}\n{prompts.EXAMPLE}"
    verdict = check_hint(
        parsed.hint,
        fixed,
        code,
        avoid,
        task_text,
        facts,
        focus,
        prompts.EXAMPLE_ANSWERS,
        instructions=f"{prompts.SYSTEM}\n{prompts.HINT_INSTRUCTION}",
    )
    explanation_verdict = check_hint(
        parsed.explanation, fixed, code, avoid, "", facts, focus, prompts.EXAMPLE_ANSWERS
    )
    leaks = [
        f"explanation {r}"
        for r in explanation_verdict.reasons
        if r.startswith(("contains", "copies", "points"))
    ]
    return verdict.reasons + leaks


def focus_words(code: str, fixed: str | None, failure: TestResult) -> tuple[str, ...]:
    """What a specific hint mentions: the lines a repair changes (their number, their names), else the line
    where the error happened. Empty when nothing is known, and then the guard asks for any concrete reference."""
    lines = (
        sorted({c.line for c in analysis.changes(code, fixed)})
        if fixed
        else ([failure.line] if failure.line else [])
    )
    if not lines:
        return ()
    source = code.splitlines()
    names = {
        word
        for number in lines
        if 0 < number <= len(source)
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", source[number - 1])
        if word not in keyword.kwlist
    }
    return tuple(f"line {n}" for n in lines) + tuple(sorted(names))


def observation(failure: TestResult, fixed: str | None, code: str, avoid: tuple[str, ...]) -> str:
    """The failing test in words (``analysis.describe_failure``), or "" where it would leak the fix or use a word
    the teacher asked hints to avoid."""
    observed = analysis.describe_failure(failure)
    return observed if _leak_free(observed, fixed, code, avoid) else ""


def with_observation(
    hint: str, failure: TestResult, fixed: str | None, code: str, avoid: tuple[str, ...]
) -> str:
    """A model's hint as the learner reads it: after what the failing test showed, so that the model's question
    has its facts (the model writes the question; the test result, true by construction, says what happened).
    Unchanged when the hint already names the failing call."""
    return after_observation(hint, observation(failure, fixed, code, avoid), failure.call)


def after_observation(hint: str, observed: str, call: str) -> str:
    """``with_observation`` for a caller that has the observation already (the pipeline, once per request)."""
    return hint if not observed or analysis.quote(call.strip()) in hint else f"{observed} {hint}"


def _leak_free(text: str, fixed: str | None, code: str, avoid: tuple[str, ...]) -> bool:
    return not [r for r in check_hint(text, fixed, code, avoid).reasons if r.startswith("contains")]


def analysis_hint(
    failure: TestResult, change: str, fixed: str | None, code: str, avoid: tuple[str, ...]
) -> tuple[str, str]:
    """``(hint, explanation)`` from program analysis alone: true by construction, and leak-free. A beginner
    mistake recognised in the code (``tutor.feedback.mistakes``) is named after the failing test; the
    explanation gives the why (``tutor.feedback.explain``) and never repeats the hint."""
    observed = analysis.describe_failure(failure)
    mistake = find_mistake(code, failure)
    question = change or question_without_repair(failure)
    candidates = [f"{observed} {question}", question, observed, GENERIC]
    if mistake is not None:
        candidates = [f"{observed} {mistake.sentence}", mistake.sentence, *candidates]

    def leak_free(text: str) -> bool:
        return _leak_free(text, fixed, code, avoid)

    # the first wording that neither leaks the fix nor uses a word the teacher asked hints to avoid
    text = next((c for c in candidates if leak_free(c)), GENERIC)
    why = explanation(text, failure, code, fixed, mistake if mistake and mistake.sentence in text else None)
    return text, why if leak_free(why) else ""


def question_without_repair(failure: TestResult) -> str:
    if failure.status == "timeout":
        return "Which value should change on every pass of the loop (or every recursive call), and does it?"
    if failure.exception in _ERROR_QUESTIONS:
        return _ERROR_QUESTIONS[failure.exception]
    if failure.status == "error" and failure.line:
        return f"What are the values of the variables on line {failure.line} for this input? Try it by hand."
    if failure.hidden:
        return (
            "Which cases does the task describe that the visible tests do not try? Test your code with them."
        )
    if failure.kind == "program":
        return (
            "Run your program by hand with this input: where does what it prints first differ from the test?"
        )
    if failure.kind == "raises":
        return "Which check in your function should notice this input, and what should it do then?"
    return "Work through this call by hand, line by line: where does your value first differ from what you expect?"
