"""The shipped fine-tune (issue 24): made at install from its base's carrier packages and the 17 MB adapter in
resources/models into the published sha256, the default where RAM allows (Gemma where it is short, or pinned),
used with the analysis text (its repairs, checked by the tests; no model hint call), on both engines."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tutor.feedback import HintPipeline
from tutor.models.catalog import default_for, find_entry, hint_writer_for, load_catalog, marked_default
from tutor.models.checksum import sha256_of
from tutor.models.choice import choose_model
from tutor.models.default_model import (
    BASE_MODEL_ID,
    DefaultModelError,
    Sources,
    adapter_file,
    default_entry,
    ensure_adapter_model,
)
from tutor.models.store import ModelStore
from tutor.policy import Policy
from tutor.session import Session, model_file

ROOT = Path(__file__).resolve().parents[2]


def shipped():  # type: ignore[no-untyped-def]
    return marked_default()


def test_the_catalog_ships_one_finetune_with_a_small_checked_adapter() -> None:
    entry = shipped()
    assert [e.id for e in load_catalog() if e.default] == [entry.id]
    assert entry.source == "adapter" and entry.hint == "analysis" and len(entry.sha256) == 64
    base = find_entry(entry.base)
    assert base is not None and base.carrier and base.sha256  # its base comes from packages, checked
    adapter = adapter_file(entry)
    assert adapter.stat().st_size <= 25 * 2**20
    assert sha256_of(adapter) == entry.adapter_sha256
    assert (ROOT / "resources" / "models" / entry.card).is_file()


def test_the_install_reproduces_the_published_sha256(shipped_finetune: Path) -> None:
    assert shipped_finetune.name == shipped().file
    assert sha256_of(shipped_finetune) == shipped().sha256


def test_a_damaged_adapter_or_no_base_makes_nothing(tmp_path: Path, finetune_base: Path) -> None:
    entry = shipped()
    with pytest.raises(DefaultModelError, match="downloads are off"):
        ensure_adapter_model(entry, folder=tmp_path, sources=Sources(fetch=False))
    copy = tmp_path / "copy" / entry.adapter  # an absolute adapter path: resources/models / it is itself
    copy.parent.mkdir()
    copy.write_bytes(adapter_file(entry).read_bytes()[:-1000])
    with pytest.raises(DefaultModelError, match="is damaged"):
        ensure_adapter_model(
            replace(entry, adapter=str(copy)),
            folder=tmp_path,
            sources=Sources(shared=(finetune_base.parent,), fetch=False),
        )
    assert not list(tmp_path.glob("*.gguf"))


def test_the_default_is_the_finetune_where_ram_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = shipped()
    assert default_for(16.0) == entry and default_for(4.0) == entry
    assert default_for(2.0) is None  # a 2 GB machine keeps the Gemma base
    monkeypatch.delenv("TUTOR_DEFAULT_MODEL")
    assert default_entry(total_gb=8.0) == entry and default_entry(total_gb=1.5) is None
    monkeypatch.setenv("TUTOR_DEFAULT_MODEL", BASE_MODEL_ID)
    assert default_entry(total_gb=64.0) is None
    monkeypatch.setenv("TUTOR_DEFAULT_MODEL", entry.id)
    assert default_entry(total_gb=1.0) == entry


def test_a_school_policy_pins_either_builtin_model(default_model: Path) -> None:
    entry = shipped()
    for pinned in (BASE_MODEL_ID, entry.id):
        path, note = choose_model(Policy(default_model=pinned), "", ModelStore())
        assert path == pinned and "school's default model" in note
    # the pinned base is made like the default (its id stands for the built-in file)
    assert sha256_of(model_file(BASE_MODEL_ID)) == find_entry(BASE_MODEL_ID).sha256  # type: ignore[union-attr]


def test_the_finetune_repairs_and_the_analysis_writes_the_hint(shipped_finetune: Path) -> None:
    from tutor.engines.native import NativeEngine
    from tutor.exercises import load_bundled

    assert hint_writer_for(shipped_finetune.name) == "analysis" and hint_writer_for("other.gguf") == "model"
    config = Session().pipeline_config(model_path=shipped_finetune)
    assert config.model_hint is False and config.model_repairs is True
    exercise = load_bundled().find("fizzbuzz")  # its starter is the buggy program: the % 15 branch comes last
    assert exercise is not None
    engine = NativeEngine()
    engine.load(shipped_finetune)
    try:
        hint = HintPipeline(engine, config).run(exercise, exercise.starter)
    finally:
        engine.close()
    assert hint.status == "hint" and hint.source == "analysis" and hint.hint
    assert hint.engine.get("model_name") and "Qwen" in str(hint.engine.get("model_name"))
    assert (
        "hint_calls" not in hint.tokens and hint.tokens.get("repair_calls", 0) >= 1
    )  # it repaired, wrote nothing


@pytest.mark.slow
@pytest.mark.skipif(
    platform.machine() != "x86_64" or not shutil.which("qemu-x86_64"),
    reason="needs an x86-64 host and Debian's qemu-user",
)
def test_an_older_cpu_merges_the_same_bits(finetune_base: Path, tmp_path: Path) -> None:
    """The merge on an emulated Nehalem (SSE4.2, no AVX) gives the published sha256: every step is an elementwise
    float32 operation, so no CPU feature changes a bit."""
    target = tmp_path / "merged.gguf"
    script = (
        "import sys; from pathlib import Path; from tutor.engines.blas_guard import steer_openblas; "
        "steer_openblas(); from tutor.models.merge import merge_adapter; "
        "print(merge_adapter(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))"
    )
    result = subprocess.run(
        ["qemu-x86_64", "-cpu", "Nehalem", sys.executable, "-c", script]
        + [str(finetune_base), str(adapter_file(shipped())), str(target)],
        capture_output=True,
        text=True,
        timeout=3000,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.split()[-1] == shipped().sha256


def test_prepare_without_the_package_index_falls_back_to_gemma_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A machine that cannot reach the package index (here: pip told to use none) and has no base yet: `tutor
    models prepare` keeps the Gemma base as the model and says why in one line, and nothing half-made is left."""
    env = {k: v for k, v in os.environ.items() if k != "TUTOR_DEFAULT_MODEL"}
    env.update(TUTOR_DATA_DIR=str(tmp_path / "data"), PIP_NO_INDEX="1", PIP_FIND_LINKS="")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("tutor")), "models", "prepare"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-1000:]
    assert "gemma-3-270m-q4_k_m.gguf" in result.stdout
    assert "could not be installed" in result.stdout and "using the base model" in result.stdout
    assert not list((tmp_path / "data").rglob("*.gguf.part")) and not list(
        (tmp_path / "data").rglob(".merge-*")
    )
