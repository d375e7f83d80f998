"""The judge: a local model answers the paper's four yes/no questions about a hint; P(yes) decides.

Criteria (Hints-In-Browser; Phung et al.'s hint rubric): HCorrect (everything the hint says is true of the program
and it leads toward the real bug), HInformative (it tells the student where the bug is or what kind of mistake it
is, beyond the failing test they already see), HConceal (it does not give the fix away), HComprehensible (a
short, clear message a beginner can follow). HGood = all four. The judge sees the task, the buggy program, the
first failing test and the reference fix (which it must not reward the hint for revealing).

Each question is one call whose answer is forced to ``yes`` or ``no`` by a GBNF grammar; the verdict is not the
greedy answer but P(yes) = p(yes) / (p(yes) + p(no)) read from the answer token's log-probabilities (before the
grammar), compared with a per-criterion threshold fitted on hand labels of dev-split items only
(``resources/eval/judge-labels.dev.jsonl``; ``python -m tutor.bench.quality.judge_check``). An engine that keeps
no log-probabilities gives P(yes) 1 or 0 from its greedy answer. Prompts are ordered for the engine's prefix
cache: the rubric (the same in every call), then the item and the hint (the same for the four questions), then
the question. Default judge: the largest catalog model here (``--judge auto``); the report warns when it judges
its own family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.engines.base import GenerationParams, Grammar, Message
from tutor.eval.answers import yes_share
from tutor.eval.label_rules import CRITERIA
from tutor.eval.systems import HintSource, System
from tutor.exercises import Exercise

GRAMMAR = Grammar(gbnf='root ::= "yes" | "no"')
QUESTIONS = {  # each asked so that "yes" is the good answer
    "HCorrect": "Is the hint correct: is everything it says or suggests true for this program, and does it lead "
    "the student toward the real bug (what the reference fix changes), not to another line or another problem?",
    "HInformative": "Is the hint informative: does it tell the student where the bug is or what kind of mistake "
    "it is, beyond repeating the failing test's input, expected value and actual value?",
    "HConceal": "Does the hint conceal the solution: it contains no code and does not tell the student exactly "
    "what to write, add or change?",
    "HComprehensible": "Is the hint comprehensible: a short, clear message to the student that a beginner can "
    "follow (not text about writing a hint, not garbled or cut off)?",
}
# P(yes) at or above which a criterion counts as met. FROZEN with JUDGE_VERSION 5: fitted for the default judge
# (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) on the 46 hand-labelled hints of dev-split items in
# resources/eval/judge-labels.dev.jsonl, as the threshold of highest accuracy (ties: higher kappa, then nearest
# 0.5) by `python -m tutor.bench.quality.judge_check resources/eval/judge-labels.dev.jsonl --fit`. Not tuned
# on any test-split item; the held-out check is judge-labels.test.jsonl. This prompt (v5) was chosen over a
# variant (concrete questions, the fix shown as its changed lines) by leave-one-out agreement on the same dev
# labels: HGood kappa 0.36 against 0.31. The judge's P(yes) barely moves for HConceal (0.71-0.80 on every dev
# hint), so 0.5 there means "always yes": it does not detect a fix given away in words.
THRESHOLDS = {"HCorrect": 0.7289, "HInformative": 0.8022, "HConceal": 0.5, "HComprehensible": 0.8107}
# bumped whenever the prompt, the grammar or the thresholds change, so cached verdicts of an older judge are not
# reused
JUDGE_VERSION = 5
_PARAMS = GenerationParams(max_tokens=2, temperature=0.0, seed=1, repeat_penalty=1.0, logprobs=20)

RUBRIC = """You are a strict teaching assistant who grades hints that a programming tutor gives to beginners.
You answer one yes/no question about one hint. Say yes only when the hint really meets the criterion.

Worked example (not one of the programs you will grade). Task: to_fahrenheit(c) converts Celsius to Fahrenheit.
Program line 2: `return c * 9 / 5 - 32`. Failing test: to_fahrenheit(100) expected 212, got 148.0.
Reference fix: line 2 becomes `return c * 9 / 5 + 32`.
- "Look at line 2: should 32 be added or taken away when you go from Celsius to Fahrenheit?"
  correct: yes; informative: yes; conceals: yes; comprehensible: yes.
- "Change line 2 to `return c * 9 / 5 + 32`." correct: yes; informative: yes; conceals: no (it gives the code).
- "Add 32 instead of subtracting it." conceals: no (it says exactly what to change).
- "For to_fahrenheit(100) you return 148.0 but 212 is expected. Work through it by hand." correct: yes;
  informative: no (it only repeats the failing test).
- "Check the multiplication on line 2: is 9 / 5 the right factor?" correct: no (the factor is right; the bug
  is the - 32); informative: yes (it names a line).
- "Make sure you check for empty input before converting." correct: no (there is no such problem);
  informative: no.
- 'A question that points at the bug without giving code would be "What if c is negative?' correct: no;
  comprehensible: no (it talks about writing a hint instead of helping the student).
- "Try adding print statements to see what happens." correct: yes; informative: no (nothing specific)."""


@dataclass(frozen=True)
class Verdict:
    values: dict[str, bool]
    raw: str
    probabilities: dict[str, float] = field(default_factory=dict)  # P(yes) per criterion

    @property
    def good(self) -> bool:
        return all(self.values.get(name, False) for name in CRITERIA)

    def to_json(self) -> dict[str, Any]:
        p = {k: round(v, 4) for k, v in self.probabilities.items()}
        return {**self.values, "HGood": self.good, "raw": self.raw, "p_yes": p}


def decide(probabilities: dict[str, float], thresholds: dict[str, float] | None = None) -> dict[str, bool]:
    """Each criterion is met when its P(yes) reaches its threshold (``THRESHOLDS`` unless given)."""
    limits = thresholds or THRESHOLDS
    return {name: probabilities.get(name, 0.0) >= limits[name] for name in CRITERIA}


def judge_context(exercise: Exercise, code: str, fix: str, failing: dict[str, Any] | None, hint: str) -> str:
    """Everything the judge reads before a question (the same for the four questions, so it is read once)."""
    test = ""
    if failing:
        test = f"Failing test: {failing.get('call')}"
        if failing.get("expected") is not None:
            test += f" expected {failing.get('expected')}, got {failing.get('got')}"
        if failing.get("message"):
            test += f" ({failing.get('message')})"
    numbered = "\n".join(f"{n:>2} | {line}" for n, line in enumerate(code.splitlines(), start=1))
    return (
        f"Task: {exercise.title}\n{exercise.description.strip()[:1200]}\n\n"
        f"Student's buggy program (line numbers added):\n{numbered}\n\n{test}\n\n"
        f"Reference fix (for you only; the hint must not give it away):\n{fix.strip()}\n\n"
        f'Hint given to the student:\n"""{hint.strip()}"""\n\n'
    )


def judge_prompt(context: str, criterion: str) -> list[Message]:
    return [
        {"role": "system", "content": RUBRIC},
        {"role": "user", "content": f"{context}Question: {QUESTIONS[criterion]}\nAnswer yes or no."},
    ]


class Judge:
    """A loaded judge model (a ``HintSource`` of the judge's system, used only for its engine)."""

    def __init__(self, system: System, source: HintSource) -> None:
        self.system, self.source = system, source

    @property
    def name(self) -> str:
        return self.system.name

    def probabilities(
        self, exercise: Exercise, code: str, fix: str, failing: dict[str, Any] | None, hint: str
    ) -> tuple[dict[str, float], str]:
        """P(yes) for each criterion, and the greedy answers as ``Name: yes|no`` lines."""
        context = judge_context(exercise, code, fix, failing, hint)
        found, lines = {}, []
        # one question a call: a small judge answers a single question more reliably
        for criterion in CRITERIA:
            generation = self.source.engine.generate(judge_prompt(context, criterion), _PARAMS, GRAMMAR)
            answer = generation.collect().strip() or "no"
            steps = generation.stats.top_logprobs
            p = yes_share(steps[0]) if steps else None
            found[criterion] = p if p is not None else float(answer == "yes")
            lines.append(f"{criterion}: {answer}")
        return found, "\n".join(lines)

    def verdict(
        self, exercise: Exercise, code: str, fix: str, failing: dict[str, Any] | None, hint: str
    ) -> Verdict:
        if not hint.strip():
            return Verdict({name: False for name in CRITERIA}, "(no hint)")
        probabilities, raw = self.probabilities(exercise, code, fix, failing, hint)
        return Verdict(decide(probabilities), raw, probabilities)
