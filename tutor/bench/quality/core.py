"""What ``tutor bench quality`` does, without its command line: ``run_quality(QualityConfig)``.

Refuses first (the school's policy, a missing or forbidden model, a bad set), then runs or resumes the benchmark
in the output folder, summarises it, adds the people's and the references' sections when asked, and writes
``summary.json``, ``details.json``, ``rows.jsonl`` and ``report.html``. A problem is a ``UsageError``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.bench.quality.bench import BenchRun, run_bench
from tutor.bench.quality.cost import DEFAULT_KWH_PRICE, DEFAULT_WATTS
from tutor.bench.quality.references import ReferencesError, read_references, reference_section
from tutor.bench.quality.report import details, summarize, write_outputs
from tutor.errors import UsageError
from tutor.eval.human import human_section, majority, row_key
from tutor.eval.items import Item, SetError
from tutor.eval.labels import LabelError, read_labels
from tutor.eval.sets import choose_items, sample
from tutor.eval.splits import split_of
from tutor.eval.systems import SystemError, choose_judge, family_warnings, parse_systems
from tutor.exercises import Exercise
from tutor.models.choice import ModelRefused
from tutor.session import Session


@dataclass(frozen=True)
class QualityConfig:
    systems: str  # the --systems text
    set_name: str = ""
    items: Path | None = None
    tasks: tuple[Path, ...] = ()
    split: str = "all"
    limit: int | None = None
    seed: int = 0
    out: Path | None = None
    judge: str | None = None
    threads: int | None = None
    watts: float = DEFAULT_WATTS
    kwh_price: float = DEFAULT_KWH_PRICE
    progress: bool = True
    labels: tuple[Path, ...] | None = None
    references: Path | None = None
    from_cache: bool = False


@dataclass
class QualityResult:
    out: Path
    summary: dict[str, Any]
    extra: dict[str, Any]


def run_quality(
    config: QualityConfig,
    warn: Callable[[str], None] = lambda text: print(f"warning: {text}", file=sys.stderr),
    session: Session | None = None,
) -> QualityResult:
    """Run (or resume, or with ``from_cache`` only report) the benchmark and write its outputs."""
    if config.limit is not None and config.limit < 1:
        raise UsageError("--limit must be 1 or more")
    session = session or Session()
    if not config.from_cache and (refusal := session.model_refusal()):  # the school's policy
        raise UsageError(refusal)
    try:
        systems = parse_systems(config.systems)
        judge = choose_judge(config.judge)
        for system in [*systems, *([judge] if judge else [])]:
            if not system.is_analysis and not config.from_cache:
                session.authorize_model(system.model_path())  # refuse a missing or forbidden model first
        items, exercises, set_name = _items(config)
        warnings = family_warnings(judge, systems)
        for warning in warnings:
            warn(warning)
        out = config.out or Path(f"bench-quality-{Path(set_name).stem.replace(':', '-')}")
        job = BenchRun(
            systems, items, exercises, out, judge, config.threads, config.progress, not config.from_cache
        )
        rows = run_bench(job)
    except (SystemError, SetError, ModelRefused) as exc:
        raise UsageError(str(exc)) from None
    names = [s.name for s in systems]
    judge_name = judge.name if judge else None
    summary = summarize(rows, names, judge_name, set_name, config.seed)
    extra = details(rows, names, judge_name, warnings, config.watts, config.kwh_price)
    _people(config, rows, names, summary, extra)
    write_outputs(out, rows, summary, extra)
    return QualityResult(out, summary, extra)


def _items(config: QualityConfig) -> tuple[list[Item], dict[str, Exercise], str]:
    """The chosen set's items of the chosen split, sampled; the set's label says the split."""
    items, exercises, set_name = choose_items(config.set_name, config.items, list(config.tasks))
    if config.split != "all":
        items = [item for item in items if split_of(item.task) == config.split]
        set_name = f"{set_name}:{config.split}"
        if not items:
            raise UsageError(f"no item of {set_name} is in the {config.split} split")
    return sample(items, config.limit, config.seed), exercises, set_name


def _people(
    config: QualityConfig,
    rows: list[dict[str, Any]],
    names: list[str],
    summary: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    """Add the ``human`` and ``references`` sections (only for ``--labels`` / ``--references``)."""
    try:
        records = read_labels(config.labels) if config.labels else []
        references = read_references(config.references) if config.references else None
    except (LabelError, ReferencesError) as exc:
        raise UsageError(str(exc)) from None
    if config.labels:
        extra["human"] = human_section(rows, records, names, config.seed)
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
