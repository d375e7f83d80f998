"""The learner's commands of ``tutor``: ``check FILE -e ID`` (exit 0 when every test passes, 1 when one fails)
and ``hint FILE -e ID`` (a hint from the local model, within the school's quota)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tutor.cli_common import emit, exercise, load_engine, read_learner_file
from tutor.errors import UsageError
from tutor.runner import TestReport, run
from tutor.saving import NotSaved, reason
from tutor.session import Session


def cmd_check(args: argparse.Namespace) -> int:
    chosen = exercise(args)
    code = read_learner_file(args.file)
    try:
        report = run(chosen, code)
    except OSError as exc:  # no room for the run's temporary folder, say
        raise UsageError(f"the tests could not be run: {reason(exc)}") from None
    emit(args, report.to_json(), report_text(report))
    return 0 if report.passed else 1


def report_text(report: TestReport) -> str:
    """A test report as the learner reads it: one line per test, what failed and what the code printed."""
    if report.syntax_error:
        from tutor.feedback.syntax import describe_syntax  # heavy: tutor.feedback loads the hint pipeline

        return f"{describe_syntax(report.syntax_error)} No test was run."
    marks = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
    lines = []
    for test in report.tests:
        line = f"{marks[test.status]:<8} {test.call}"
        if not test.passed:
            line += f"\n         {test.message}" + (f" (line {test.line})" if test.line else "")
        if test.output.strip():  # what the code printed during this test (never kept for a hidden test)
            printed = test.output.rstrip("\n").splitlines()
            line += "".join(f"\n         | {text}" for text in printed[:10])
            line += f"\n         | ... ({len(printed) - 10} more lines)" if len(printed) > 10 else ""
        lines.append(line)
    lines.append(f"{report.passed_count}/{len(report.tests)} tests pass ({report.duration_s * 1000:.0f} ms)")
    return "\n".join(lines)


def cmd_hint(args: argparse.Namespace) -> int:
    from tutor.feedback import HintPipeline  # heavy: the hint pipeline, which `tutor check` never needs

    session = Session()
    chosen = exercise(args, session)
    code = read_learner_file(args.file)
    if args.repairs < 0:
        raise UsageError("--repairs must be 0 or more")
    if session.progress.recovered_message:
        print(f"warning: {session.progress.recovered_message}", file=sys.stderr)
    refusal = session.hint_refusal(chosen.id)
    if refusal:
        raise UsageError(refusal)
    engine = load_engine(args, session, keep_on_crash=True)
    stream = not args.json and sys.stdout.isatty()
    pipeline = HintPipeline(
        engine,
        session.pipeline_config(repairs=args.repairs, model_path=engine.info().model_path),
        on_stage=(lambda stage: print(f"[{stage}]", file=sys.stderr)) if stream else None,
        on_observation=(lambda text: print(text, file=sys.stderr)) if stream else None,
    )
    hint = pipeline.run(chosen, code)
    not_saved = ""
    try:
        left = session.record_hint(chosen.id, hint)
    except NotSaved as exc:  # the hint is shown all the same, and still counted
        left, not_saved = session.hints_left(chosen.id), str(exc)
    emit(args, dict(hint.to_json(), hints_left=left, not_saved=not_saved), _hint_text(args, hint, left))
    if not_saved:
        print(f"warning: {not_saved}", file=sys.stderr)
    session.close()
    return 0


def _hint_text(args: argparse.Namespace, hint: Any, left: int | None) -> str:
    text = hint.hint if left is None else f"{hint.hint}\n({left} hints left for this exercise)"
    if args.explain and hint.explanation:
        text += f"\n\nExplanation: {hint.explanation}"
    if hint.notice:
        text += f"\n({hint.notice})"
    return text


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``check`` and ``hint`` on ``tutor``'s sub-parsers."""
    check = sub.add_parser("check", parents=[common], help="run an exercise's tests on a file")
    check.add_argument("file")
    check.add_argument("--exercise", "-e", required=True)
    check.set_defaults(func=cmd_check)

    hint = sub.add_parser("hint", parents=[common], help="ask the local model for a hint")
    hint.add_argument("file")
    hint.add_argument("--exercise", "-e", required=True)
    hint.add_argument("--repairs", type=int, default=3, help="repair candidates from the model (default 3)")
    hint.add_argument("--model", help="a GGUF file to use instead of the embedded default model")
    hint.add_argument("--threads", type=int, default=None, help="CPU threads for the model")
    hint.add_argument(
        "--engine",
        choices=["auto", "native", "browser"],
        default=None,
        help="native llama.cpp, or the browser engine (wllama in Qt WebEngine); auto (the default "
        "unless the app's engine setting says otherwise) means native",
    )
    hint.add_argument("--explain", action="store_true", help="also print the explanation")
    hint.set_defaults(func=cmd_hint)
