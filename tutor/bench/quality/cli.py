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
from pathlib import Path
from typing import Any

from tutor.bench.quality.cost import DEFAULT_KWH_PRICE, DEFAULT_WATTS


def add_command(
    subparsers: Any, common: argparse.ArgumentParser, name: str, help_text: str, doc: str | None
) -> argparse.ArgumentParser:
    """A ``tutor bench`` subcommand with the common options, its help and the first line of its module's doc."""
    return subparsers.add_parser(
        name, parents=[common], help=help_text, description=doc.splitlines()[0] if doc else ""
    )


def add_sample_options(parser: argparse.ArgumentParser, limit_help: str) -> None:
    """``--limit N`` and ``--seed K``: a seeded sample (the benchmark and the labelling share them)."""
    parser.add_argument("--limit", type=int, default=None, help=limit_help)
    parser.add_argument("--seed", type=int, default=0)


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers, common, "quality", "hint quality benchmark (quality, cost, time)", __doc__
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
    add_sample_options(parser, "a seeded sample of N items from each set")
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
    # heavy: numpy, the hint pipeline and the session; not loaded to build the `tutor` parser
    from tutor.bench.quality.core import QualityConfig, run_quality
    from tutor.bench.quality.report import table  # heavy: as above

    config = QualityConfig(
        systems=args.systems,
        set_name=args.set_name or "",
        items=args.items,
        tasks=tuple(Path(t) for t in args.tasks),
        split=args.split,
        limit=args.limit,
        seed=args.seed,
        out=args.out,
        judge=args.judge,
        threads=args.threads,
        watts=args.watts,
        kwh_price=args.kwh_price,
        progress=not (args.no_progress or args.json),
        labels=tuple(args.labels) if args.labels else None,
        references=args.references,
        from_cache=args.from_cache,
    )
    result = run_quality(config)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        print(table(result.summary, result.extra))
        print(f"report: {result.out / 'report.html'}")
    return 0
