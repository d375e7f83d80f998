"""The repair stage of the hint pipeline: k model repairs and, in a thread beside them, a search of one-token
edits; each candidate is validated by the runner, and the passing one with the least token edit distance to the
learner's code is chosen. ``RepairSearch`` is the part of ``HintPipeline`` that does it (and keeps the stage
timings and token counts that every stage reports).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from tutor.engines.base import Engine, EngineError, GenerationParams, GenerationStats
from tutor.exercises import Exercise
from tutor.feedback import prompts
from tutor.feedback.hint import PipelineConfig
from tutor.feedback.mutations import mutants
from tutor.feedback.tokens import edit_distance
from tutor.runner import Limits, TestResult, passes

VALIDATION_LIMITS = Limits(per_test_s=0.5, total_s=3.0)
# The one-token search runs beside the model: its children yield the CPU to the model's threads (nice), so on a
# small machine they use what the model leaves instead of stalling every one of its threads.
SEARCH_LIMITS = Limits(per_test_s=0.5, total_s=3.0, nice=10)


@dataclass
class Repair:
    code: str
    source: str  # "model" | "one-token edit"
    passed: bool
    distance: int


class RepairSearch:
    """The repair stage and the bookkeeping of every stage, as a base of ``HintPipeline`` (which sets these)."""

    engine: Engine
    config: PipelineConfig
    _cancelled: threading.Event
    _timings: dict[str, float]
    _tokens: dict[str, int]
    _engine_error: EngineError | None

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
        if self.config.repair_batch and sampled and self.engine.capabilities().batch:
            # the k candidates as parallel sequences of one batch
            params = [repair_params(self.config, code, index) for index in range(self.config.repairs)]
            with self._timed("repair_model_s"):
                generations = self.engine.generate_many(prompt, params, halted)
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
