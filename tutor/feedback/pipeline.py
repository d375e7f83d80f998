"""The hint pipeline (the Hints-In-Browser workflow), one function from learner code to a Hint.

    tests ─► first failing test ─► k model repairs (+ one-token repairs, in a thread) ─► each validated by the
    runner ─► passing repair with the least token edit distance ─► hint prompt (+ fix, + where it is) ─► grammar-
    shaped explanation + hint ─► leak guard ─► one regeneration ─► else the analysis hint, which is always true.

What the learner sees first: as soon as the tests have run, the failing test in words (the observation, with
the teacher's avoid-list applied) goes to ``on_observation``, before any repair is tried; the model's hint, when
one comes, streams after it in the same place.

The model is asked for a hint only when a repair passed (``model_hint_needs_repair``); its hint, a question about
the change, is shown after the failing test in words (``fallback.observation``), as the analysis hint is.

When the engine fails mid-request (its process crashed: ``EngineCrashed``), the model is not asked again in this
request: the learner gets the analysis hint, and the engine's one-sentence message in ``Hint.notice``.

Every stage reports its time and token counts in ``Hint.timings`` / ``Hint.tokens``. The config and the
``Hint`` are in ``tutor.feedback.hint``, the repair stage in ``tutor.feedback.repairs``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tutor.engines.base import Engine, EngineError, GenerationParams
from tutor.exercises import Exercise
from tutor.feedback import analysis, prompts, syntax
from tutor.feedback.explain import distinct_explanation
from tutor.feedback.fallback import after_observation, analysis_hint, model_hint_reasons, observation
from tutor.feedback.guard import check_hint
from tutor.feedback.hint import Hint, PipelineConfig
from tutor.feedback.repairs import (
    SEARCH_LIMITS,
    VALIDATION_LIMITS,
    Repair,
    RepairSearch,
    repair_params,
)
from tutor.runner import TestReport, TestResult
from tutor.runner import run as run_tests

# the stages' own modules; the names stay importable from here
__all__ = [
    "SEARCH_LIMITS",
    "VALIDATION_LIMITS",
    "Hint",
    "HintPipeline",
    "PipelineConfig",
    "Repair",
    "make_hint",
    "repair_params",
]

StageCallback = Callable[[str], None]
TokenCallback = Callable[[str], None]
ObservationCallback = Callable[[str], None]


class HintPipeline(RepairSearch):
    """Runs the workflow for one request; ``cancel()`` from another thread stops it between tokens. The repair
    stage and the stage bookkeeping are ``RepairSearch`` (tutor/feedback/repairs.py)."""

    def __init__(
        self,
        engine: Engine,
        config: PipelineConfig | None = None,
        on_stage: StageCallback | None = None,
        on_token: TokenCallback | None = None,
        on_observation: ObservationCallback | None = None,
    ) -> None:
        self.engine = engine
        self.config = config or PipelineConfig()
        self.on_stage = on_stage or (lambda stage: None)
        self.on_token = on_token or (lambda piece: None)
        self.on_observation = on_observation or (lambda text: None)
        self._cancelled = threading.Event()
        self._timings: dict[str, float] = {}
        self._tokens: dict[str, int] = {}
        self._engine_error: EngineError | None = None
        self._started = 0.0

    def cancel(self) -> None:
        self._cancelled.set()
        self.engine.cancel()

    # -- the workflow ---------------------------------------------------------------------------------------
    def run(self, exercise: Exercise, code: str, report: TestReport | None = None) -> Hint:
        started = self._started = time.perf_counter()
        self._timings, self._tokens, self._engine_error = {}, {}, None
        hint = self._run(exercise, code, report)
        if self._engine_error is not None and hint.status == "hint":
            hint.notice = str(self._engine_error)
        hint.engine = self.engine.info().to_json()
        self._timings["total_s"] = time.perf_counter() - started
        hint.timings, hint.tokens = self._timings, self._tokens
        return hint

    def _run(self, exercise: Exercise, code: str, report: TestReport | None) -> Hint:
        self.on_stage("testing")
        if report is None:
            with self._timed("tests_s"):
                report = run_tests(exercise, code)
        if report.passed:
            return Hint(status="passing", hint="All tests pass: nothing to fix.", source="tests")
        if report.syntax_error is not None:
            return Hint(
                status="hint",
                hint=analysis.describe_syntax(report.syntax_error),
                source="analysis",
                explanation=syntax.WHY,
            )
        failure = report.first_failure
        assert failure is not None
        self._observe(failure, code, self._avoid(exercise))
        context = prompts.shared_context(exercise, code, failure)
        self.on_stage("repairing")
        best = self._best_repair(exercise, code, context, failure)
        if self._cancelled.is_set():
            return Hint(status="cancelled", repair_code=best.code if best else None)
        self.on_stage("writing hint")
        hint = self._write_hint(exercise, code, context, failure, best)
        hint.repair_code = best.code if best else None
        hint.failing_test = failure.failing_test()
        hint.line = failure.line
        if best is not None:
            hint.repair_passed, hint.repair_source, hint.repair_distance = True, best.source, best.distance
            found = analysis.changes(code, best.code)
            hint.line = found[0].line if found else failure.line
        return hint

    # -- the hint -------------------------------------------------------------------------------------------
    def _write_hint(
        self, exercise: Exercise, code: str, context: str, failure: TestResult, best: Repair | None
    ) -> Hint:
        fixed = best.code if best else None
        change = analysis.describe_change(code, fixed) if fixed else ""
        prompt = prompts.hint_prompt(context, fixed, change, self.engine.info().chat_template)
        avoid = self._avoid(exercise)
        rejected: list[dict[str, Any]] = []
        ask_model = (
            self.config.model_hint
            and not self._engine_error
            and (fixed is not None or not self.config.model_hint_needs_repair)
        )
        observed = observation(failure, fixed, code, avoid) if ask_model else ""
        for attempt in range(2 if ask_model else 0):
            if self._cancelled.is_set():
                return Hint(status="cancelled")
            params = GenerationParams(
                max_tokens=self.config.hint_max_tokens,
                temperature=self.config.hint_temperature,
                seed=self.config.seed + 100 + attempt,
                repeat_penalty=1.3,
            )
            if attempt:
                self.on_stage("rewriting hint")
            shown = _GuardedStream(self.on_token, fixed, avoid, observed)
            try:
                generation = self.engine.generate(prompt, params, prompts.HINT_GRAMMAR)
                with self._timed("hint_model_s"):
                    for piece in generation:
                        shown.feed(piece)
            except EngineError as exc:
                self._engine_error = exc
                break
            self._count("hint", generation.stats)
            if generation.stats.finish == "cancelled" or self._cancelled.is_set():
                return Hint(status="cancelled")
            parsed = prompts.parse_hint(generation.text)
            reasons = model_hint_reasons(parsed, exercise, code, fixed, failure, avoid)
            if not reasons:
                return Hint(
                    status="hint",
                    hint=after_observation(parsed.hint, observed, failure.call),
                    explanation=distinct_explanation(parsed.explanation, parsed.hint, failure, code, fixed),
                    source="model",
                    rejected=rejected,
                )
            rejected.append({"hint": parsed.hint, "reasons": reasons})
        hint = self.analysis_hint(failure, change, fixed, code, avoid)
        hint.rejected = rejected
        return hint

    def _avoid(self, exercise: Exercise) -> tuple[str, ...]:
        """The words hints must not use: the exercise's and the school's."""
        return tuple(exercise.avoid) + tuple(self.config.avoid)

    def _observe(self, failure: TestResult, code: str, avoid: tuple[str, ...]) -> None:
        """Send the failing test in words to ``on_observation`` at once (the first text the learner reads). It
        says only what the test result shows, so it is checked against the avoid-list, not against a fix that
        does not exist yet."""
        observed = observation(failure, None, code, avoid)
        if observed:
            self._timings["observation_s"] = time.perf_counter() - self._started
            self.on_observation(observed)

    @staticmethod
    def analysis_hint(
        failure: TestResult, change: str, fixed: str | None, code: str, avoid: tuple[str, ...]
    ) -> Hint:
        """The analysis hint as a ``Hint`` (``fallback.analysis_hint`` gives its text)."""
        text, explanation = analysis_hint(failure, change, fixed, code, avoid)
        return Hint(status="hint", hint=text, explanation=explanation, source="analysis")


class _GuardedStream:
    """Passes on, as it streams, only the hint part of the output and only while it is leak-free, so the
    learner never sees a draft the guard would reject for leaking (it may still be replaced at the end). The
    observation, when there is one, goes out with the first piece, as the finished hint begins with it."""

    def __init__(
        self, on_token: TokenCallback, fixed: str | None, avoid: tuple[str, ...], prefix: str = ""
    ) -> None:
        self.on_token, self.fixed, self.avoid = on_token, fixed, avoid
        self.prefix = f"{prefix} " if prefix else ""
        self.raw = ""
        self.sent = 0
        self.blocked = False

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.blocked or "Hint:" not in self.raw:
            return
        hint = self.raw.split("Hint:", 1)[1].lstrip(" ").rstrip("\n")
        leaks = [r for r in check_hint(hint, self.fixed, "", self.avoid).reasons if r.startswith("contains")]
        if leaks:
            self.blocked = True
            return
        safe = len(hint) - self._held_back(hint)
        if safe > self.sent:
            self.on_token(self.prefix + hint[self.sent : safe])
            self.prefix, self.sent = "", safe

    def _held_back(self, hint: str) -> int:
        """Length of the hint's tail that could be the start of a line of the fixed program."""
        lowered = hint.lower()
        held = 0
        for line in (self.fixed or "").splitlines():
            target = line.strip().lower()
            for size in range(min(len(target), len(lowered)), held, -1):
                if lowered.endswith(target[:size]):
                    held = size
                    break
        return held


def make_hint(exercise: Exercise, code: str, engine: Engine, config: PipelineConfig | None = None) -> Hint:
    """Convenience for the CLI and tests."""
    return HintPipeline(engine, config).run(exercise, code)
