"""``tutor bench label``: blind labelling of a benchmark run's hints in the terminal.

    tutor bench label RUN_DIR [--labeller NAME] [--split dev|test] [--limit N] [--seed K] [--teacher]
                      [--items FILE] [--export FILE] [--import FILE ...]

One hint at a time, with the task, the learner's code, the first failing test and (``--teacher``) the reference
fix; no system name is ever shown. Answer each criterion y or n (``?`` prints the rules, ``s`` skips the hint,
``q`` stops), then an optional comment. Labels go to ``RUN_DIR/labels/NAME.jsonl`` as they are given; running
the command again resumes with the first hint not labelled. ``--export FILE`` writes every labeller's labels of
the run to one file, ``--import FILE...`` adds such files (a department's pooled labels), dropping duplicates.
The flow itself is ``tutor.eval.labels`` (shared with the app's **Rate hints...**).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.bench.quality.cli import add_command, add_sample_options
from tutor.errors import UsageError
from tutor.eval.label_rules import CRITERIA, QUESTIONS, rules_text
from tutor.eval.labels import (
    LabelError,
    LabelSession,
    LabelStore,
    Question,
    build_questions,
    default_labeller,
    export_labels,
    failing_test_text,
    import_labels,
    load_lookup,
    read_run_rows,
)

Ask = Callable[[str], str]


class Stop(Exception):
    """The labeller stopped (``q`` or the end of input)."""


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "label",
        "label a benchmark run's hints by hand, blind (the four criteria)",
        __doc__,
    )
    parser.add_argument("run_dir", type=Path, help="a `tutor bench quality --out` folder")
    parser.add_argument("--labeller", default=None, help="your name (default: the login name)")
    parser.add_argument("--split", choices=("dev", "test"), default=None, help="only this split's items")
    add_sample_options(parser, "label at most the first N hints")
    parser.add_argument("--teacher", action="store_true", help="also show the reference fix")
    parser.add_argument("--items", type=Path, default=None, help="an items file the run used (--items)")
    parser.add_argument("--export", type=Path, default=None, help="write the run's labels to FILE")
    parser.add_argument(
        "--import", dest="import_files", type=Path, nargs="+", default=None, help="add labels from FILE..."
    )
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    try:
        return _command(args)
    except LabelError as exc:
        raise UsageError(str(exc)) from None


def _command(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be 1 or more")
    if args.import_files or args.export:
        if args.import_files:
            counts = import_labels(args.run_dir, args.import_files, args.labeller)
            print(", ".join(f"{v} {k}" for k, v in counts.items()) + " (conflicts keep the label there)")
        if args.export:
            count = export_labels(args.run_dir, args.export, args.labeller)
            print(f"{count} labels written to {args.export}")
        return 0
    rows = read_run_rows(args.run_dir)
    questions = build_questions(rows, load_lookup(args.items), args.split, args.seed, args.limit)
    if not questions:
        raise LabelError(f"{args.run_dir}: no hint to label (is its set bundled? give --items)")
    store = LabelStore(args.run_dir, args.labeller or default_labeller())
    session = LabelSession(questions, store)
    print(rules_text())
    print(
        f"\nlabeller {store.labeller}: {session.labelled} of {session.total} labelled; labels: {store.path}"
    )
    label_loop(session, args.teacher, input)
    print(f"{session.labelled} of {session.total} labelled")
    return 0


def label_loop(session: LabelSession, teacher: bool, ask: Ask) -> None:
    """Ask until every hint is labelled or the labeller stops; each label is stored as it is given."""
    while (question := session.current()) is not None:
        print(question_text(question, session.position(), teacher))
        try:
            labels = {}
            for criterion in CRITERIA:
                labels[criterion] = _yes_no(criterion, ask)
                if labels[criterion] is None:
                    break
            if None in labels.values():
                session.skip()
                continue
            comment = _read(ask, "Comment (optional, Enter for none): ")
        except Stop:
            print("\nstopped: run the same command again to resume")
            return
        session.answer({c: bool(v) for c, v in labels.items()}, comment)


def question_text(question: Question, position: str, teacher: bool) -> str:
    """What the terminal shows of one hint (no system name: a question has none)."""
    code = "\n".join(f"{n:>3} | {line}" for n, line in enumerate(question.code.splitlines(), start=1))
    parts = [
        f"\n{'=' * 30} Hint {position} {'=' * 30}",
        f"Task: {question.title}" + (f"\n{question.description}" if question.description else ""),
        f"Learner's code:\n{code}",
        f"First failing test: {failing_test_text(question.failing_test)}",
    ]
    if teacher:
        parts.append(f"Reference fix:\n{question.fix}")
    parts.append(f"HINT: {question.hint}")
    return "\n\n".join(parts)


def _read(ask: Ask, prompt: str) -> str:
    try:
        answer = ask(prompt)
    except EOFError:
        raise Stop from None
    if answer.strip().lower() == "q":
        raise Stop
    return answer


def _yes_no(criterion: str, ask: Ask) -> bool | None:
    """y/n for one criterion; None: skip this hint."""
    while True:
        answer = _read(ask, f"{criterion}: {QUESTIONS[criterion]} [y/n, ? rules, s skip, q stop] ").strip()
        if answer.lower() in ("y", "yes", "n", "no"):
            return answer.lower().startswith("y")
        if answer.lower() == "s":
            return None
        print(rules_text())
