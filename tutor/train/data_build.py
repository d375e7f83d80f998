"""What ``tutor train data`` does, without its command line: ``build_data(DataConfig)``.

Collects the dev-split bug/fix pairs (``tutor.train.sources``), turns them into repair and hint examples with the
teacher model or the analysis (``tutor.train.assembly``), and writes ``train.jsonl``, ``dev.jsonl`` and the data
card (``tutor.train.card``). The teacher is loaded through the session (``Session.load_engine``: the school's
policy, the allowed list, the engine out of process). Every problem is a ``UsageError``; a stopped build resumes
from the teacher's cache in ``OUT/teacher-cache.jsonl``.
"""

from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tutor.engines.base import Engine, EngineError
from tutor.errors import UsageError
from tutor.eval.build import DEFAULT_DATASETS
from tutor.eval.splits import TestItemLeak
from tutor.jsonl import JsonlError
from tutor.models.choice import ModelRefused
from tutor.session import Session
from tutor.train.assembly import Built, assemble
from tutor.train.authored import AuthoredError, AuthoredTarget, load_targets
from tutor.train.card import write_dataset
from tutor.train.sources import Collected, collect
from tutor.train.teacher import Teacher, TeacherError, find_teacher

CACHE_FILE = "teacher-cache.jsonl"


@dataclass(frozen=True)
class DataConfig:
    out: Path = Path("train-data")
    teacher: str = "auto"  # a local model id, a GGUF file, none, or auto
    max_per_source: int | None = None
    teacher_limit: int | None = None
    seed: int = 7
    dev_fraction: float = 0.1
    datasets: Path = DEFAULT_DATASETS
    threads: int | None = None
    targets: str = "bundled"  # the team's authored hint targets: bundled, none, or a JSONL file

    def argv(self) -> list[str]:
        """The options as ``tutor train data`` takes them (the card records the command)."""
        words = ["--out", str(self.out), "--teacher", self.teacher, "--seed", str(self.seed)]
        for flag, value in (
            ("--max-per-source", self.max_per_source),
            ("--teacher-limit", self.teacher_limit),
        ):
            if value is not None:
                words += [flag, str(value)]
        if self.dev_fraction != 0.1:
            words += ["--dev-fraction", str(self.dev_fraction)]
        if self.targets != "bundled":
            words += ["--targets", self.targets]
        return words

    def authored(self) -> dict[str, AuthoredTarget]:
        """The authored targets this build uses (none for ``--targets none``)."""
        if self.targets == "none":
            return {}
        path = None if self.targets == "bundled" else Path(self.targets)
        if path is not None and not path.is_file():
            raise UsageError(f"no hint targets file {path}")
        try:
            return load_targets(path)
        except (AuthoredError, JsonlError) as exc:
            raise UsageError(str(exc)) from None


def build_data(config: DataConfig, session: Session | None = None) -> dict[str, Any]:
    """Build the data set in ``config.out``; returns the data card."""
    session = session or Session()
    if refusal := session.model_refusal():  # the data holds hints; the school's policy decides
        raise UsageError(refusal)
    if config.max_per_source is not None and config.max_per_source < 1:
        raise UsageError("--max-per-source must be 1 or more")
    if not 0 <= config.dev_fraction < 1:
        raise UsageError("--dev-fraction must be from 0 to below 1")
    started = time.perf_counter()
    authored = config.authored()
    teacher, engine = load_teacher(config, session)
    try:
        collected = _collect(config)
        built = _assemble(config, collected, teacher, authored)
    except (TestItemLeak, TeacherError) as exc:
        raise UsageError(str(exc)) from None
    except EngineError as exc:
        raise UsageError(f"the teacher model stopped ({exc}); run the same command again to resume") from None
    finally:
        if engine is not None:
            engine.close()
    meta = {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "tutor train data " + shlex.join(config.argv()),
        "seed": config.seed,
        "max_per_source": config.max_per_source,
        "teacher_limit": config.teacher_limit,
        "dev_fraction": config.dev_fraction,
        "candidates_run": collected.tried,
        "notes": short_notes(collected.notes),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    return write_dataset(config.out, built, collected.pairs, meta)


def _collect(config: DataConfig) -> Collected:
    with tqdm(desc="bug/fix pairs", unit="pair", file=sys.stderr) as bar:

        def tick(source: str) -> None:
            bar.set_postfix_str(source, refresh=False)
            bar.update(1)

        datasets = config.datasets if config.datasets.is_dir() else None
        return collect(datasets, config.max_per_source, config.seed, progress=tick)


def _assemble(
    config: DataConfig, collected: Collected, teacher: Teacher | None, authored: dict[str, AuthoredTarget]
) -> Built:
    with tqdm(total=len(collected.pairs), desc="examples", unit="pair", file=sys.stderr) as bar:
        return assemble(
            collected.pairs,
            collected.exercises,
            teacher,
            config.teacher_limit,
            config.seed,
            config.dev_fraction,
            on_pair=lambda: bar.update(1),
            authored=authored,
        )


def load_teacher(config: DataConfig, session: Session) -> tuple[Teacher | None, Engine | None]:
    """The teacher and its engine; none for ``--teacher none`` (or ``auto`` with no instruct model here), and
    no engine for ``--teacher-limit 0`` (the cached answers only)."""
    try:
        model = find_teacher(config.teacher)
    except TeacherError as exc:
        raise UsageError(str(exc)) from None
    if model is None:
        if config.teacher not in ("auto", "none"):
            raise UsageError(f"no teacher model {config.teacher!r}")
        return None, None
    if config.teacher_limit == 0:  # no new calls: the cached answers only, no model loaded
        return Teacher(None, model.id, config.out / CACHE_FILE), None
    try:
        session.authorize_model(model.path)  # refused before the loading message
    except ModelRefused as exc:
        raise UsageError(f"the teacher {model.id}: {exc}") from None
    print(f"loading the teacher {model.id} ...", file=sys.stderr)
    try:
        engine = session.load_engine(str(model.path), "native", config.threads)
    except UsageError as exc:
        raise UsageError(f"the teacher {model.id}: {exc}") from None
    return Teacher(engine, model.id, config.out / CACHE_FILE), engine


def short_notes(notes: list[str]) -> list[str]:
    """Notes with the many 'left out' lines of one source counted, not listed."""
    left: dict[str, int] = {}
    kept = []
    for note in notes:
        if ": left out " in note or note.endswith("no mutants"):
            source = note.split(":")[0]
            left[source] = left.get(source, 0) + 1
        else:
            kept.append(note)
    return kept + [
        f"{source}: {count} candidates left out (see the build's checks)" for source, count in left.items()
    ]
