"""Model-judged rubric items: a yes/no question about a student's program, answered by the local model with a
grammar that allows only " yes" or " no".

The probability of "yes" comes from the model's token log-probabilities when the engine exposes them (the native
engine's ``answer_logprobs``); otherwise it is reported as unavailable, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.engines.base import Engine, GenerationParams, Grammar
from tutor.eval.answers import answer_probabilities
from tutor.exercises import Exercise
from tutor.grading.rubric import ItemResult, Judge

YES, NO = " yes", " no"
VERDICT_GRAMMAR = Grammar(gbnf='root ::= " yes" | " no"')
_CODE_LIMIT = 4000


def judge_prompt(exercise: Exercise, code: str, question: str) -> str:
    """Plain text (the same for base and chat models), ending where the one-word answer starts."""
    description = " ".join(exercise.description.split())[:600]
    return (
        "A teacher reviews a student's Python program and answers a yes/no question about it.\n\n"
        f"Exercise: {exercise.title}\n{description}\n\nStudent program:\n```python\n{code[:_CODE_LIMIT].rstrip()}\n"
        f"```\nQuestion: {question}\nAnswer (yes or no):"
    )


def judge_items(engine: Engine, exercise: Exercise, code: str, judges: Sequence[Judge]) -> list[ItemResult]:
    return [judge_one(engine, exercise, code, item) for item in judges]


def judge_one(engine: Engine, exercise: Exercise, code: str, item: Judge) -> ItemResult:
    prompt = judge_prompt(exercise, code, item.question)
    generation = engine.generate(
        prompt, GenerationParams(max_tokens=3, temperature=0.0, seed=0), VERDICT_GRAMMAR
    )
    verdict = generation.collect().strip().lower() == "yes"
    probability, note = yes_probability(engine, prompt)
    return ItemResult(
        item.id,
        "judge",
        item.question,
        item.points if verdict else 0.0,
        item.points,
        verdict,
        probability,
        note,
    )


def yes_probability(engine: Engine, prompt: str) -> tuple[float | None, str]:
    """P(yes) among the two allowed answers, from token log-probabilities; (None, why) when unavailable."""
    if not engine.capabilities().answer_scores:
        return None, "probability unavailable: this engine does not expose token probabilities"
    try:
        logprobs = engine.answer_logprobs(prompt, (YES, NO))
    except Exception as exc:  # noqa: BLE001 - the verdict stands without its probability
        return None, f"probability unavailable ({exc})"
    shares = answer_probabilities(logprobs, {YES: YES.__eq__, NO: NO.__eq__})
    return (shares[YES] if shares else None), ""


def unjudged(judges: Sequence[Judge], reason: str) -> list[ItemResult]:
    """Items the model did not judge (no model, or a broken program): no points, and the reason."""
    return [ItemResult(j.id, "judge", j.question, 0.0, j.points, None, None, reason) for j in judges]
