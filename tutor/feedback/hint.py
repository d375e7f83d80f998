"""What the hint pipeline is told (``PipelineConfig``) and what it gives the learner (``Hint``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    # False: repairs may still run, but the hint is the analysis hint (no model hint call); the benchmark's
    # ``analysis`` system and grading's feedback use it
    model_hint: bool = True
    # False: no model repairs, only the one-token repair search (and the analysis)
    model_repairs: bool = True
    seed: int = 7
    avoid: tuple[str, ...] = ()


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
    repair_code: str | None = None  # the chosen validated repair's code (None: no repair passed)

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
