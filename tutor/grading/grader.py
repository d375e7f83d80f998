"""One grading run from submissions to reports, shared by ``tutor grade`` and the app's "Grade a folder..." dialog.

Stages (each reported through ``on_progress(stage, done, total)``): read, run (sandbox, in parallel, cached),
judge (model-judged rubric items, cached), feedback (groups, once per group with a model), report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tutor.engines.base import Engine, Stopwatch
from tutor.exercises import Exercise
from tutor.feedback.pipeline import PipelineConfig
from tutor.grading import feedback, judge, report
from tutor.grading.batch import CACHE_NAME, GRADING_LIMITS, Cache, Outcome, grade_batch
from tutor.grading.nearest import Nearest, nearest_repairs
from tutor.grading.rubric import ItemResult, Rubric, run_checks
from tutor.grading.run import GradeRun
from tutor.grading.score import Grade, apply_overrides, ensure_overrides_file, read_overrides, score
from tutor.grading.similarity import similar_pairs
from tutor.grading.status import result_status
from tutor.grading.submissions import Submission, read_submissions
from tutor.runner import Limits, sandbox_status
from tutor.runner.report import TestReport, TestResult

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
__all__ = ["GradeRequest", "GradeRun", "GradingRefused", "check_sandbox", "grade"]


@dataclass
class GradeRequest:
    submissions: Path
    exercise: Exercise
    out: Path
    rubric: Rubric = field(default_factory=Rubric)
    engine: Engine | None = None
    workers: int | None = None
    limits: Limits = GRADING_LIMITS
    avoid: tuple[str, ...] = ()
    repairs: int = 1
    model_groups: int | None = None  # the model writes for the N largest groups only (None: all)
    allow_unsandboxed: bool = (
        False  # run submissions even where no OS sandbox can start (the teacher's choice)
    )


class GradingRefused(ValueError):
    """Grading cannot safely start (no OS sandbox, and the teacher did not allow running without one)."""


def check_sandbox(allow_unsandboxed: bool) -> None:
    """Submissions are untrusted code: without the OS sandbox they run only when the teacher says so."""
    state = sandbox_status()
    if not state.available and not allow_unsandboxed:
        raise GradingRefused(
            f"submissions are untrusted code and no OS sandbox can start here ({state.reason}); "
            "grade on a machine with bubblewrap, or pass --allow-unsandboxed to run them as this user anyway"
        )


def grade(
    request: GradeRequest, on_progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False
) -> GradeRun:
    check_sandbox(request.allow_unsandboxed)
    progress = on_progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    exercise = request.exercise
    request.out.mkdir(parents=True, exist_ok=True)
    overrides = read_overrides(
        ensure_overrides_file(request.out)
    )  # read first: a bad file stops before any work
    submissions = _timed(
        timings, "read_s", lambda: read_submissions(request.submissions, exercise.id, exercise.entry)
    )
    cache = Cache(request.out / CACHE_NAME)
    try:
        outcomes = _timed(
            timings, "run_s", lambda: _run_all(submissions, request, cache, progress, cancelled)
        )
        by_student = {s.student: s for s in submissions}
        grades = _score_all(outcomes, by_student, request.rubric, len(exercise.tests), exercise.starter)
        _timed(timings, "judge_s", lambda: _judge_all(grades, request, cache, progress))
    finally:
        cache.close()
    warnings = cache.warnings + apply_overrides(grades, overrides)
    nearest = _timed(timings, "nearest_s", lambda: _nearest_all(grades))
    groups = _timed(timings, "feedback_s", lambda: _feedback_all(grades, nearest, request, progress))
    pairs = _timed(
        timings,
        "similarity_s",
        lambda: similar_pairs([(g.student, g.code) for g in grades if g.code], starter=exercise.starter),
    )
    model = request.engine.info().model_name if request.engine is not None else ""
    run = GradeRun(
        grades, groups, pairs, nearest, timings, warnings, model=model, cached=sum(o.cached for o in outcomes)
    )
    progress("report", 0, 1)
    run.files = _timed(timings, "report_s", lambda: report.write_all(run, exercise, request.out))
    progress("report", 1, 1)
    return run


def _timed(timings: dict[str, float], key: str, work: Callable[[], T]) -> T:
    """``work()``, its duration kept in ``timings[key]``."""
    clock = Stopwatch()
    result = work()
    timings[key] = clock.elapsed()
    return result


def _run_all(
    submissions: list[Submission],
    request: GradeRequest,
    cache: Cache,
    progress: Progress,
    cancelled: Callable[[], bool],
) -> list[Outcome]:
    tests = list(request.exercise.tests) + [test for test, _ in request.rubric.extra]
    done = [0]

    def arrived(outcome: Outcome) -> None:
        done[0] += 1
        progress("run", done[0], len(submissions))

    return grade_batch(
        submissions, request.exercise, tests, cache, request.limits, request.workers, arrived, cancelled
    )


def _nearest_all(grades: list[Grade]) -> dict[str, Nearest]:
    passing = [(g.student, g.code) for g in grades if not g.failing and g.status == "ok"]
    return nearest_repairs([(g.student, g.code) for g in grades if g.failing and g.code], passing)


def _feedback_all(
    grades: list[Grade], nearest: dict[str, Nearest], request: GradeRequest, progress: Progress
) -> list[feedback.Group]:
    """Failure groups, the model's hint for each (with an engine), and every student's feedback."""
    exercise, avoid = request.exercise, request.avoid + request.rubric.avoid
    groups = feedback.make_groups(grades)
    feedback.add_repair_kinds(groups, {g.student: g for g in grades}, nearest)
    if request.engine is not None:
        reports = {g.student: _visible_report(g, len(exercise.tests)) for g in grades if g.failing}
        config = PipelineConfig(repairs=request.repairs, avoid=avoid)
        chosen = groups if request.model_groups is None else groups[: request.model_groups]
        count = [0]

        def group_done(group: feedback.Group) -> None:
            count[0] += 1
            progress("feedback", count[0], len(chosen))

        feedback.write_group_hints(
            chosen, {g.student: g for g in grades}, exercise, reports, request.engine, config, group_done
        )
    by_number = {g.number: g for g in groups}
    for item in grades:
        item.feedback, item.feedback_source = feedback.student_feedback(
            item, exercise, by_number.get(item.group), nearest.get(item.student), avoid
        )
    return groups


def _score_all(
    outcomes: list[Outcome], submissions: dict[str, Submission], rubric: Rubric, visible: int, starter: str
) -> list[Grade]:
    grades = []
    for outcome in outcomes:
        code = submissions[outcome.student].code
        items: list[ItemResult] = run_checks(rubric, code) if code else []
        if not code:
            for item in items:
                item.note = "no readable code"
        grade = score(outcome, rubric, visible, items)
        grade.code = code
        grade.result = result_status(grade, starter)
        grades.append(grade)
    return grades


def _judge_all(grades: list[Grade], request: GradeRequest, cache: Cache, progress: Progress) -> None:
    judges = request.rubric.judges
    if not judges:
        return
    if request.engine is None:
        for grade in grades:
            grade.items += judge.unjudged(judges, "not judged: no model (--no-model)")
        return
    model = request.engine.info().model_name or request.engine.info().model_path
    for done, grade in enumerate(grades, start=1):
        if grade.status not in ("ok", "timeout", "crash"):
            grade.items += judge.unjudged(judges, f"not judged: {grade.status}")
            continue
        for item in judges:
            key = "judge:" + hashlib.sha256(f"{model}\n{item.question}\n{grade.code}".encode()).hexdigest()
            stored = cache.get_extra(key)
            if stored is None:
                result = judge.judge_one(request.engine, request.exercise, grade.code, item)
                stored = {"passed": result.passed, "probability": result.probability, "note": result.note}
                cache.put_extra(key, stored)
            grade.items.append(
                ItemResult(
                    item.id,
                    "judge",
                    item.question,
                    item.points if stored["passed"] else 0.0,
                    item.points,
                    stored["passed"],
                    stored["probability"],
                    stored["note"],
                )
            )
        progress("judge", done, len(grades))


def _visible_report(grade: Grade, visible: int) -> TestReport:
    return TestReport(tests=[TestResult(**t.raw) for t in grade.tests[:visible] if t.raw])
