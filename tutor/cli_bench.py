"""``tutor bench [core|repairs|load|sandbox]``: run a benchmark suite and print its figures. ``bench quality``
and ``bench label`` register themselves (``tutor.bench.quality.cli``, ``label_cli``) on the same sub-parsers."""

from __future__ import annotations

import argparse
from typing import Any

from tutor.bench.sandbox import main as sandbox_main

SPEED_SUITES = ("repairs", "load", "sandbox")  # bench suites that parse their own options


def cmd_bench(args: argparse.Namespace) -> int:
    json_flag = ["--json"] if args.json else []
    if args.suite == "sandbox":
        return sandbox_main([*args.bench_options] + json_flag)
    if args.suite not in (
        None,
        "core",
    ):  # None: plain `tutor bench` (the subparsers' dest overrides the default)
        from tutor.bench.speed import main as speed_main  # heavy: the hint pipeline and its engines

        return speed_main([args.suite, *args.bench_options] + json_flag)
    from tutor.bench.core import main as bench_main  # heavy: the hint pipeline and its engines

    return bench_main(json_flag)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> Any:
    """Register ``bench`` and its speed suites on ``tutor``'s sub-parsers; returns the suites' sub-parsers (for
    ``bench quality`` and ``bench label``)."""
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
    return suites
