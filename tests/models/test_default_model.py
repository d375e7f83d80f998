"""The embedded default model is assembled once, verified, and reused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tutor.models import default_model
from tutor.models.default_model import DefaultModelError, ensure_default_model, is_ready


def test_assembles_with_progress_verifies_and_reuses(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = ensure_default_model(lambda done, total: seen.append((done, total)), folder=tmp_path)
    assert path.is_file() and is_ready(tmp_path)
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size and len(seen) > 10
    assert not list(tmp_path.glob("*.partial"))
    again: list[tuple[int, int]] = []
    assert ensure_default_model(lambda d, t: again.append((d, t)), folder=tmp_path) == path
    assert again == []  # reused without reading the chunks again


def test_a_damaged_model_file_is_rebuilt(tmp_path: Path) -> None:
    path = ensure_default_model(folder=tmp_path)
    with path.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00" * 16)
    os.utime(path, ns=(1, 1))
    assert not is_ready(tmp_path)
    assert ensure_default_model(folder=tmp_path) == path and is_ready(tmp_path)
    assert default_model.sha256_of(path) == default_model._package().EXPECTED_SHA256


def test_damaged_chunks_are_refused_and_nothing_is_placed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "chunk"
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(default_model._package(), "chunk_paths", lambda: [fake])
    with pytest.raises(DefaultModelError, match="damaged"):
        ensure_default_model(folder=tmp_path / "models")
    assert not any((tmp_path / "models").iterdir())
