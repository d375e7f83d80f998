"""Hint targets: a teacher model's explanation and hint when they are safe and right, else the analysis text.

The teacher is asked exactly what the pipeline asks (``prompts.hint_prompt`` with ``prompts.HINT_GRAMMAR``, the
pipeline's first hint attempt's sampling settings) through the project's engine. Its answer is kept only when

- the pipeline's leak guard accepts it as it would accept a model hint (``fallback.model_hint_reasons``: the hint
  in full, the explanation for leaks and wrong lines), and
- it agrees with the analysis facts: every line it names is a line the fix changes, or, naming no line, it names
  the kind of change (a comparison, an operator, a number...), and
- it is the Socratic hint the prompt asks for, which the guard does not check: the hint is a question and does not
  spell out the fix's new code. (Measured on Qwen2.5-Coder-1.5B: most answers the guard accepts are instructions
  such as "Change 0 to n + 1 on line 2"; the card counts those apart, as ``accepted_by_guard_and_facts``.)

Otherwise the target is the analysis hint (``fallback.analysis_hint``), cut to the one-sentence explanation and
one-sentence hint that ``HINT_GRAMMAR`` lets a model write, so that a model trained on it can produce it.
Answers are cached on disk, one JSON line each, keyed by the teacher and the unanswered example's id.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.engines.base import Engine, GenerationParams
from tutor.exercises import Exercise
from tutor.feedback import analysis, prompts
from tutor.feedback.fallback import GENERIC, analysis_hint, model_hint_reasons
from tutor.feedback.pipeline import PipelineConfig
from tutor.feedback.tokens import tokens
from tutor.models.gguf_header import GGUFError, read_header
from tutor.models.store import LocalModel, ModelStore, StoreError
from tutor.runner import TestResult

# HINT_GRAMMAR as a regular expression: one sentence of explanation, one of hint.
_SENTENCE = r"[A-Z][^\n`<>={}\[\]#.?!]+[.?!]"
ANSWER_SHAPE = re.compile(rf"Explanation: {_SENTENCE}\nHint: {_SENTENCE}\n")
_ONE_SENTENCE = re.compile(_SENTENCE)

# Words that name each kind of change ``analysis.changes`` reports.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "comparison": ("comparison", "compar", "condition", "boundary", "greater", "less than", "equal", "bound"),
    "arithmetic": ("operator", "operation", "add", "subtract", "multipl", "divi", "plus", "minus", "sum"),
    "number": (
        "number",
        "off by one",
        "off-by-one",
        "start",
        "end",
        "range",
        "index",
        "bound",
        "limit",
        "count",
    ),
    "logic": ("condition", "logic", "true", "false", "boolean"),
    "value": ("value", "variable", "return"),
    "name": ("variable", "name", "function", "return"),
    "string": ("text", "string", "character", "letter"),
    "missing": ("missing", "case", "handle", "forgot", "step", "check"),
    "extra": ("extra", "needed", "unnecessary", "remove"),
    "statement": (),
}


NOT_SOCRATIC = "not socratic: "


class TeacherError(RuntimeError):
    """A teacher that cannot be used; one line."""


def find_teacher(requested: str, store: ModelStore | None = None) -> LocalModel | None:
    """``auto``: the largest local model with a chat template (an instruct model), None if there is none;
    ``none``: None; else a model id of the local store or a GGUF file path."""
    if requested == "none":
        return None
    store = store or ModelStore()
    if requested == "auto":
        chat = [m for m in store.list() if m.info is not None and m.info.chat_template and not m.problem]
        return max(chat, key=lambda m: m.info.parameters if m.info else 0) if chat else None
    path = Path(requested)
    if path.is_file():
        try:
            return LocalModel(path.stem, path, "file", True, read_header(path))
        except GGUFError as exc:
            raise TeacherError(f"teacher {path}: {exc}") from None
    try:
        return store.find(requested)
    except StoreError as exc:
        raise TeacherError(str(exc)) from None


@dataclass(frozen=True)
class Answer:
    text: str
    seconds: float


class Teacher:
    """A loaded teacher model: ``ask`` returns its raw grammar-shaped answer, cached by ``key``."""

    def __init__(self, engine: Engine | None, model_id: str, cache: Path | None = None) -> None:
        """``engine`` None: only the cached answers (``--teacher-limit 0`` re-judges a cache, no model loaded)."""
        self.engine, self.model_id, self.cache = engine, model_id, cache
        self.config = PipelineConfig()
        self._answers: dict[str, Answer] = {}
        if cache is not None and cache.is_file():
            for line in cache.read_text(encoding="utf-8").splitlines():
                try:
                    data = json.loads(line)
                    self._answers[data["key"]] = Answer(data["text"], float(data["seconds"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut off when a build was stopped

    def cached(self, key: str) -> Answer | None:
        return self._answers.get(f"{self.model_id}/{key}")

    def ask(self, key: str, context: str, fixed: str, change: str) -> Answer:
        found = self.cached(key)
        if found is not None:
            return found
        if self.engine is None:
            raise TeacherError(f"no cached answer of {self.model_id} for {key}, and no model loaded")
        prompt = prompts.hint_prompt(context, fixed, change, bool(self.engine.info().chat_template))
        params = GenerationParams(
            max_tokens=self.config.hint_max_tokens,
            temperature=self.config.hint_temperature,
            seed=self.config.seed + 100,
            repeat_penalty=1.3,
        )
        started = time.perf_counter()
        text = self.engine.generate(prompt, params, prompts.HINT_GRAMMAR).collect()
        answer = Answer(text, time.perf_counter() - started)
        full_key = f"{self.model_id}/{key}"
        self._answers[full_key] = answer
        if self.cache is not None:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            with self.cache.open("a", encoding="utf-8") as handle:
                row = {"key": full_key, "text": text, "seconds": round(answer.seconds, 3)}
                handle.write(json.dumps(row) + "\n")
        return answer


def avoid_words(exercise: Exercise) -> tuple[str, ...]:
    return tuple(exercise.avoid) + tuple(PipelineConfig().avoid)


def teacher_reasons(text: str, exercise: Exercise, code: str, fixed: str, failure: TestResult) -> list[str]:
    """Why a teacher answer is not used as a target (empty: it is)."""
    reasons = [] if ANSWER_SHAPE.fullmatch(text) else ["does not have the hint format (cut off?)"]
    parsed = prompts.parse_hint(text)
    reasons += model_hint_reasons(parsed, exercise, code, fixed, failure, avoid_words(exercise))
    return reasons + disagreement(parsed, code, fixed) + not_socratic(parsed.hint, code, fixed)


def not_socratic(hint: str, code: str, fixed: str) -> list[str]:
    """What the hint prompt asks and the guard does not check: the hint is a question, and it does not spell
    out the fix's new code (``n + 1``, ``len(seq)``: text the grammar and the guard let through)."""
    reasons = [] if hint.rstrip().endswith("?") else [f"{NOT_SOCRATIC}the hint is not a question"]
    squashed = "".join(hint.lower().split())
    for snippet in _new_code(code, fixed):
        if snippet.lower() in squashed:
            return [*reasons, f"{NOT_SOCRATIC}the hint spells out the fix ({snippet!r})"]
    return reasons


def _new_code(code: str, fixed: str) -> list[str]:
    """The fix's new code in each changed region, without spaces (3 characters or more)."""
    left, right = [t.value for t in tokens(code)], [t.value for t in tokens(fixed)]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    found = []
    for op, _i1, _i2, j1, j2 in matcher.get_opcodes():
        snippet = "".join("".join(right[j1:j2]).split())
        if op != "equal" and len(snippet) >= 3:
            found.append(snippet)
    return found


def disagreement(parsed: prompts.ParsedHint, code: str, fixed: str) -> list[str]:
    """Where the answer contradicts the analysis of the fix: a line it does not change, or no line and no
    word for the kind of change."""
    found = analysis.changes(code, fixed)
    if not found:
        return []
    lines = {c.line for c in found}
    text = f" {parsed.explanation} {parsed.hint} ".lower()
    named = {int(n) for n in re.findall(r"\blines? (\d+)", text)}
    if named:
        wrong = sorted(named - lines)
        return [f"names line {wrong[0]}, the fix changes line {min(lines)}"] if wrong else []
    if any(word in text for c in found for word in KIND_WORDS.get(c.kind, ())):
        return []
    return ["names neither the changed line nor the kind of change"]


def analysis_answer(exercise: Exercise, code: str, fixed: str, failure: TestResult) -> str:
    """The pipeline's analysis hint in the answer format: its first sentences that the grammar allows, the
    hint preferring one the guard accepts as a model hint."""
    change = analysis.describe_change(code, fixed)
    avoid = avoid_words(exercise)
    hint_text, explanation_text = analysis_hint(failure, change, fixed, code, avoid)
    hints = _sentences(change) + _sentences(hint_text) + [GENERIC]
    explanations = _sentences(explanation_text) + [_kinds_sentence(code, fixed)]
    explanation = next((s for s in explanations if _ONE_SENTENCE.fullmatch(s)), "")
    fitting = [s for s in hints if _ONE_SENTENCE.fullmatch(s)]
    hint = next(
        (
            s
            for s in fitting
            if not model_hint_reasons(
                prompts.ParsedHint(explanation, s), exercise, code, fixed, failure, avoid
            )
        ),
        fitting[0] if fitting else GENERIC,
    )
    return format_answer(explanation or _kinds_sentence(code, fixed), hint)


def format_answer(explanation: str, hint: str) -> str:
    return f"Explanation: {explanation}\nHint: {hint}\n"


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z])|\s+(?=A repair that passes every test)", text)
    return [s.strip() for s in parts if s.strip()]


def _kinds_sentence(code: str, fixed: str) -> str:
    kinds = ", ".join(sorted({c.kind for c in analysis.changes(code, fixed)})) or "statement"
    return f"A repair that passes every test changes this kind of thing: {kinds}."
