"""The model catalog (``resources/models/catalog.toml``): real 4-bit GGUF files with their pinned revision,
size, RAM needed, license, prompt format and sha256; and which one to recommend for this machine's RAM and
speed."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tutor.models.download import Reference
from tutor.paths import resources_dir

RAM_MARGIN = 0.6  # recommend only models that need at most 60 % of the RAM that is available
DEFAULT_RAM_SHARE = (
    0.3  # the marked default needs at most 30 % of the machine's RAM, else the base is the default
)
HINT_BUDGET_S = 30.0  # recommend only models that would write a whole hint within this time here


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    repo: str
    file: str
    revision: str
    size_mb: int
    parameters: str
    quantization: str
    ram_gb: float
    license: str
    prompt_format: str
    sha256: str = ""
    source: str = "hub"
    size_bytes: int = 0
    carrier: tuple[
        str, ...
    ] = ()  # PyPI packages whose joined data parts are this file (see tutor.models.carrier)
    # source = "adapter": made here from the base entry ``base`` and the LoRA adapter resources/models/ADAPTER
    # (tutor.models.merge); sha256 is the merged file's
    base: str = ""
    adapter: str = ""
    adapter_sha256: str = ""
    default: bool = False  # the model hints use unless the user or the school picks another (at most one)
    # who writes the hint's words with this model: "model", or "analysis" (the model repairs, the learner reads the
    # analysis hint built from its checked repair: the configuration the benchmark found best for the fine-tune)
    hint: str = "model"
    card: str = ""  # the model card, a file in resources/models (what it was trained on, how it measured)

    @property
    def reference(self) -> Reference:
        return Reference(self.repo, self.file, self.revision or "main")

    @property
    def billions(self) -> float:
        value = self.parameters.upper()
        return float(value[:-1]) / (1000 if value.endswith("M") else 1)

    def fits(self, available_gb: float) -> bool:
        return self.ram_gb <= available_gb

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    data = tomllib.loads((path or resources_dir() / "models" / "catalog.toml").read_text(encoding="utf-8"))
    return [
        CatalogEntry(**dict(entry, carrier=tuple(entry.get("carrier", ()))))
        for entry in data.get("model", [])
    ]


def find_entry(model_id: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    return next((e for e in (entries or load_catalog()) if e.id == model_id), None)


def entries_for_file(filename: str, entries: list[CatalogEntry] | None = None) -> list[CatalogEntry]:
    """The catalog entries whose model file has this name."""
    return [e for e in (entries or load_catalog()) if e.file == filename]


def hint_writer_for(filename: str, entries: list[CatalogEntry] | None = None) -> str:
    """Who writes the hint's words with the model in this file: its catalog entry's ``hint`` ("model" for a file
    the catalog does not know)."""
    return next((e.hint for e in entries_for_file(filename, entries)), "model")


def recommend(
    available_gb: float,
    entries: list[CatalogEntry] | None = None,
    hint_seconds: Callable[[CatalogEntry], float] | None = None,
    budget_s: float = HINT_BUDGET_S,
) -> CatalogEntry:
    """The largest model that needs at most ``RAM_MARGIN`` of the available RAM and, when ``hint_seconds`` (the
    hint time this machine would give, see ``tutor.models.speed``) is known, writes a hint within ``budget_s``;
    when none is that fast, the fastest that fits (the embedded one at worst). Of two the same size, the shipped
    fine-tune (the catalog's marked default) wins."""
    entries = entries or load_catalog()
    fitting = [e for e in entries if e.ram_gb <= available_gb * RAM_MARGIN]
    if not fitting:
        return min(entries, key=lambda e: e.ram_gb)
    if hint_seconds is not None:
        fast = [e for e in fitting if hint_seconds(e) <= budget_s]
        if not fast:
            return min(fitting, key=hint_seconds)
        fitting = fast
    return max(fitting, key=lambda e: (e.billions, e.default, e.source == "hub"))


def marked_default(entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The entry marked ``default = true`` (the shipped fine-tune), whatever this machine's RAM."""
    return next((e for e in (entries or load_catalog()) if e.default), None)


def default_for(total_gb: float, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The catalog's marked default (the shipped fine-tune) where memory allows it: it needs at most
    ``DEFAULT_RAM_SHARE`` of the machine's RAM (1.2 GB: a 4 GB machine). None: the embedded base is the default
    (a machine whose RAM is short, or a catalog that marks none). Total RAM, not free RAM, so the default does not
    change from one start to the next."""
    marked = marked_default(entries)
    if marked is None or (total_gb and marked.ram_gb > total_gb * DEFAULT_RAM_SHARE):
        return None
    return marked


def ram_warning(model_size_bytes: int, available_gb: float) -> str:
    """A warning when a model file probably does not fit in the available RAM (file + ~25 % + 0.3 GB)."""
    needed = model_size_bytes / 2**30 * 1.25 + 0.3
    if available_gb and needed > available_gb:
        return (
            f"This model needs about {needed:.1f} GB of memory and only {available_gb:.1f} GB are free: "
            "it may be very slow or fail to load."
        )
    return ""
