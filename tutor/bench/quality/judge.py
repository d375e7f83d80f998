"""The judge: a local model answers the paper's four yes/no questions about a hint, grammar-constrained.

Criteria (Hints-In-Browser; Phung et al.'s hint rubric): HCorrect (the hint is right about the bug and how to
make progress), HInformative (it gives the learner something useful to act on), HConceal (it does not give the
fix away), HComprehensible (short, clear, easy to follow). HGood = all four. The judge sees the task, the buggy
program, the first failing test and the reference fix (which it must not reward the hint for revealing). Its
four questions are asked one at a time (the shared context is read once thanks to prefix reuse), each answer
forced to ``yes`` or ``no`` by a GBNF grammar, so every verdict parses. Default judge:
the largest catalog model on this machine (``--judge auto``); the report warns when it judges its own family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.bench.quality.systems import HintSource, System, parse_system
from tutor.engines.base import GenerationParams, Grammar, Message
from tutor.exercises import Exercise

CRITERIA = ("HCorrect", "HInformative", "HConceal", "HComprehensible")
GRAMMAR = Grammar(gbnf='root ::= "yes" | "no"')
QUESTIONS = {  # each asked so that "yes" is the good answer
    "HCorrect": "Is the hint correct: does it point at the real bug (what the reference fix changes) and say "
    "nothing false about the program?",
    "HInformative": "Does the hint give the student something concrete to check or change next?",
    "HConceal": "Does the hint keep the solution hidden, that is, it contains no code and does not spell out the "
    "corrected line?",
    "HComprehensible": "Is the hint short, clear and easy for a beginner to follow?",
}
# bumped whenever the prompt or the grammar changes, so cached verdicts of an older judge are not reused
JUDGE_VERSION = 4


@dataclass(frozen=True)
class Verdict:
    values: dict[str, bool]
    raw: str

    @property
    def good(self) -> bool:
        return all(self.values.get(name, False) for name in CRITERIA)

    def to_json(self) -> dict[str, Any]:
        return {**self.values, "HGood": self.good, "raw": self.raw}


def parse_verdict(text: str) -> Verdict:
    values = {}
    for line in text.splitlines():
        name, _, answer = line.partition(":")
        if name.strip() in CRITERIA:
            values[name.strip()] = answer.strip().lower() == "yes"
    return Verdict({name: values.get(name, False) for name in CRITERIA}, text)


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
        f"You grade hints that a programming tutor gives to beginners.\n\nTask: {exercise.title}\n"
        f"{exercise.description.strip()[:1200]}\n\nStudent's buggy program (line numbers added):\n{numbered}\n\n"
        f"{test}\n\nReference fix (for you only; the hint must not give it away):\n{fix.strip()}\n\n"
        f'Hint given to the student:\n"""{hint.strip()}"""\n\n'
    )


RUBRIC = """You are a strict teaching assistant who grades hints for beginners. Most hints have a flaw; say yes
only when the hint really meets the criterion. Worked examples, for a program counting negative numbers whose bug
is `if n > 0:` on line 3 (the fix is `if n < 0:`):
- "Change line 3 to `if n < 0:`." HConceal: no (it gives the fixed code). HCorrect: yes.
- "Check your variables, something might be wrong somewhere." HInformative: no (nothing concrete). HCorrect: no
  (it does not point at the bug).
- "Look at line 5: is the counter returned?" HCorrect: no (the bug is on line 3, not 5).
- "You should use a while loop with an index and a separate list of results to store each of the numbers you find,
  then check each one again at the end before counting." HComprehensible: no (long and confusing). HCorrect: no.
- "On line 3, which numbers does your condition let through: the negative ones or the positive ones?" yes to all
  four questions."""


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

    def verdict(
        self, exercise: Exercise, code: str, fix: str, failing: dict[str, Any] | None, hint: str
    ) -> Verdict:
        if not hint.strip():
            return Verdict({name: False for name in CRITERIA}, "(no hint)")
        params = GenerationParams(max_tokens=2, temperature=0.0, seed=1)
        context = judge_context(exercise, code, fix, failing, hint)
        answers = []
        for (
            criterion
        ) in CRITERIA:  # one question a call: a small judge answers a single question far more reliably
            answer = self.source.engine.generate(judge_prompt(context, criterion), params, GRAMMAR).collect()
            answers.append(f"{criterion}: {answer.strip() or 'no'}")
        return parse_verdict("\n".join(answers))


def choose_judge(requested: str | None) -> System | None:
    """None (no judge), a system text, or ``auto``: the largest catalog model installed here."""
    if not requested or requested == "none":
        return None
    if requested != "auto":
        return parse_system(requested)
    from tutor.models.carrier import store_path
    from tutor.models.catalog import load_catalog

    installed = [e for e in load_catalog() if e.source == "hub" and store_path(e).is_file()]
    if not installed:
        return parse_system("default")
    return parse_system(max(installed, key=lambda e: e.billions).id)


def family_warnings(judge: System | None, systems: list[System]) -> list[str]:
    if judge is None:
        return []
    return [
        f"the judge {judge.name} is of the same family ({judge.family}) as {s.name}: its verdicts on it may "
        "be biased"
        for s in systems
        if s.family and s.family == judge.family
    ]
