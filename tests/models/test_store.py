"""Importing, listing, removing and verifying local models, and read-only shared folders used in place."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tutor.models.store import ModelStore, StoreError

from ..conftest import venv_tutor


def test_import_copies_a_real_gguf_atomically(tmp_path: Path, default_model: Path) -> None:
    store = ModelStore(folder=tmp_path / "models")
    model = store.import_file(default_model)
    assert model.path.parent == tmp_path / "models" and model.info and model.info.quantization == "Q4_K_M"
    assert not list((tmp_path / "models").glob(".import-*"))
    assert [m.id for m in store.list()] == [default_model.stem]
    with pytest.raises(StoreError, match="already here"):
        store.import_file(default_model)
    store.remove(model.id)
    assert store.list() == []


def test_import_can_link_instead_of_copying(tmp_path: Path, default_model: Path) -> None:
    model = ModelStore(folder=tmp_path).import_file(default_model, link=True)
    assert model.path.is_symlink() and model.path.resolve() == default_model.resolve()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "incomplete"), (b"GGUF\x03", "truncated"), (b"PK\x03\x04 a zip file", "not a GGUF")],
)
def test_bad_files_are_refused(
    tmp_path: Path, default_model: Path, content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.gguf"
    if content is None:
        with default_model.open("rb") as src:
            bad.write_bytes(src.read(100_000_000))
    else:
        bad.write_bytes(content)
    store = ModelStore(folder=tmp_path / "models")
    with pytest.raises(StoreError, match=message):
        store.import_file(bad)
    assert store.list() == []


def test_a_catalog_model_is_found_by_its_catalog_id(tmp_path: Path, default_model: Path) -> None:
    """`tutor train data --teacher qwen2.5-coder-1.5b-instruct-q4km` names a model the way the catalog does."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").symlink_to(default_model)
    store = ModelStore(folder=tmp_path / "models", shared=[share])
    assert store.find("qwen2.5-coder-1.5b-instruct-q4km").path.parent == share
    with pytest.raises(StoreError, match="no model"):
        store.find("qwen2.5-coder-0.5b-instruct-q4km")


def test_shared_read_only_folder_is_used_in_place(tmp_path: Path, default_model: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "lab-model.gguf").symlink_to(default_model)
    share.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        store = ModelStore(folder=tmp_path / "models", shared=[share])
        [model] = store.list()
        assert model.source == "shared" and model.read_only and model.path.parent == share
        with pytest.raises(StoreError, match="read-only"):
            store.remove(model.id)
        assert (share / "lab-model.gguf").exists() and not (tmp_path / "models").exists()
    finally:
        share.chmod(stat.S_IRWXU)


def test_models_cli_json(tmp_path: Path, default_model: Path) -> None:
    env = {**os.environ, "TUTOR_DATA_DIR": str(tmp_path)}

    def tutor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*venv_tutor(), "models", *args], env=env, capture_output=True, text=True, timeout=60
        )

    imported = tutor("import", str(default_model), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["header"]["architecture"] == "gemma3"
    listed = json.loads(tutor("list", "--json").stdout)["models"]
    assert [m["source"] for m in listed] == ["imported"]
    assert tutor("verify", listed[0]["id"]).returncode == 0
    junk = tmp_path / "junk.gguf"
    junk.write_text("nope")
    refused = tutor("import", str(junk))
    assert (
        refused.returncode == 2
        and "not a GGUF model file" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    assert tutor("remove", listed[0]["id"]).returncode == 0
    assert json.loads(tutor("list", "--json").stdout)["models"] == []


def test_recommend_and_use_from_the_cli(tmp_path: Path, default_model: Path) -> None:
    env = {**os.environ, "TUTOR_DATA_DIR": str(tmp_path)}

    def tutor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*venv_tutor(), "models", *args], env=env, capture_output=True, text=True, timeout=60
        )

    recommend_env = {
        **env,
        "TUTOR_DATA_DIR": str(tmp_path / "measure"),
    }  # measuring prepares the default model
    data = json.loads(
        subprocess.run(
            [*venv_tutor(), "models", "recommend", "--json"],
            env=recommend_env,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
    )
    fitting = [e for e in data["catalog"] if e["ram_gb"] <= data["available_ram_gib"] * 0.6]
    if data["measured"]:  # by the hint time this machine would give: the largest within the budget
        fast = [e for e in fitting if e["within_budget"]] or [  # not est_hint_s: it is rounded
            min(fitting, key=lambda e: e["est_hint_s"])
        ]
        assert data["recommended"]["id"] == max(fast, key=lambda e: e["size_mb"])["id"]
        assert data["measured"]["tok_s"] > 0
    else:
        assert data["recommended"]["id"] == max(fitting, key=lambda e: e["size_mb"])["id"]
    assert tutor("import", str(default_model)).returncode == 0
    used = tutor("use", default_model.stem, "--json")
    assert used.returncode == 0 and json.loads(used.stdout)["active"].endswith(default_model.name)
    assert [m["active"] for m in json.loads(tutor("list", "--json").stdout)["models"]] == [True]
    assert tutor("download", "gemma3-270m-q4km").returncode == 2  # the embedded model is not downloaded


def test_ram_warning_for_a_model_that_does_not_fit() -> None:
    from tutor.models.catalog import ram_warning

    assert ram_warning(8 * 2**30, available_gb=4.0).startswith("This model needs about 10.3 GB")
    assert ram_warning(250 * 2**20, available_gb=4.0) == ""
