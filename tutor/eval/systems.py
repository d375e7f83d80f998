"""Hint sources ("systems") as the benchmark and the arena name them, and turning one into a hint generator.

A system is written ``MODEL[@ENGINE][,key=value...]``:

- ``analysis``: program analysis only (tests, one-token repairs, the analysis hint); no model;
- ``default``: the embedded default model;
- a catalog id (``qwen2.5-coder-0.5b-instruct-q4km``, or any unique prefix such as ``qwen2.5-coder-0.5b``);
- a path to a ``.gguf`` file.

``@native`` (the default) or ``@browser`` picks the engine; settings: ``k=N`` (model repair candidates, default 3),
``hint=analysis`` (the model only repairs; the learner reads the analysis hint built from its checked repair, with
no model hint call: the "fine-tune's repairs with the analysis text" configuration) or ``hint=model``; without the
setting, the model's catalog entry says (the shipped fine-tune: ``analysis``; every other model: ``model``).
In a list (``--systems``) systems are separated by commas, and a ``key=value`` piece belongs to the system before
it: ``analysis,qwen2.5-coder-0.5b@native,k=1,default`` is three systems.

Stable API (the benchmark, the arena, training and the app's compare view): ``System``, ``parse_system``,
``parse_systems``, ``SystemError``, ``HintSource`` (``hint(exercise, code) -> Hint``, ``close()``),
``open_source(system)``, ``choose_judge`` and ``family_warnings``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tutor.engines.base import (
    BaseEngine,
    Engine,
    EngineInfo,
    Generation,
    GenerationParams,
    GenerationStats,
    Grammar,
    Prompt,
)
from tutor.errors import UsageError
from tutor.exercises import Exercise
from tutor.feedback.pipeline import Hint, HintPipeline, PipelineConfig
from tutor.models.carrier import store_path
from tutor.models.catalog import CatalogEntry, load_catalog
from tutor.models.default_model import (
    BASE_MODEL_ID,
    default_entry,
    ensure_adapter_model,
    ensure_base_model,
    ensure_default_model,
)
from tutor.models.download import target_folder
from tutor.session import Session
from tutor.system import memory_mb

ENGINES = ("native", "browser")
HINT_WRITERS = ("model", "analysis")  # who writes the hint's words
_SETTING = re.compile(r"^(?P<key>[a-z_]+)=(?P<value>[^,@=]+)$")


class SystemError(ValueError):  # noqa: A001 - a plain name for "bad system text"
    """A system text that cannot be parsed or resolved; the message says why in one line."""


@dataclass(frozen=True)
class System:
    """One hint source. ``model`` is ``""`` for ``analysis``, ``"default"``, a catalog id or a file path."""

    model: str
    engine: str = "native"
    repairs: int = 3
    hint: str = ""  # "analysis": the model repairs, the analysis hint says it; "": the catalog entry's own

    @property
    def hint_writer(self) -> str:
        """Who writes the hint's words: the setting, else the model's catalog entry (the shipped fine-tune:
        "analysis"), else "model"."""
        if self.hint or self.is_analysis:
            return self.hint or "analysis"
        entry = self.catalog_entry()
        return entry.hint if entry is not None else "model"

    @property
    def is_analysis(self) -> bool:
        return self.model == ""

    @property
    def name(self) -> str:
        """The canonical text: the cache key, the report's label, and parseable back to the same system."""
        if self.is_analysis:
            return "analysis"
        text = f"{self.model}@{self.engine}" if self.engine != "native" else self.model
        text = text if self.repairs == 3 else f"{text},k={self.repairs}"
        return f"{text},hint={self.hint}" if self.hint else text

    @property
    def family(self) -> str:
        """The model family (``qwen``, ``gemma``, ``llama``...) used to warn about a judge judging its own kin."""
        if self.is_analysis:
            return ""
        text = "gemma" if self.model == "default" else Path(self.model).name.lower()
        match = re.match(r"[a-z]+", text)
        return match.group(0) if match else text

    def catalog_entry(self) -> CatalogEntry | None:
        if self.is_analysis:
            return None
        entries = load_catalog()
        if (
            self.model == "default"
        ):  # the shipped default: a fine-tune when the catalog marks one, else the base
            marked = default_entry(entries)
            model_id = marked.id if marked is not None else BASE_MODEL_ID
        else:
            model_id = self.model
        return next((e for e in entries if e.id == model_id), None)

    def model_path(self) -> Path:
        """The GGUF file this system loads; raises ``SystemError`` when it is not on this machine."""
        if self.is_analysis:
            raise SystemError("the analysis system has no model")
        if self.model == "default":
            return ensure_default_model()
        entry = self.catalog_entry()
        if entry is not None and entry.source in (
            "package",
            "adapter",
        ):  # embedded: made here, never downloaded
            return ensure_base_model() if entry.source == "package" else ensure_adapter_model(entry)
        if entry is None:
            path = Path(self.model).expanduser()
            if not path.is_file():
                raise SystemError(f"model file not found: {path}")
            return path
        path = target_folder(entry.reference) / Path(entry.file).name
        if not path.is_file():
            raise SystemError(
                f"{entry.id} is not on this machine; install it with `tutor models download {entry.id}`"
                " (or `--from-packages` where it has carrier packages)"
            )
        return path


def parse_system(text: str) -> System:
    """One system from its text (see the module docstring)."""
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    if not pieces:
        raise SystemError("empty system name")
    head, settings = pieces[0], pieces[1:]
    model, _, engine = head.partition("@")
    engine = engine or "native"
    if engine not in ENGINES:
        raise SystemError(f"unknown engine {engine!r} in {text!r} (choose from {', '.join(ENGINES)})")
    system = System(model=_resolve_model(model), engine=engine)
    for setting in settings:
        system = _apply(system, setting, text)
    if system.is_analysis and (engine != "native" or system.repairs != 3 or system.hint):
        raise SystemError("the analysis system takes no engine and no settings")
    return system


def parse_systems(text: str) -> list[System]:
    """A comma-separated list; ``key=value`` pieces attach to the system before them. Duplicates are refused."""
    groups: list[list[str]] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        if _SETTING.match(piece):
            if not groups:
                raise SystemError(f"setting {piece!r} comes before any system")
            groups[-1].append(piece)
        else:
            groups.append([piece])
    if not groups:
        raise SystemError("no systems given (e.g. --systems analysis,default)")
    systems = [parse_system(",".join(group)) for group in groups]
    names = [s.name for s in systems]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemError(f"system listed twice: {', '.join(duplicates)}")
    return systems


def _resolve_model(model: str) -> str:
    model = model.strip()
    if model in ("analysis", ""):
        return ""
    if model == "default":
        return "default"
    if model.lower().endswith(".gguf") or "/" in model:
        return model
    ids = [e.id for e in load_catalog()]
    if model in ids:
        return model
    matches = [i for i in ids if i.startswith(model)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise SystemError(f"{model!r} is ambiguous: {', '.join(matches)}")
    raise SystemError(f"unknown system {model!r}: use analysis, default, a catalog id or a .gguf path")


def _apply(system: System, setting: str, text: str) -> System:
    match = _SETTING.match(setting)
    if not match:
        raise SystemError(f"cannot read setting {setting!r} in {text!r} (expected key=value, e.g. k=3)")
    key, value = match["key"], match["value"]
    if key == "k":
        if not value.isdigit() or not 0 <= int(value) <= 10:
            raise SystemError(f"k must be a whole number from 0 to 10, not {value!r}")
        return replace(system, repairs=int(value))
    if key == "hint":
        if value not in HINT_WRITERS:
            raise SystemError(f"hint must be one of {', '.join(HINT_WRITERS)}, not {value!r}")
        return replace(system, hint=value)
    raise SystemError(f"unknown setting {key!r} in {text!r} (known: k, hint)")


# -- running a system ---------------------------------------------------------------------------------------------
class _NoModel(BaseEngine):
    """The engine slot of the analysis system: it is never asked to generate."""

    def load(self, model_path: Path, progress: Any = None) -> None:  # pragma: no cover - never loaded
        return None

    def generate(
        self, prompt: Prompt, params: GenerationParams, grammar: Grammar | None = None
    ) -> Generation:
        return Generation(iter(()), GenerationStats())

    def cancel(self) -> None:
        return None

    def info(self) -> EngineInfo:
        return EngineInfo(name="none", model_name="analysis")


class HintSource:
    """A loaded system: ``hint(exercise, code)`` runs the whole pipeline and returns the ``Hint``. The analysis
    system runs it with no model: one-token repairs and the analysis hint."""

    def __init__(self, system: System, engine: Engine) -> None:
        self.system, self.engine = system, engine
        model = not system.is_analysis
        self.config = PipelineConfig(
            repairs=system.repairs, model_hint=model and system.hint_writer == "model", model_repairs=model
        )
        self.last_repair: str | None = None
        self.last_first_token_s = 0.0
        self.last_first_text_s = 0.0

    def hint(self, exercise: Exercise, code: str) -> Hint:
        """Run the pipeline; afterwards ``last_repair`` is the chosen repair's code (or None) and
        ``last_first_token_s`` the seconds until the first hint text streamed (the total for a fallback hint),
        ``last_first_text_s`` until the learner had any text: the observation, else as ``last_first_token_s``."""
        started = time.perf_counter()
        first: list[float] = []

        def on_token(piece: str) -> None:
            if not first and piece.strip():
                first.append(time.perf_counter() - started)

        def on_observation(text: str) -> None:
            observed.append(time.perf_counter() - started)

        observed: list[float] = []
        pipeline = HintPipeline(self.engine, self.config, on_token=on_token, on_observation=on_observation)
        hint = pipeline.run(exercise, code)
        self.last_repair = hint.repair_code
        total = hint.timings.get("total_s", time.perf_counter() - started)
        self.last_first_token_s = first[0] if first and hint.source == "model" else total
        self.last_first_text_s = observed[0] if observed else self.last_first_token_s
        return hint

    def info(self) -> dict[str, Any]:
        return self.engine.info().to_json()

    def peak_memory_mb(self) -> float | None:
        """The peak resident memory of the process that holds this system's model, in MB: the engine process's
        own figure, or this process's for an in-process engine; None for
        ``analysis``, which loads no model."""
        if self.system.is_analysis:
            return None
        if not self.engine.capabilities().process:
            return memory_mb("VmHWM") or None
        kib = self.engine.process_stats().get("max_rss_kb")
        return round(kib / 1024, 1) if kib else None

    def close(self) -> None:
        self.engine.close()
        self.engine = _NoModel()


def open_source(system: System, threads: int | None = None, session: Session | None = None) -> HintSource:
    """Load the system's model through the session (``Session.load_engine``: the school's policy, the allowed
    list by sha256, the engine out of process). In exam mode or under a broken policy no source opens, not even
    ``analysis`` (it writes hints too)."""
    session = session or Session()
    refusal = session.model_refusal()
    if refusal:
        raise SystemError(refusal)
    if system.is_analysis:
        return HintSource(system, _NoModel())
    path = system.model_path()
    try:
        engine = session.load_engine(str(path), system.engine, threads)
    except UsageError as exc:
        raise SystemError(f"{system.name}: {exc}") from None
    return HintSource(system, engine)


def choose_judge(requested: str | None) -> System | None:
    """None (no judge), a system text, or ``auto``: the largest catalog model installed here."""
    if not requested or requested == "none":
        return None
    if requested != "auto":
        return parse_system(requested)
    installed = [e for e in load_catalog() if e.source == "hub" and store_path(e).is_file()]
    if not installed:
        return parse_system("default")
    return parse_system(max(installed, key=lambda e: e.billions).id)


def family_warnings(judge: System | None, systems: list[System]) -> list[str]:
    """One warning per system of the judge's own model family (its verdicts on its kin may be biased)."""
    if judge is None:
        return []
    return [
        f"the judge {judge.name} is of the same family ({judge.family}) as {s.name}: its verdicts on it may "
        "be biased"
        for s in systems
        if s.family and s.family == judge.family
    ]
