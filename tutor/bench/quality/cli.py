"""``tutor bench quality``: the command line of the hint quality benchmark.

    tutor bench quality --systems S1,S2,... (--set NAME | --items FILE [--tasks FILE]) [--limit N] [--seed K]
                        [--out DIR] [--json] [--judge MODEL|auto] [--watts W]
                        [--labels FILE...] [--references FILE]

``--limit N`` takes a seeded sample of N items from each set. The output folder keeps the generation cache, so
running the same command again resumes where it stopped. ``--json`` prints exactly the summary.

``--labels FILE...`` (label files or folders of them, e.g. ``RUN/labels`` written by ``tutor bench label``): HGood
per system from human labels where they exist and from the judge elsewhere, with the counts of each, the judge's
agreement with the people and the inter-rater kappa (``tutor.eval.human``), in a ``human`` section
apart from the judge's ``hgood``. ``--references FILE``: ROUGE-L and BLEU against reference hints and their
correlation with human HGood (``tutor.bench.quality.references``), in a ``references`` section.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.bench.quality.cost import DEFAULT_KWH_PRICE, DEFAULT_WATTS


class QualityError(Exception):
    """A usage problem: one line on stderr, exit 2."""


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "quality",
        parents=[common],
        help="hint quality benchmark (quality, cost, time)",
        description=__doc__.splitlines()[0] if __doc__ else "",
    )
    parser.add_argument(
        "--systems",
        required=True,
        help="comma-separated: analysis, default, a catalog id (or unique prefix) or a .gguf path, "
        "optionally @native|@browser and ,k=N",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--set", dest="set_name", help="a bundled set: basics, quixbugs, refactory or all")
    source.add_argument("--items", type=Path, help='a JSONL file of {"task", "name", "code", "fix"}')
    parser.add_argument(
        "--split",
        choices=("all", "dev", "test"),
        default="all",
        help="only the items of this split's tasks (resources/eval/splits.toml), before sampling (default all)",
    )
    parser.add_argument("--limit", type=int, default=None, help="a seeded sample of N items from each set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: bench-quality-SET)")
    parser.add_argument(
        "--judge", default=None, help="judge model: auto (the largest local model) or a system"
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--watts", type=float, default=DEFAULT_WATTS, help="power draw used for the energy cost"
    )
    parser.add_argument(
        "--kwh-price", type=float, default=DEFAULT_KWH_PRICE, help="electricity price (USD per kWh)"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--labels",
        type=Path,
        nargs="+",
        default=None,
        help="human label files or folders (tutor bench label): HGood from people where labelled",
    )
    parser.add_argument(
        "--references",
        type=Path,
        default=None,
        help='reference hints, JSONL of {"item", "hint", "explanation"}',
    )
    parser.add_argument(
        "--from-cache",
        action="store_true",
        help="report only what the output folder's cache holds (a stopped run); generate nothing",
    )
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    try:
        return _command(args)
    except QualityError as exc:
        print(f"tutor: error: {exc}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    from tutor.bench.quality.bench import BenchRun, run_bench
    from tutor.bench.quality.judge import choose_judge, family_warnings
    from tutor.bench.quality.report import details, summarize
    from tutor.eval.items import SetError
    from tutor.eval.sets import load_items_file, load_set, sample
    from tutor.eval.splits import split_of
    from tutor.eval.systems import SystemError, parse_systems

    if args.limit is not None and args.limit < 1:
        raise QualityError("--limit must be 1 or more")
    from tutor.models.choice import ModelRefused
    from tutor.session import authorize_model, model_refusal

    if not args.from_cache and (refusal := model_refusal()):  # the school's policy (tutor.session)
        raise QualityError(refusal)
    try:
        systems = parse_systems(args.systems)
        judge = choose_judge(args.judge)
        for system in [*systems, *([judge] if judge else [])]:
            if not system.is_analysis and not args.from_cache:
                authorize_model(system.model_path())  # refuse a missing or forbidden model before any work
        if args.items:
            items, exercises = load_items_file(args.items, [Path(t) for t in args.tasks])
            set_name = str(args.items)
        else:
            items, exercises = load_set(args.set_name)
            set_name = args.set_name
    except (SystemError, SetError, ModelRefused) as exc:
        raise QualityError(str(exc)) from None
    if args.split != "all":
        items = [item for item in items if split_of(item.task) == args.split]
        set_name = f"{set_name}:{args.split}"
        if not items:
            raise QualityError(f"no item of {set_name} is in the {args.split} split")
    chosen = sample(items, args.limit, args.seed)
    out = args.out or Path(f"bench-quality-{Path(set_name).stem.replace(':', '-')}")
    warnings = family_warnings(judge, systems)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    job = BenchRun(
        systems,
        chosen,
        exercises,
        out,
        judge,
        args.threads,
        progress=not (args.no_progress or args.json),
        generate=not args.from_cache,
    )
    try:
        rows = run_bench(job)
    except SystemError as exc:
        raise QualityError(str(exc)) from None
    names = [s.name for s in systems]
    summary = summarize(rows, names, judge.name if judge else None, set_name, args.seed)
    extra = details(rows, names, judge.name if judge else None, warnings, args.watts, args.kwh_price)
    _people(args, rows, names, summary, extra)
    _write(args, out, rows, summary, extra)
    return 0


def _write(
    args: argparse.Namespace,
    out: Path,
    rows: list[dict[str, Any]],
    summary: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    from tutor.bench.quality.report import table, write_outputs

    write_outputs(out, rows, summary, extra)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(table(summary, extra))
        print(f"report: {out / 'report.html'}")


def _people(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    names: list[str],
    summary: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    """Add the ``human`` and ``references`` sections (only for ``--labels`` / ``--references``)."""
    from tutor.eval.human import human_section, majority, row_key
    from tutor.eval.labels import LabelError, read_labels
    from tutor.bench.quality.references import ReferencesError, read_references, reference_section

    try:
        records = read_labels(args.labels) if args.labels else []
        references = read_references(args.references) if args.references else None
    except (LabelError, ReferencesError) as exc:
        raise QualityError(str(exc)) from None
    if args.labels:
        extra["human"] = human_section(rows, records, names, args.seed)
        keys = ("n", "n_human", "n_judge", "n_none", "hgood_human", "hgood_human_95", "hgood_mixed")
        summary["human"] = {n: {k: s[k] for k in keys} for n, s in extra["human"]["systems"].items()}
    if references is not None:
        human = majority(records)

        def human_good(row: dict[str, Any]) -> bool | None:
            found = human.get(row_key(row))
            return None if found is None else bool(found["HGood"])

        extra["references"] = reference_section(rows, references, names, human_good)
        summary["references"] = {
            n: {k: s[k] for k in ("n", "rouge_l", "bleu_corpus")}
            for n, s in extra["references"]["systems"].items()
        }
