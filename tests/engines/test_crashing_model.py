"""A GGUF file that passes the header check but crashes llama.cpp while loading (the default model with
``gemma3.block_count`` 0: a failed GGML_ASSERT, SIGABRT) takes down the engine process only: the CLI and the
pipeline still give the analysis hint with a clear sentence, and a good model loads in a fresh process afterwards.
Damaged tensor shapes make llama.cpp report an error instead (no crash): that stays a plain ``EngineError``."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.engines.base import EngineCrashed, EngineError, GenerationParams
from tutor.engines.process import ProcessEngine
from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.models.gguf_header import read_header

from ..conftest import venv_tutor

pytestmark = pytest.mark.slow
EXERCISE = load_bundled().find("factorial")


@pytest.fixture(scope="module")
def damaged_shape(default_model: Path, model_dir: Path) -> Path:
    """The default model with the second dimension of ``blk.0.attn_q.weight`` halved in the tensor table."""
    import shutil

    target = model_dir / "gemma-damaged-shape.gguf"
    if not target.exists():
        shutil.copyfile(default_model, target)
        with open(target, "r+b") as handle:
            head = handle.read(16 * 2**20)
            name = b"blk.0.attn_q.weight"
            at = head.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
            dims = struct.unpack_from("<I", head, at)[0]
            second = at + 4 + 8
            assert dims == 2 and struct.unpack_from("<Q", head, second)[0] == 1024
            handle.seek(second)
            handle.write(struct.pack("<Q", 512))
    return target


def test_the_header_check_accepts_it_and_llama_cpp_aborts_loading_it(crashing_model: Path) -> None:
    assert read_header(crashing_model).architecture == "gemma3"
    loader = (
        "import llama_cpp; from tutor.engines import cpu_backend; cpu_backend.ensure_loaded(); "
        f"llama_cpp.Llama(model_path={str(crashing_model)!r}, n_ctx=256, verbose=False)"
    )
    result = subprocess.run([sys.executable, "-c", loader], capture_output=True, text=True, timeout=300)
    assert result.returncode == -signal.SIGABRT, result.stderr[-500:]


def test_a_crash_at_load_ends_in_the_analysis_hint_and_a_good_model_loads_after(
    crashing_model: Path, default_model: Path
) -> None:
    assert EXERCISE is not None
    engine = ProcessEngine()
    try:
        with pytest.raises(
            EngineCrashed, match="stopped unexpectedly while loading gemma-aborts-at-load.gguf"
        ) as caught:
            engine.load(crashing_model)
        assert "SIGABRT" in caught.value.detail and engine.pid is None
        hint = HintPipeline(engine, PipelineConfig(repairs=1)).run(EXERCISE, EXERCISE.starter)
        assert hint.status == "hint" and hint.source == "analysis" and len(hint.hint.split()) >= 5
        assert hint.notice.startswith("The model stopped unexpectedly while loading")
        engine.load(default_model)
        assert (
            engine.pid is not None
            and engine.generate("def add(a, b):", GenerationParams(max_tokens=4)).collect()
        )
    finally:
        engine.close()


def test_a_damaged_tensor_table_is_reported_not_crashed(damaged_shape: Path) -> None:
    assert read_header(damaged_shape).architecture == "gemma3"
    engine = ProcessEngine()
    try:
        with pytest.raises(EngineError, match="corrupt or incomplete") as caught:
            engine.load(damaged_shape)
        assert not isinstance(caught.value, EngineCrashed) and engine.pid is not None  # the process lives on
    finally:
        engine.close()


def test_tutor_hint_with_a_model_that_crashes_at_load(tmp_path: Path, crashing_model: Path) -> None:
    assert EXERCISE is not None
    learner = tmp_path / "factorial.py"
    learner.write_text(EXERCISE.starter)
    result = subprocess.run(
        [
            *venv_tutor(),
            "hint",
            str(learner),
            "--exercise",
            "factorial",
            "--engine",
            "native",
            "--model",
            str(crashing_model),
            "--repairs",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "hint" and data["source"] == "analysis" and data["hint"]
    assert data["notice"].startswith("The model stopped unexpectedly while loading")
    assert "Traceback" not in result.stderr and learner.read_text() == EXERCISE.starter
