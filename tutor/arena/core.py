"""What ``tutor arena`` does, without its command line: ``run_arena``, ``board_data`` and ``transfer_votes``.

Each takes a small config and raises ``UsageError`` for a problem to report in one line. The judge is a model
loaded through the session (``Session.load_engine``: the school's policy, the allowed list, the engine out of
process like every other model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.arena.board import Board, from_judge, from_votes, judge_stats, kappa, leaderboard, read_battles
from tutor.arena.calibration import calibrate
from tutor.arena.judge import PROMPT_VERSION, Judge
from tutor.arena.run import BATTLES_NAME, Progress, RunSummary, SharedCaches, generate_missing, run_battles
from tutor.arena.votes import VoteFileError, export_votes, import_votes
from tutor.errors import UsageError
from tutor.eval.cache import GenerationCache
from tutor.eval.items import Item, SetError
from tutor.eval.sets import choose_items, sample
from tutor.eval.systems import System, SystemError, choose_judge, family_warnings, parse_systems
from tutor.eval.trust import trust_line
from tutor.exercises import Exercise
from tutor.paths import user_data_dir
from tutor.progress import ProgressStore
from tutor.session import Session


def default_out() -> Path:
    return user_data_dir() / "arena"


@dataclass(frozen=True)
class RunConfig:
    systems: str  # the --systems text
    set_name: str = ""  # a bundled set, or
    items: Path | None = None  # an items file (with task files)
    tasks: tuple[Path, ...] = ()
    limit: int | None = None
    judge: str = ""
    seed: int = 0
    out: Path | None = None
    caches: tuple[Path, ...] = ()
    generate: bool = True
    threads: int | None = None


@dataclass
class RunResult:
    summary: RunSummary
    systems: list[System]
    items: int
    out: Path
    warnings: list[str] = field(default_factory=list)


def run_arena(
    config: RunConfig, progress: Progress | None = None, session: Session | None = None
) -> RunResult:
    """Generate the missing hints (or, without ``generate``, keep only the items every system has cached), load
    the judge and battle every pair of systems on every item."""
    session = session or Session()
    if config.generate and (refusal := session.model_refusal()):  # the school's policy
        raise UsageError(refusal)
    try:
        systems = parse_systems(config.systems)
        if len(systems) < 2:
            raise UsageError("an arena needs at least two systems")
        if config.limit is not None and config.limit < 1:
            raise UsageError("--limit must be 1 or more")
        items, exercises = _items(config)
        out = config.out or default_out()
        cache = SharedCaches([GenerationCache(out)] + [GenerationCache(c) for c in config.caches])
        if config.generate:
            generated, cached = generate_missing(systems, items, exercises, cache, progress, config.threads)
        else:
            items = cached_everywhere(items, systems, cache)
            generated, cached = 0, len(items) * len(systems)
        judge, judge_system = load_judge(config.judge, config.threads, session)
        warnings = family_warnings(judge_system, systems)
        summary = run_battles(systems, items, exercises, cache, judge, out, progress)
    except (SystemError, SetError) as exc:
        raise UsageError(str(exc)) from None
    summary.generated, summary.from_cache = generated, cached
    return RunResult(summary, systems, len(items), out, warnings)


def _items(config: RunConfig) -> tuple[list[Item], dict[str, Exercise]]:
    items, exercises, _ = choose_items(config.set_name, config.items, list(config.tasks))
    return sample(items, config.limit, config.seed), exercises


def cached_everywhere(items: list[Item], systems: list[System], cache: SharedCaches) -> list[Item]:
    """The items every system already has a cached hint for (``--no-generate``); none is a ``UsageError``."""
    kept = [i for i in items if all(cache.get(s.name, i.key) is not None for s in systems)]
    if not kept:
        raise UsageError("no item has a cached hint from every system yet (drop --no-generate to write them)")
    return kept


def load_judge(text: str, threads: int | None, session: Session | None = None) -> tuple[Judge, System]:
    """The judge model: ``text`` (a system text: catalog id, ``default`` or a GGUF path), else the largest
    catalog model installed here (the benchmark's own choice), else the default model; loaded by the session."""
    session = session or Session()
    system = choose_judge(text or "auto")
    if system is None or system.is_analysis:
        raise UsageError("the judge must be a model, not analysis")
    try:
        engine = session.load_engine(str(system.model_path()), "native", threads)
    except (UsageError, SystemError) as exc:
        raise UsageError(f"the judge {system.name}: {exc}") from None
    return Judge(engine, system.name), system


@dataclass(frozen=True)
class BoardConfig:
    votes: str = "all"  # judge | teacher | all
    out: Path | None = None
    rounds: int = 1000
    seed: int = 0


@dataclass
class BoardResult:
    plain: Board
    controlled: Board
    stats: dict[str, Any]
    agreement: float | None
    shared: int

    def to_json(self) -> dict[str, Any]:
        keys = ("name", "consistency", "position_bias", "consistency_calibrated", "position_bias_calibrated")
        judge = {k: self.stats[k] for k in keys}
        judge["trust"] = self.stats.get("trust", "")
        return {
            "systems": self.plain.systems,
            "judge": dict(judge, position_prior=self.stats["position_prior"]),
        }


def board_data(config: BoardConfig, store: ProgressStore | None = None) -> BoardResult:
    """Win rates and Bradley-Terry scores (plain and length-controlled) of the judge's calibrated battles, the
    teachers' votes, or both."""
    if config.rounds < 1000:
        raise UsageError("--rounds must be at least 1000")
    out = config.out or default_out()
    records = calibrate(read_battles(out / BATTLES_NAME))  # judge battles decided by calibrated verdicts
    judged = from_judge(records)
    teacher = from_votes((store or Session().progress).votes())
    chosen = {"judge": judged, "teacher": teacher, "all": judged + teacher}[config.votes]
    if not chosen:
        where = "run `tutor arena run`" if config.votes != "teacher" else "no teacher votes"
        raise UsageError(
            f"no battles yet ({where}; looked in {out / BATTLES_NAME} and the progress database)"
        )
    plain = leaderboard(chosen, config.rounds, config.seed)
    controlled = leaderboard(chosen, config.rounds, config.seed, length_control=True)
    agreement, shared = kappa(judged, teacher)
    stats = judge_stats(records)
    stats["trust"] = trust_line("arena", stats["name"], PROMPT_VERSION) if stats["name"] else ""
    return BoardResult(plain, controlled, stats, agreement, shared)


def transfer_votes(action: str, path: Path, store: ProgressStore | None = None) -> dict[str, Any]:
    """Export the teachers' votes to ``path`` or import them from it (``.json`` or ``.csv``)."""
    if path.suffix.lower() not in (".json", ".csv"):
        raise UsageError(f"{path.name}: use a .json or .csv file")
    store = store or Session().progress
    try:
        if action == "export":
            return {"exported": export_votes(store, path), "file": str(path)}
        added, known = import_votes(store, path)
    except (VoteFileError, OSError) as exc:
        raise UsageError(str(exc)) from None
    return {"imported": added, "already_there": known}
