"""The one model recommendation for this machine, used by the app's Models window, ``tutor doctor`` and ``tutor
models recommend`` alike, so the three never contradict each other.

It weighs memory *and* speed (``tutor.models.catalog.recommend``): the largest catalog model that fits the
available memory with room to spare and would write a hint within ``HINT_BUDGET_S`` here. The speed is the
embedded model's rate measured on this machine when ``tutor models recommend`` has measured it (kept in
``speed.json`` in the user data folder, for as long as the core count is the same), else an estimate from the
core count: ``PER_CORE_TOK_S`` per core, the build machine's measured rate (41 tok/s on 2 cores) shared out, at
most 8 cores counted. Either way a 2-core machine is never sent an 8B model (about 190 s per hint there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor import system
from tutor.engines.base import EngineError
from tutor.models import speed as speeds
from tutor.models.catalog import HINT_BUDGET_S, CatalogEntry, load_catalog, recommend
from tutor.models.default_model import DefaultModelError, default_description
from tutor.models.speed import HINT_TOKENS, Reference, entry_bytes, estimate_tok_s, hint_seconds
from tutor.models.store import StoreError
from tutor.paths import user_data_dir

PER_CORE_TOK_S = 20.5  # the embedded model on the 2-core build machine: 41 tok/s
MAX_CORES = 8  # memory bandwidth, not cores, bounds generation beyond this
SPEED_FILE = "speed.json"


@dataclass(frozen=True)
class Advice:
    """The recommended model and what it was chosen from."""

    entry: CatalogEntry
    available_gb: float
    cores: int
    hint_s: float
    speed: str  # "measured" | "estimated from N cores"

    def why(self) -> str:
        """Why it suits this machine: its size, the memory it needs, the time of a hint here."""
        return (
            f"{self.entry.parameters}, {self.entry.size_mb} MB; needs {self.entry.ram_gb} GB of the "
            f"{self.available_gb:g} GB free; about {self.hint_s:.0f} s per hint on {self.cores} "
            f"core{'' if self.cores == 1 else 's'}, {self.speed}"
        )

    def sentence(self) -> str:
        """One line for people: the model, and why it suits this machine."""
        return f"{self.entry.name} ({self.why()})"


def recommendation(
    available_gb: float | None = None,
    cores: int | None = None,
    measured: Reference | None = None,
    entries: list[CatalogEntry] | None = None,
) -> Advice:
    """The recommendation for this machine (or for the memory, cores and measured speed given)."""
    entries = entries or load_catalog()
    available = system.memory_gib()[1] if available_gb is None else available_gb
    count = system.default_threads() if cores is None else max(1, cores)
    reference = measured or remembered_speed(count)
    speed = "measured" if reference is not None else f"estimated from {count} core{'' if count == 1 else 's'}"
    if reference is None:
        reference = estimated_speed(count, entries)
    entry = recommend(available, entries, lambda e: hint_seconds(e, reference), HINT_BUDGET_S)
    return Advice(entry, available, count, hint_seconds(entry, reference), speed)


def estimated_speed(cores: int, entries: list[CatalogEntry]) -> Reference:
    """The embedded model's rate guessed from the core count (see the module docstring)."""
    embedded = next((e for e in entries if e.source == "package"), entries[0])
    return Reference(PER_CORE_TOK_S * min(cores, MAX_CORES), entry_bytes(embedded), embedded.file)


def speed_path() -> Path:
    return user_data_dir() / SPEED_FILE


def remember_speed(reference: Reference, cores: int | None = None) -> None:
    """Keep a measured rate for the next recommendation (doctor, the app); a disk that refuses loses nothing."""
    data = {"tok_s": reference.tok_s, "size_bytes": reference.size_bytes, "model": reference.model}
    data["cores"] = system.default_threads() if cores is None else cores
    try:
        speed_path().parent.mkdir(parents=True, exist_ok=True)
        speed_path().write_text(json.dumps(data), encoding="utf-8")
    except OSError:
        pass


def remembered_speed(cores: int) -> Reference | None:
    """The rate ``tutor models recommend`` measured here, if it was measured with this many cores."""
    try:
        data = json.loads(speed_path().read_text(encoding="utf-8"))
        if data.get("cores") != cores or float(data["tok_s"]) <= 0 or int(data["size_bytes"]) <= 0:
            return None
        return Reference(float(data["tok_s"]), int(data["size_bytes"]), str(data.get("model", "")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def measured_report(available: float) -> tuple[dict[str, Any], Advice, str]:
    """``tutor models recommend``: this machine's speed measured first (a few seconds of the embedded model) and
    kept for the others, then the one recommendation and every catalog model's fit and estimated hint time.
    Returns the report, the advice and a warning ("" when the speed could be measured)."""
    catalog = load_catalog()
    warning = ""
    measured: Reference | None
    try:
        measured = speeds.measure_reference()
        remember_speed(measured)
    except (EngineError, DefaultModelError, ImportError, StoreError) as exc:
        warning = f"could not measure this machine's speed ({exc}); estimating it"
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
        "cores": system.default_threads(),
        "measured": measured.__dict__ if measured else None,
        "speed": advice.speed,
        "hint_tokens": HINT_TOKENS,
        "budget_s": HINT_BUDGET_S,
        "recommended": advice.entry.to_json(),
        "default": default_description(),  # the built-in default here: the fine-tune, or Gemma where RAM is short
        "catalog": rows,
    }
    return data, advice, warning
