"""``tutor arena``: ``run`` (battles judged by a local model), ``leaderboard`` and ``votes export|import``.

Registered in ``tutor/cli.py`` with ``add_parser(subparsers, common)``. Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tutor.paths import user_data_dir


class ArenaError(Exception):
    """A problem to report in one line (exit 2)."""


def default_out() -> Path:
    return user_data_dir() / "arena"


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
    run.add_argument("--out", default="", help=f"output folder (default {default_out()})")
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
    run.set_defaults(func=_guarded(cmd_run))

    board = sub.add_parser("leaderboard", parents=[common], help="win rates and Bradley-Terry scores")
    board.add_argument("--votes", choices=["judge", "teacher", "all"], default="all")
    board.add_argument(
        "--out", default="", help=f"the arena folder with battles.jsonl (default {default_out()})"
    )
    board.add_argument("--html", default="", metavar="FILE", help="also write an HTML report with a plot")
    board.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds (at least 1000)")
    board.add_argument("--seed", type=int, default=0)
    board.set_defaults(func=_guarded(cmd_leaderboard))

    votes = sub.add_parser("votes", parents=[common], help="export or import teachers' votes (JSON or CSV)")
    votes.add_argument("action", choices=["export", "import"])
    votes.add_argument("file", help="a .json or .csv file")
    votes.set_defaults(func=_guarded(cmd_votes))


def _guarded(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(command(args))
        except ArenaError as exc:
            print(f"tutor: error: {exc}", file=sys.stderr)
            return 2

    return run


# -- run ----------------------------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from tutor.arena.run import SharedCaches, generate_missing, run_battles
    from tutor.eval.cache import GenerationCache
    from tutor.eval.items import SetError
    from tutor.eval.sets import load_items_file, load_set, sample
    from tutor.eval.systems import SystemError, parse_systems
    from tutor.session import model_refusal

    if not args.no_generate and (refusal := model_refusal()):  # the school's policy (tutor.session)
        raise ArenaError(refusal)
    try:
        systems = parse_systems(args.systems)
        if len(systems) < 2:
            raise ArenaError("an arena needs at least two systems")
        if args.limit is not None and args.limit < 1:
            raise ArenaError("--limit must be 1 or more")
        items, exercises = (
            load_set(args.set)
            if args.set
            else load_items_file(Path(args.items), [Path(t) for t in args.tasks])
        )
        items = sample(items, args.limit, args.seed)
        out = Path(args.out) if args.out else default_out()
        cache = SharedCaches([GenerationCache(out)] + [GenerationCache(Path(c)) for c in args.cache])
        progress = None if args.json else _progress()
        if args.no_generate:
            items = [i for i in items if all(cache.get(s.name, i.key) is not None for s in systems)]
            generated, cached = 0, len(items) * len(systems)
            if not items:
                raise ArenaError(
                    "no item has a cached hint from every system yet (drop --no-generate to write them)"
                )
        else:
            generated, cached = generate_missing(systems, items, exercises, cache, progress, args.threads)
        judge, family = load_judge(args.judge, args.threads)
        kin = [s.name for s in systems if family and s.family == family]
        if kin:
            print(
                f"warning: the judge {judge.name} is of the same family as {', '.join(kin)}; "
                "its verdicts on them may favour its own kind",
                file=sys.stderr,
            )
        summary = run_battles(systems, items, exercises, cache, judge, out, progress)
    except (SystemError, SetError) as exc:
        raise ArenaError(str(exc)) from None
    summary.generated, summary.from_cache = generated, cached
    data = dict(summary.to_json(), systems=[s.name for s in systems], items=len(items), out=str(out))
    stats = summary.judge
    text = (
        f"{summary.battles} battles ({summary.new_battles} new) over {len(items)} items in {out}\n"
        f"judge {stats['name']}: {_judge_figures(stats)}, {stats['decided_by_guard']} decided by the leak guard, "
        f"{stats['identical_hints']} identical-hint ties, "
        f"{_num(stats['seconds_per_battle'])} s per judged battle "
        f"({_pct(stats['prompt_reuse'])} of the judge's prompt tokens from the prefix cache)\n"
        f"hints: {generated} generated, {cached} from the cache\n"
        f"next: tutor arena leaderboard --out {out}"
    )
    print(json.dumps(data, indent=2) if args.json else text)
    return 0


def load_judge(text: str, threads: int | None) -> Any:
    """The judge model: ``--judge`` (a system text: catalog id, ``default`` or a GGUF path), else the largest
    catalog model installed here (the benchmark's own choice), else the default model."""
    from tutor.arena.judge import Judge
    from tutor.bench.quality.judge import choose_judge
    from tutor.engines.base import EngineError
    from tutor.engines.native import NativeEngine
    from tutor.models.choice import ModelRefused
    from tutor.session import authorize_model

    system = choose_judge(text or "auto")
    if system is None or system.is_analysis:
        raise ArenaError("the judge must be a model, not analysis")
    try:
        path = authorize_model(system.model_path())  # the school's policy (tutor.session)
    except ModelRefused as exc:
        raise ArenaError(f"the judge {system.name}: {exc}") from None
    engine = NativeEngine(threads=threads)
    try:
        engine.load(path)
    except EngineError as exc:
        raise ArenaError(str(exc)) from None
    return Judge(engine, system.name), system.family


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
    from tutor.arena.board import from_judge, from_votes, judge_stats, kappa, leaderboard, read_battles
    from tutor.arena.calibration import calibrate
    from tutor.arena.run import BATTLES_NAME

    if args.rounds < 1000:
        raise ArenaError("--rounds must be at least 1000")
    out = Path(args.out) if args.out else default_out()
    records = calibrate(read_battles(out / BATTLES_NAME))  # judge battles decided by calibrated verdicts
    judged = from_judge(records)
    teacher = from_votes(_store().votes())
    chosen = {"judge": judged, "teacher": teacher, "all": judged + teacher}[args.votes]
    if not chosen:
        raise ArenaError(
            f"no battles yet ({'run `tutor arena run`' if args.votes != 'teacher' else 'no teacher votes'};"
            f" looked in {out / BATTLES_NAME} and the progress database)"
        )
    plain = leaderboard(chosen, args.rounds, args.seed)
    controlled = leaderboard(chosen, args.rounds, args.seed, length_control=True)
    stats = judge_stats(records)
    agreement, shared = kappa(judged, teacher)
    data = {
        "systems": plain.systems,
        "judge": {
            "name": stats["name"],
            "consistency": stats["consistency"],
            "position_bias": stats["position_bias"],
            "consistency_calibrated": stats["consistency_calibrated"],
            "position_bias_calibrated": stats["position_bias_calibrated"],
            "position_prior": stats["position_prior"],
        },
    }
    if args.html:
        from tutor.arena.report import write_html

        write_html(Path(args.html), plain, controlled, stats, (agreement, shared), args.votes)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(_table(plain, controlled, stats, agreement, shared, args.votes))
    return 0


def _store() -> Any:
    from tutor.policy import load_policy
    from tutor.progress import ProgressStore

    policy = load_policy()
    return ProgressStore(Path(policy.progress_dir) / "progress.db" if policy.progress_dir else None)


def _table(
    plain: Any, controlled: Any, stats: dict[str, Any], agreement: float | None, shared: int, votes: str
) -> str:
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
    lines.append(
        f"judge vs teachers: kappa {_num(agreement) if agreement is None else f'{agreement:.2f}'} "
        f"on {shared} pairs both judged"
    )
    return "\n".join(lines)


# -- votes --------------------------------------------------------------------------------------------------------
def cmd_votes(args: argparse.Namespace) -> int:
    from tutor.arena.votes import VoteFileError, export_votes, import_votes

    path = Path(args.file)
    if path.suffix.lower() not in (".json", ".csv"):
        raise ArenaError(f"{path.name}: use a .json or .csv file")
    store = _store()
    try:
        if args.action == "export":
            count = export_votes(store, path)
            data, text = {"exported": count, "file": str(path)}, f"exported {count} votes to {path}"
        else:
            added, known = import_votes(store, path)
            data, text = (
                {"imported": added, "already_there": known},
                f"imported {added} votes ({known} already there)",
            )
    except (VoteFileError, OSError) as exc:
        raise ArenaError(str(exc)) from None
    print(json.dumps(data) if args.json else text)
    return 0
