"""``tutor grade SUBMISSIONS --exercise ID``: grade a class's submissions, write the reports, print a summary.

Registered in ``tutor.cli`` with ``add_parser(subparsers, common)``. Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.grading.submissions import SubmissionsError

_STAGES = {
    "run": "running tests",
    "judge": "rubric (model)",
    "feedback": "feedback (model, per group)",
    "report": "writing reports",
}


def add_parser(subparsers: Any, common: argparse.ArgumentParser | None = None) -> None:
    grade = subparsers.add_parser(
        "grade",
        parents=[common] if common else [],
        help="grade a class's submissions (teachers)",
        description="Grade a folder (one .py per student, or one folder per student), a zip, or JSONL "
        '({"student", "code"}) against an exercise; writes grades.csv, results/, report.html.',
    )
    grade.add_argument("submissions", help="a folder, a .zip or a .jsonl file")
    grade.add_argument("--exercise", "-e", required=True)
    grade.add_argument(
        "--rubric", help="a TOML rubric: test points, hidden tests, checks, model-judged questions"
    )
    grade.add_argument("--out", help="output folder (default: ./grades-EXERCISE)")
    grade.add_argument(
        "--reference", help="a CSV of the teacher's own grades (and feedback) to calibrate against"
    )
    grade.add_argument(
        "--model", help="a GGUF file for feedback and judged items instead of the default model"
    )
    grade.add_argument("--no-model", action="store_true", help="feedback from program analysis only (fast)")
    grade.add_argument(
        "--workers", type=int, default=None, help="submissions run at once (default: CPU cores + 1)"
    )
    grade.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="per test (default 1; a program stops after two tests run out of time)",
    )
    grade.add_argument("--threads", type=int, default=None, help="CPU threads for the model")
    grade.add_argument("--repairs", type=int, default=1, help="model repair candidates per group (default 1)")
    grade.add_argument(
        "--model-groups",
        type=int,
        default=None,
        metavar="N",
        help="the model writes feedback for the N largest failure groups only (default: all)",
    )
    grade.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="where no OS sandbox can start, run the submissions anyway, as this user (trusted code only)",
    )
    grade.add_argument("--engine", default="native", choices=["native"], help=argparse.SUPPRESS)
    grade.set_defaults(func=cmd_grade)


def cmd_grade(args: argparse.Namespace) -> int:
    from tutor.cli import CliError, _exercise, load_engine
    from tutor.grading.batch import GRADING_LIMITS, GradingCancelled
    from tutor.grading.calibrate import ReferenceError, calibrate, read_reference
    from tutor.grading.grader import GradeRequest, GradingRefused, check_sandbox, grade
    from tutor.grading.rubric import RubricError, load_rubric
    from tutor.grading.score import OverrideError
    from tutor.runner import Limits
    from tutor.session import Session

    session = Session()
    policy = session.policy
    if not policy.grading_allowed:
        raise CliError("grading is turned off by the site policy (grading.allowed)")
    if args.time_limit is not None and not 0 < args.time_limit <= 60:
        raise CliError("--time-limit must be more than 0 and at most 60 seconds")
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be 1 or more")
    exercise = _exercise(args)
    source = Path(args.submissions)
    out = Path(args.out or f"grades-{exercise.id.replace('/', '-')}")
    try:
        rubric = load_rubric(Path(args.rubric) if args.rubric else None, len(exercise.tests))
        reference = read_reference(Path(args.reference)) if args.reference else None
    except (RubricError, ReferenceError) as exc:
        raise CliError(str(exc)) from None
    if not source.exists():
        raise CliError(f"{source} does not exist")
    try:
        check_sandbox(args.allow_unsandboxed)  # before a model is loaded for nothing
    except GradingRefused as exc:
        raise CliError(str(exc)) from None
    engine = None if args.no_model else load_engine(args, session)
    limits = (
        GRADING_LIMITS
        if args.time_limit is None
        else Limits(per_test_s=args.time_limit, total_s=max(GRADING_LIMITS.total_s, 3 * args.time_limit))
    )
    request = GradeRequest(
        source,
        exercise,
        out,
        rubric,
        engine,
        args.workers,
        limits,
        tuple(policy.avoid),
        args.repairs,
        args.model_groups,
        args.allow_unsandboxed,
    )
    bar = _ProgressBar(enabled=not args.json)
    try:
        run = grade(request, bar.update)
    except (SubmissionsError, OverrideError, GradingCancelled, GradingRefused) as exc:
        raise CliError(str(exc)) from None
    finally:
        bar.close()
    data = run.summary()
    if reference is not None:
        try:
            data["calibration"] = calibrate(run.grades, reference)
        except ReferenceError as exc:
            raise CliError(str(exc)) from None
        (out / "calibration.json").write_text(json.dumps(data["calibration"], indent=2), encoding="utf-8")
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(data, indent=2) if args.json else _text(data))
    return 0


def _text(data: dict[str, Any]) -> str:
    from tutor.grading.wording import plural

    results = data.get("results") or data["statuses"]
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(results.items()))
    lines = [
        f"{plural(data['students'], 'student')}, mean {data['mean_percent']}%, full marks {data['full_marks']} "
        f"({statuses}); {plural(data['groups'], 'failure group')}; "
        f"{plural(data['similar_pairs'], 'similar pair')} to review",
        f"tests ran in {data['timings'].get('run_s', 0):.1f} s; report: {data['files']['report_html']}",
    ]
    if "calibration" in data:
        c = data["calibration"]
        lines.append(
            f"against the reference ({c['students']} students): MAE {c['mae_percent']} points of percent, "
            f"RMSE {c['rmse_percent']}, QWK {c['qwk']}"
            + (f", ROUGE-L {c['rouge_l']}, BLEU {c['bleu']}" if "rouge_l" in c else "")
        )
    return "\n".join(lines)


class _ProgressBar:
    """One tqdm bar per stage on stderr, with the time left."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr is not None
        self.bar: Any = None
        self.stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(
                total=total,
                desc=_STAGES.get(stage, stage),
                file=sys.stderr,
                unit="",
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
