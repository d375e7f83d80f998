"""Shared fixtures: an isolated data dir for every test, the real default model (assembled once), the datasets."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"


def _installed_models_dir() -> Path:
    from tutor.paths import models_dir

    return models_dir()


# this machine's models folder, where packaging/install.sh prepared the built-in models (read before any test's
# isolated_dirs points the data dir elsewhere; tests only read it)
INSTALLED_MODELS = _installed_models_dir()


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test reads or writes the real user's data or settings; the folder goes when the test ends (it may hold a
    250 MB model that a CLI run assembled)."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("TUTOR_CONFIG_DIR", str(base / "config"))
    # the built-in default pinned to the embedded Gemma base (a real setting, as a school's policy can pin it): a
    # test's empty data dir would otherwise make the shipped fine-tune, whose base comes from PyPI; the tests of
    # the fine-tune itself lift the pin and use the one packaging/install.sh made (``shipped_finetune``)
    monkeypatch.setenv("TUTOR_DEFAULT_MODEL", "gemma3-270m-q4km")
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def no_os_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The runner as on a machine where no OS sandbox can start (bubblewrap missing)."""
    from tutor.runner import sandbox_status

    monkeypatch.setenv("TUTOR_BWRAP", "/nonexistent/bwrap")
    sandbox_status.cache_clear()
    yield
    monkeypatch.undo()
    sandbox_status.cache_clear()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def default_model(model_dir: Path) -> Path:
    """The real embedded base model (Gemma 3 270M), assembled from its package once per test session."""
    from tutor.models.default_model import ensure_base_model

    return ensure_base_model(folder=model_dir)


@pytest.fixture(scope="session")
def installed_models() -> Path:
    return INSTALLED_MODELS


@pytest.fixture(scope="session")
def finetune_base() -> Path:
    """The shipped fine-tune's base (Qwen2.5 Coder 0.5B Instruct Q4_K_M) as packaging/install.sh installed it
    from its carrier packages; a machine where the install did not run gets the command to run, not a skip."""
    from tutor.models.carrier import is_installed, store_path
    from tutor.models.catalog import find_entry, marked_default

    entry = marked_default()
    base = find_entry(entry.base)
    assert base is not None
    assert is_installed(base, INSTALLED_MODELS), (
        f"{base.id} is not installed in {INSTALLED_MODELS}: run `bash packaging/install.sh` (or `tutor models "
        f"download {base.id} --from-packages`)"
    )
    return store_path(base, INSTALLED_MODELS)


@pytest.fixture(scope="session")
def shipped_finetune(finetune_base: Path, model_dir: Path) -> Path:
    """The shipped fine-tune made the way the install makes it (``ensure_adapter_model``: its base, here from a
    read-only shared folder as a school would provide it, merged with the adapter in resources/models, checked
    against the catalog's sha256), in the session's model folder."""
    from tutor.models.catalog import marked_default
    from tutor.models.default_model import Sources, ensure_adapter_model

    entry = marked_default()
    return ensure_adapter_model(
        entry, folder=model_dir, sources=Sources(shared=(finetune_base.parent,), fetch=False)
    )


@pytest.fixture(scope="session")
def engine(default_model: Path):  # type: ignore[no-untyped-def]
    from tutor.engines.native import NativeEngine

    native = NativeEngine()
    native.load(default_model)
    return native


def dataset_rows(name: str) -> list[dict]:
    path = DATASETS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared datasets sit beside the project)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS.is_dir():
        pytest.skip("the shared datasets are not beside the project")
    return DATASETS


def venv_tutor() -> list[str]:
    """The installed ``tutor`` console script (the one a user runs)."""
    import sys

    script = Path(sys.executable).with_name("tutor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tutor.cli"]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


GEMMA_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
    "{{ m['content'] }}<end_of_turn>\n{% endfor %}<start_of_turn>model\n"
)


@pytest.fixture(scope="session")
def chat_model(default_model: Path, model_dir: Path) -> Path:
    """A copy of the default model with a chat template in its metadata (written with llama.cpp's gguf tool)."""
    import subprocess
    import sys

    target = model_dir / "gemma-with-template.gguf"
    if not target.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gguf.scripts.gguf_new_metadata",
                str(default_model),
                str(target),
                "--chat-template",
                GEMMA_STYLE_TEMPLATE,
                "--force",
            ],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    return target


def patched_copy(source: Path, target: Path, key: str, value: int) -> Path:
    """A copy of a GGUF file with one uint32 value of its header changed in place (the file size is unchanged)."""
    import shutil
    import struct

    if target.exists():
        return target
    shutil.copyfile(source, target)
    with open(target, "r+b") as handle:
        head = handle.read(16 * 2**20)
        name = struct.pack("<Q", len(key)) + key.encode()
        at = head.index(name) + len(name)
        assert struct.unpack_from("<I", head, at)[0] == 4  # GGUF value type uint32
        handle.seek(at + 4)
        handle.write(struct.pack("<I", value))
    return target


@pytest.fixture(scope="session")
def crashing_model(default_model: Path, model_dir: Path) -> Path:
    """The default model with ``gemma3.block_count`` set to 0: the header check accepts it, and llama.cpp aborts
    (SIGABRT, a failed GGML_ASSERT) while loading it. Damaged tensor shapes, offsets or types only make
    llama.cpp report an error (tests/engines/test_crashing_model.py checks both)."""
    return patched_copy(default_model, model_dir / "gemma-aborts-at-load.gguf", "gemma3.block_count", 0)
