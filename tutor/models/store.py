"""The models on this machine: the embedded default, downloaded and imported files in the user's models folder,
and models in read-only shared folders (a school's network share), which are used in place and never written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.models.catalog import find_entry
from tutor.models.default_model import (
    BASE_MODEL_ID,
    DISPLAY_NAME,
    DefaultModelError,
    base_is_ready,
    base_model_path,
    bundled_model,
    default_entry,
    default_model_path,
    is_ready,
)
from tutor.models.gguf_header import GGUFError, GGUFInfo, read_header
from tutor.paths import models_dir


class StoreError(RuntimeError):
    """An action on the models that cannot be done; the message says why."""


@dataclass
class LocalModel:
    id: str
    path: Path
    source: str  # embedded | downloaded | imported | shared
    read_only: bool
    info: GGUFInfo | None = None
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": str(self.path),
            "source": self.source,
            "read_only": self.read_only,
            "size_mb": round(self.path.stat().st_size / 2**20, 1) if self.path.exists() else 0,
            "header": self.info.to_json() if self.info else None,
            "problem": self.problem,
        }


class ModelStore:
    def __init__(self, folder: Path | None = None, shared: list[Path] | None = None) -> None:
        self.folder = folder or models_dir()
        self.shared = [Path(p) for p in (shared or [])]

    def list(self) -> list[LocalModel]:
        found: list[LocalModel] = []
        bundled = bundled_model()
        try:
            default = default_model_path(self.folder)
            embedded = default.is_file() and is_ready(self.folder)
        except DefaultModelError:  # a frozen build without the model package
            default, embedded = self.folder / "-", False
        if bundled is not None:
            found.append(self._describe("default", bundled, "embedded", True))
        elif embedded:
            found.append(self._describe("default", default, "embedded", True))
        base = self._embedded_base()
        if base is not None:
            found.append(self._describe(BASE_MODEL_ID, base, "embedded", True))
        for path in sorted(self.folder.glob("*.gguf")):
            if not (embedded and path == default) and path != base:
                found.append(self._describe(path.stem, path, "imported", False))
        hub = self.folder / "hub"
        for path in sorted(hub.glob("*/*.gguf")) if hub.is_dir() else []:
            found.append(
                self._describe(
                    f"{path.parent.name.replace('__', '/')}/{path.name}", path, "downloaded", False
                )
            )
        for share in self.shared:
            for path in sorted(share.glob("*.gguf")) if share.is_dir() else []:
                found.append(self._describe(f"shared:{path.name}", path, "shared", True))
        return found

    def _embedded_base(self) -> Path | None:
        """The base model, when a fine-tune is the default and the base is here (its merge input)."""
        if default_entry() is None:
            return None
        try:
            path = base_model_path(self.folder)
            return path if path.is_file() and base_is_ready(self.folder) else None
        except DefaultModelError:
            return None

    def find(self, model_id: str) -> LocalModel:
        """A local model by its id, file name or path, or by its catalog id (``qwen2.5-coder-0.5b-instruct-q4km``)."""
        entry = find_entry(model_id)
        for model in self.list():
            if model_id in (model.id, model.path.name, str(model.path)):
                return model
            if entry is not None and model.path.name == Path(entry.file).name:
                return model
        raise StoreError(f"no model {model_id!r} here (see `tutor models list`)")

    @staticmethod
    def _describe(model_id: str, path: Path, source: str, read_only: bool) -> LocalModel:
        try:
            return LocalModel(model_id, path, source, read_only, read_header(path))
        except GGUFError as exc:
            return LocalModel(model_id, path, source, read_only, None, str(exc))

    def import_file(self, source: Path, link: bool = False) -> LocalModel:
        """Copy (or link) a GGUF file into the models folder after checking its header; atomic."""
        source = Path(source)
        try:
            read_header(source)
        except GGUFError as exc:
            raise StoreError(f"not imported: {exc}") from None
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / source.name
        if target.exists():
            raise StoreError(f"a model named {source.name} is already here; remove it first")
        if link:
            target.symlink_to(source.resolve())
        else:
            needed = source.stat().st_size
            if shutil.disk_usage(self.folder).free < needed + 32 * 2**20:
                raise StoreError(
                    f"not enough free disk space to copy {source.name} ({needed / 2**20:.0f} MB)"
                )
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".import-", suffix=".partial")
            os.close(fd)
            try:
                shutil.copyfile(source, temp)
                os.replace(temp, target)
            finally:
                Path(temp).unlink(missing_ok=True)
        return self._describe(target.stem, target, "imported", False)

    def remove(self, model_id: str) -> Path:
        model = self.find(model_id)
        if model.read_only:
            raise StoreError(f"{model.id} is {model.source} and read-only here; it cannot be removed")
        model.path.unlink()
        return model.path

    def verify(self, model_id: str) -> LocalModel:
        """Re-read the header (and the default model's sha256 through its own check)."""
        model = self.find(model_id)
        if model.problem:
            raise StoreError(f"{model.id}: {model.problem}")
        return model


__all__ = ["DISPLAY_NAME", "LocalModel", "ModelStore", "StoreError"]
