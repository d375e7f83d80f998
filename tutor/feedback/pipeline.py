"""The hint pipeline (the Hints-In-Browser workflow), one function from learner code to a Hint.

    tests ─► first failing test ─► k model repairs (+ one-token repairs, in a thread) ─► each validated by the
    runner ─► passing repair with the least token edit distance ─► hint prompt (+ fix, + where it is) ─► grammar-
    shaped explanation + hint ─► leak guard ─► one regeneration ─► else the analysis hint, which is always true.

The model is asked for a hint only when a repair passed (``model_hint_needs_repair``); its hint, a question about
the change, is shown after the failing test in words (``fallback.observation``), as the analysis hint is.

When the engine fails mid-request (its process crashed: ``EngineCrashed``), the model is not asked again in this
request: the learner gets the analysis hint, and the engine's one-sentence message in ``Hint.notice``.

Every stage reports its time and token counts in ``Hint.timings`` / ``Hint.tokens``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.engines.base import Engine, EngineError, Generation, GenerationParams, GenerationStats
from tutor.exercises import Exercise
from tutor.feedback import analysis, prompts, syntax
from tutor.feedback.explain import distinct_explanation
from tutor.feedback.fallback import after_observation, analysis_hint, model_hint_reasons, observation
from tutor.feedback.guard import check_hint
from tutor.feedback.mutations import mutants
from tutor.feedback.tokens import edit_distance
from tutor.runner import Limits, TestReport, TestResult, passes
from tutor.runner import run as run_tests

VALIDATION_LIMITS = Limits(per_test_s=0.5, total_s=3.0)
# The one-token search runs beside the model: its children yield the CPU to the model's threads (nice), so on a
# small machine they use what the model leaves instead of stalling every one of its threads.
SEARCH_LIMITS = Limits(per_test_s=0.5, total_s=3.0, nice=10)

StageCallback = Callable[[str], None]
TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class PipelineConfig:
    repairs: int = 3
    repair_temperature: float = 0.8
    hint_temperature: float = 0.2
    hint_max_tokens: int = 90
    mutation_budget_s: float = 4.0
    # Speed-ups of the repair stage (``tutor bench repairs`` measures each alone, side by side):
    # - at temperature 0 the k requests are one and the same greedy generation: it is made once (2.1-2.2x on the
    #   default model, 2 cores, 8 buggy programs, identical text);
    # - a passing model repair ends the search: the remaining candidates could only be a little closer to the
    #   learner's code, at the cost of a whole generation each (at a sampling temperature the chosen repair may
    #   differ from generating all k; at temperature 0 every candidate is the same text, so nothing changes);
    # - off: the k sampled candidates as parallel sequences of one batch (the native engine can, in or out of
    #   process). It decodes 1.3x more tokens/s, but makes all k even when the first would pass, so it is faster
    #   only for a model whose repairs rarely pass (the default: 1.04-1.23x at temperature 0.8), and slower for
    #   one whose first repair often does. Batched rows are not bit-identical to one-at-a-time decoding.
    # - off: prompt lookup, ~1.1x alone at temperature 0, nothing beside the two above, slower (0.67x) at 0.8.
    repair_prompt_lookup: int = 0  # tokens a repair may copy from the prompt per step (0: off)
    repair_batch: bool = (
        False  # the k sampled repairs as parallel sequences of one batch, where the engine can
    )
    repair_until_pass: bool = True
    # The model writes the hint only from a validated repair; without one the learner gets the analysis hint,
    # which is true by construction. Without a fix to explain, the models' hints were rarely right: 2 good of 42
    # on the benchmark (five systems), against 9 of 39 with one; and the model's hint call is saved.
    model_hint_needs_repair: bool = True
    seed: int = 7
    avoid: tuple[str, ...] = ()
    model_hint: bool = True  # False: repairs may run, but the hint is always the analysis text
    model_repairs: bool = True  # False: no model repairs, only the one-token repair search


@dataclass
class Repair:
    code: str
    source: str  # "model" | "one-token edit"
    passed: bool
    distance: int


@dataclass
class Hint:
    """What the learner gets. ``source`` says whether the text is the model's or the analysis'."""

    status: str  # "hint" | "passing" | "cancelled"
    hint: str = ""
    explanation: str = ""
    source: str = ""
    repair_passed: bool = False
    repair_source: str = ""
    repair_distance: int | None = None
    failing_test: dict[str, Any] | None = None
    line: int | None = None  # where to look: the first line a passing repair changes, else the error's line
    engine: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    notice: str = ""  # why the model's text is missing (e.g. the engine crashed and is being restarted)
    repair_code: str | None = None  # the chosen passing repair's program (not shown to the learner)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "hint": self.hint,
            "explanation": self.explanation,
            "source": self.source,
            "repair_passed": self.repair_passed,
            "repair_source": self.repair_source,
            "repair_distance": self.repair_distance,
            "failing_test": self.failing_test,
            "line": self.line,
            "engine": self.engine,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "tokens": self.tokens,
            "rejected": self.rejected,
            "notice": self.notice,
        }


class HintPipeline:
    """Runs the workflow for one request; ``cancel()`` from another thread stops it between tokens."""

    def __init__(
        self,
        engine: Engine,
        config: PipelineConfig | None = None,
        on_stage: StageCallback | None = None,
        on_token: TokenCallback | None = None,
    ) -> None:
        self.engine = engine
        self.config = config or PipelineConfig()
        self.on_stage = on_stage or (lambda stage: None)
        self.on_token = on_token or (lambda piece: None)
        self._cancelled = threading.Event()
        self._timings: dict[str, float] = {}
        self._tokens: dict[str, int] = {}
        self._engine_error: EngineError | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        self.engine.cancel()

    # -- the workflow ---------------------------------------------------------------------------------------
    def run(self, exercise: Exercise, code: str, report: TestReport | None = None) -> Hint:
        started = time.perf_counter()
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
        context = prompts.shared_context(exercise, code, failure)
        self.on_stage("repairing")
        best = self._best_repair(exercise, code, context, failure)
        if self._cancelled.is_set():
            return Hint(status="cancelled")
        self.on_stage("writing hint")
        hint = self._write_hint(exercise, code, context, failure, best)
        hint.failing_test = failure.failing_test()
        hint.line = failure.line
        if best is not None:
            hint.repair_passed, hint.repair_source, hint.repair_distance = True, best.source, best.distance
            hint.repair_code = best.code
            found = analysis.changes(code, best.code)
            hint.line = found[0].line if found else failure.line
        return hint

    # -- repairs --------------------------------------------------------------------------------------------
    def _best_repair(self, exercise: Exercise, code: str, context: str, failure: TestResult) -> Repair | None:
        found: list[Repair] = []
        one_token_found = threading.Event()
        search = threading.Thread(
            target=self._search_one_token_repairs,
            args=(exercise, code, failure, found, one_token_found),
            daemon=True,
        )
        with self._timed("repairs_s"):
            search.start()
            try:
                if self.config.model_repairs:
                    self._model_repairs(exercise, code, context, failure.call, found, one_token_found)
            except EngineError as exc:  # the one-token search goes on; the hint falls back to the analysis
                self._engine_error = exc
            search.join()
        passing = [r for r in found if r.passed]
        self._tokens["repair_candidates"] = len(found)
        return min(passing, key=lambda r: (r.distance, r.source != "model")) if passing else None

    def _model_repairs(
        self,
        exercise: Exercise,
        code: str,
        context: str,
        first: str,
        found: list[Repair],
        stop: threading.Event,
    ) -> None:
        prompt = prompts.repair_prompt(context, self.engine.info().chat_template)

        def halted() -> bool:
            return stop.is_set() or self._cancelled.is_set()

        sampled = self.config.repair_temperature > 0 and self.config.repairs > 1
        many = getattr(self.engine, "generate_many", None) if self.config.repair_batch and sampled else None
        if many is not None:  # the k candidates as parallel sequences of one batch
            params = [repair_params(self.config, code, index) for index in range(self.config.repairs)]
            with self._timed("repair_model_s"):
                generations: list[Generation] = many(prompt, params, halted)
            for generation in generations:
                self._count("repair", generation.stats)
            for generation in generations if not halted() else []:
                self._validate(exercise, code, first, generation.text, found)
            return
        # at temperature 0 the k requests are one and the same greedy generation: it is made once
        count = self.config.repairs if self.config.repair_temperature > 0 else min(1, self.config.repairs)
        for index in range(count):
            if halted():
                break  # a one-token repair already passes: no model repair can be closer
            generation = self.engine.generate(prompt, repair_params(self.config, code, index))
            with self._timed("repair_model_s"):
                for _ in generation:
                    if halted():
                        break
            self._count("repair", generation.stats)
            if halted():
                break
            self._validate(exercise, code, first, generation.text, found)
            if self.config.repair_until_pass and any(r.passed and r.source == "model" for r in found):
                break

    def _validate(self, exercise: Exercise, code: str, first: str, text: str, found: list[Repair]) -> None:
        candidate = prompts.parse_repair(text)
        if candidate is None or candidate.strip() == code.strip():
            return
        with self._timed("repair_validate_s"):
            passed = passes(exercise, candidate, first, VALIDATION_LIMITS)
        found.append(Repair(candidate, "model", passed, edit_distance(code, candidate)))

    def _search_one_token_repairs(
        self, exercise: Exercise, code: str, failure: TestResult, found: list[Repair], done: threading.Event
    ) -> None:
        deadline = time.perf_counter() + self.config.mutation_budget_s
        tried = 0
        with self._timed("one_token_search_s"):
            for candidate in mutants(code, failure.line):
                if time.perf_counter() > deadline or self._cancelled.is_set():
                    break
                tried += 1
                if passes(exercise, candidate, failure.call, SEARCH_LIMITS):
                    found.append(Repair(candidate, "one-token edit", True, edit_distance(code, candidate)))
                    done.set()
                    break
        self._tokens["one_token_candidates_tried"] = tried

    # -- the hint -------------------------------------------------------------------------------------------
    def _write_hint(
        self, exercise: Exercise, code: str, context: str, failure: TestResult, best: Repair | None
    ) -> Hint:
        fixed = best.code if best else None
        change = analysis.describe_change(code, fixed) if fixed else ""
        prompt = prompts.hint_prompt(context, fixed, change, self.engine.info().chat_template)
        avoid = tuple(exercise.avoid) + tuple(self.config.avoid)
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

    @staticmethod
    def analysis_hint(
        failure: TestResult, change: str, fixed: str | None, code: str, avoid: tuple[str, ...]
    ) -> Hint:
        """The analysis hint as a ``Hint`` (``fallback.analysis_hint`` gives its text)."""
        text, explanation = analysis_hint(failure, change, fixed, code, avoid)
        return Hint(status="hint", hint=text, explanation=explanation, source="analysis")

    # -- bookkeeping ----------------------------------------------------------------------------------------
    def _count(self, stage: str, stats: GenerationStats) -> None:
        for key, value in (
            ("prompt", stats.prompt_tokens),
            ("prompt_reused", stats.prompt_tokens_reused),
            ("completion", stats.completion_tokens),
        ):
            self._tokens[f"{stage}_{key}"] = self._tokens.get(f"{stage}_{key}", 0) + value
        self._tokens[f"{stage}_calls"] = self._tokens.get(f"{stage}_calls", 0) + 1

    def _timed(self, key: str) -> _Timer:
        return _Timer(self._timings, key)


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


class _Timer:
    def __init__(self, timings: dict[str, float], key: str) -> None:
        self.timings, self.key = timings, key

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.key] = self.timings.get(self.key, 0.0) + time.perf_counter() - self.start


def repair_params(config: PipelineConfig, code: str, index: int) -> GenerationParams:
    """Settings of the ``index``-th model repair of ``code``: room for the whole program, its own seed."""
    return GenerationParams(
        max_tokens=max(64, int(len(code) / 2.5) + 48),
        temperature=config.repair_temperature,
        seed=config.seed + index,
        stop=prompts.REPAIR_STOPS,
        prompt_lookup=config.repair_prompt_lookup,
    )


def make_hint(exercise: Exercise, code: str, engine: Engine, config: PipelineConfig | None = None) -> Hint:
    """Convenience for the CLI and tests."""
    return HintPipeline(engine, config).run(exercise, code)
