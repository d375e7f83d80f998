"""What ``tutor grade`` (and any other front door that grades a folder) checks and prepares before a grading run,
and the calibration it adds after: the site policy's gate, the limits, the rubric and reference files, the
sandbox. Every refusal is a ``UsageError`` with the reason; the front door only parses and prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.engines.base import Engine
from tutor.errors import UsageError
from tutor.exercises import Exercise
from tutor.grading.batch import GRADING_LIMITS, GradingCancelled
from tutor.grading.calibrate import ReferenceError, calibrate, read_reference
from tutor.grading.grader import GradeRequest, GradeRun, GradingRefused, check_sandbox, grade
from tutor.grading.rubric import Rubric, RubricError, load_rubric
from tutor.grading.score import OverrideError
from tutor.grading.submissions import SubmissionsError
from tutor.policy import Policy
from tutor.runner import Limits


@dataclass(frozen=True)
class GradeSettings:
    """The teacher's choices for one grading run (``tutor grade``'s options)."""

    submissions: Path
    out: Path | None = None  # default: ./grades-EXERCISE
    rubric: Path | None = None
    reference: Path | None = None  # a CSV of the teacher's own grades to calibrate against
    workers: int | None = None
    time_limit: float | None = None  # seconds per test (None: the grading default)
    repairs: int = 1
    model_groups: int | None = None
    allow_unsandboxed: bool = False


@dataclass(frozen=True)
class Prepared:
    """What a run needs besides the engine: the rubric, the reference rows (or None) and the output folder."""

    rubric: Rubric
    reference: list[dict[str, str]] | None
    out: Path


def check_settings(policy: Policy, settings: GradeSettings) -> None:
    """The site policy's gate and the limits the options must keep."""
    if not policy.grading_allowed:
        raise UsageError("grading is turned off by the site policy (grading.allowed)")
    if settings.time_limit is not None and not 0 < settings.time_limit <= 60:
        raise UsageError("--time-limit must be more than 0 and at most 60 seconds")
    if settings.workers is not None and settings.workers < 1:
        raise UsageError("--workers must be 1 or more")


def prepare(settings: GradeSettings, exercise: Exercise) -> Prepared:
    """Read the rubric and the reference, check the submissions exist and that they may run here (before a
    model is loaded for nothing)."""
    out = settings.out or Path(f"grades-{exercise.id.replace('/', '-')}")
    try:
        rubric = load_rubric(settings.rubric, len(exercise.tests))
        reference = read_reference(settings.reference) if settings.reference else None
    except (RubricError, ReferenceError) as exc:
        raise UsageError(str(exc)) from None
    if not settings.submissions.exists():
        raise UsageError(f"{settings.submissions} does not exist")
    try:
        check_sandbox(settings.allow_unsandboxed)
    except GradingRefused as exc:
        raise UsageError(str(exc)) from None
    return Prepared(rubric, reference, out)


def limits_for(time_limit: float | None) -> Limits:
    """The grading limits with a teacher's per-test time limit."""
    if time_limit is None:
        return GRADING_LIMITS
    return Limits(per_test_s=time_limit, total_s=max(GRADING_LIMITS.total_s, 3 * time_limit))


def request_for(
    settings: GradeSettings, exercise: Exercise, prepared: Prepared, engine: Engine | None, policy: Policy
) -> GradeRequest:
    return GradeRequest(
        settings.submissions,
        exercise,
        prepared.out,
        prepared.rubric,
        engine,
        settings.workers,
        limits_for(settings.time_limit),
        tuple(policy.avoid),
        settings.repairs,
        settings.model_groups,
        settings.allow_unsandboxed,
    )


def run_grading(
    request: GradeRequest,
    reference: list[dict[str, str]] | None,
    on_progress: Callable[[str, int, int], None],
) -> tuple[GradeRun, dict[str, Any]]:
    """Grade, then calibrate against the reference (kept in ``calibration.json`` beside the reports); returns
    the run and its summary."""
    try:
        run = grade(request, on_progress)
    except (SubmissionsError, OverrideError, GradingCancelled, GradingRefused) as exc:
        raise UsageError(str(exc)) from None
    data = run.summary()
    if reference is not None:
        try:
            data["calibration"] = calibrate(run.grades, reference)
        except ReferenceError as exc:
            raise UsageError(str(exc)) from None
        (request.out / "calibration.json").write_text(
            json.dumps(data["calibration"], indent=2), encoding="utf-8"
        )
    return run, data
