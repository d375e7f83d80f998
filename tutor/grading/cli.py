"""``tutor grade SUBMISSIONS --exercise ID``: grade a class's submissions, write the reports, print a summary.

Registered in ``tutor.cli`` with ``add_parser(subparsers, common)``; the checks and the run are\n``tutor.grading.plan``'s. Errors are ``UsageError``: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.cli_common import exercise, load_engine
from tutor.grading.wording import plural
from tutor.session import Session

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
    # heavy: numpy (calibration) and matplotlib (the reports), which every other command would load with the parser
    from tutor.grading.plan import GradeSettings, check_settings, prepare, request_for, run_grading

    session = Session()
    settings = GradeSettings(
        Path(args.submissions),
        Path(args.out) if args.out else None,
        Path(args.rubric) if args.rubric else None,
        Path(args.reference) if args.reference else None,
        args.workers,
        args.time_limit,
        args.repairs,
        args.model_groups,
        args.allow_unsandboxed,
    )
    check_settings(session.policy, settings)
    chosen = exercise(args, session)
    prepared = prepare(settings, chosen)
    engine = None if args.no_model else load_engine(args, session)
    request = request_for(settings, chosen, prepared, engine, session.policy)
    bar = _ProgressBar(enabled=not args.json)
    try:
        run, data = run_grading(request, prepared.reference, bar.update)
    finally:
        bar.close()
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(data, indent=2) if args.json else _text(data))
    return 0


def _text(data: dict[str, Any]) -> str:
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
