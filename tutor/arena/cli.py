"""``tutor arena``: ``run`` (battles judged by a local model), ``leaderboard`` and ``votes export|import``.

Registered in ``tutor/cli.py`` with ``add_parser(subparsers, common)``. Each subcommand parses, calls one function
of ``tutor.arena.core`` and prints; a problem is a ``UsageError`` (one line on stderr, exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.arena.report import write_html
from tutor.paths import user_data_dir


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    arena = subparsers.add_parser(
        "arena", help="compare hint sources pair by pair: judge, teacher votes, leaderboard"
    )
    sub = arena.add_subparsers(dest="arena_command", required=True)

    run = sub.add_parser("run", parents=[common], help="battle every pair of systems on every item")
    run.add_argument("--systems", required=True, help="comma-separated systems, e.g. analysis,default")
    where = run.add_mutually_exclusive_group(required=True)
    where.add_argument("--set", help="a bundled evaluation set (basics, quixbugs, refactory, all)")
    where.add_argument("--items", help='a JSONL file of {"task", "name", "code", "fix"}')
    run.add_argument("--limit", type=int, default=None, help="at most N items per set (a seeded sample)")
    run.add_argument(
        "--judge",
        default="",
        help="the judge model: a catalog id, default or a GGUF path "
        "(default: the largest catalog model installed here)",
    )
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", default="", help=f"output folder (default {user_data_dir() / 'arena'})")
    run.add_argument(
        "--cache",
        action="append",
        default=[],
        metavar="DIR",
        help="also reuse the hints cached in this folder, e.g. a `tutor bench quality --out` folder "
        "(repeatable); new hints go to the output folder's cache",
    )
    run.add_argument(
        "--no-generate",
        action="store_true",
        help="write no hints: judge only the items every system already has in the caches",
    )
    run.add_argument("--threads", type=int, default=None)
    run.set_defaults(func=cmd_run)

    board = sub.add_parser("leaderboard", parents=[common], help="win rates and Bradley-Terry scores")
    board.add_argument("--votes", choices=["judge", "teacher", "all"], default="all")
    board.add_argument(
        "--out", default="", help=f"the arena folder with battles.jsonl (default {user_data_dir() / 'arena'})"
    )
    board.add_argument("--html", default="", metavar="FILE", help="also write an HTML report with a plot")
    board.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds (at least 1000)")
    board.add_argument("--seed", type=int, default=0)
    board.set_defaults(func=cmd_leaderboard)

    votes = sub.add_parser("votes", parents=[common], help="export or import teachers' votes (JSON or CSV)")
    votes.add_argument("action", choices=["export", "import"])
    votes.add_argument("file", help="a .json or .csv file")
    votes.set_defaults(func=cmd_votes)


# -- run ----------------------------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from tutor.arena.core import RunConfig, run_arena  # heavy: the hint pipeline, numpy; not for the parser

    config = RunConfig(
        systems=args.systems,
        set_name=args.set or "",
        items=Path(args.items) if args.items else None,
        tasks=tuple(Path(t) for t in args.tasks),
        limit=args.limit,
        judge=args.judge,
        seed=args.seed,
        out=Path(args.out) if args.out else None,
        caches=tuple(Path(c) for c in args.cache),
        generate=not args.no_generate,
        threads=args.threads,
    )
    result = run_arena(config, None if args.json else _progress())
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    summary, out = result.summary, result.out
    data = dict(summary.to_json(), systems=[s.name for s in result.systems], items=result.items, out=str(out))
    stats = summary.judge
    text = (
        f"{summary.battles} battles ({summary.new_battles} new) over {result.items} items in {out}\n"
        f"judge {stats['name']}: {_judge_figures(stats)}, {stats['decided_by_guard']} decided by the leak guard, "
        f"{stats['identical_hints']} identical-hint ties, "
        f"{_num(stats['seconds_per_battle'])} s per judged battle "
        f"({_pct(stats['prompt_reuse'])} of the judge's prompt tokens from the prefix cache)\n"
        f"hints: {summary.generated} generated, {summary.from_cache} from the cache\n"
        f"next: tutor arena leaderboard --out {out}"
    )
    print(json.dumps(data, indent=2) if args.json else text)
    return 0


def _progress() -> Any:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(label: str, done: int, total: int) -> None:
        if label not in bars:
            bars[label] = tqdm(total=total, desc=label, file=sys.stderr, leave=False)
        bars[label].update(done - bars[label].n)
        if done >= total:
            bars.pop(label).close()

    return update


def _judge_figures(stats: dict[str, Any]) -> str:
    return (
        f"consistency {_pct(stats['consistency'])} raw, {_pct(stats.get('consistency_calibrated'))} calibrated; "
        f"position bias {_signed(stats['position_bias'])} raw, "
        f"{_signed(stats.get('position_bias_calibrated'))} calibrated"
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# -- leaderboard --------------------------------------------------------------------------------------------------
def cmd_leaderboard(args: argparse.Namespace) -> int:
    from tutor.arena.core import BoardConfig, board_data  # heavy: numpy; not for the parser

    config = BoardConfig(args.votes, Path(args.out) if args.out else None, args.rounds, args.seed)
    result = board_data(config)
    if args.html:
        agreement = (result.agreement, result.shared)
        write_html(Path(args.html), result.plain, result.controlled, result.stats, agreement, args.votes)
    print(json.dumps(result.to_json(), indent=2) if args.json else _table(result, args.votes))
    return 0


def _table(result: Any, votes: str) -> str:
    """The leaderboard as text (``result`` is a ``tutor.arena.core.BoardResult``)."""
    plain, controlled, stats = result.plain, result.controlled, result.stats
    agreement, shared = result.agreement, result.shared
    width = max(len(n) for n in plain.systems)
    lines = [
        f"{'rank':<5}{'system':<{width + 2}}{'score':>7}  {'95% interval':<17}{'win':>6}{'tie':>6}{'loss':>6}"
        f"{'battles':>9}  {'length-controlled':>17}"
    ]
    for name, row in plain.systems.items():
        n = max(row["battles"], 1)
        other = controlled.systems[name]
        lines.append(
            f"{row['rank']:<5}{name:<{width + 2}}{row['score']:>7.2f}  [{row['ci'][0]:>6.2f}, {row['ci'][1]:>6.2f}]"
            f"{row['wins'] / n:>6.0%}{row['ties'] / n:>6.0%}{row['losses'] / n:>6.0%}{row['battles']:>9}"
            f"  {other['score']:>7.2f} (rank {other['rank']})"
        )
    lines.append(
        f"votes: {votes}; {plain.battles} battles; scores are log-strengths (mean 0), ties count half; "
        f"length coefficient {controlled.length_coef:+.3f} per 10 words"
    )
    if stats["name"]:
        lines.append(f"judge {stats['name']}: {_judge_figures(stats)}")
        lines.append(f"measured: {stats['trust']}")
    lines.append(
        f"judge vs teachers: kappa {_num(agreement) if agreement is None else f'{agreement:.2f}'} "
        f"on {shared} pairs both judged"
    )
    return "\n".join(lines)


# -- votes --------------------------------------------------------------------------------------------------------
def cmd_votes(args: argparse.Namespace) -> int:
    from tutor.arena.core import transfer_votes  # heavy: numpy, the session; not for the parser

    data = transfer_votes(args.action, Path(args.file))
    if "exported" in data:
        text = f"exported {data['exported']} votes to {data['file']}"
    else:
        text = f"imported {data['imported']} votes ({data['already_there']} already there)"
    print(json.dumps(data) if args.json else text)
    return 0
