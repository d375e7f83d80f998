"""One llama.cpp build for every x86-64 CPU: the code path is chosen at run time, never the AMX one, and a
greedy generation of the real default model gives the same tokens on older CPUs (emulated by Debian's qemu-user)
as on this one."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.engines import cpu_backend

ROOT = Path(__file__).resolve().parents[2]
TOKENS = 6

# qemu CPU models: Haswell has AVX2 but no AVX-512; Nehalem has SSE4.2 but no AVX at all (x86-64-v2)
EMULATED = {"Haswell-v4": {"haswell"}, "Nehalem": {"sse42"}}


def test_the_amx_variant_is_never_chosen() -> None:
    scores = {"x64": 1, "haswell": 40, "icelake": 80, "sapphirerapids": 120}
    variant, reason = cpu_backend.choose_variant(scores)
    assert variant == "icelake" and "sapphirerapids skipped" in reason
    assert cpu_backend.choose_variant({"x64": 1, "sse42": 5, "haswell": 0})[0] == "sse42"
    with pytest.raises(RuntimeError, match="cannot run on this CPU"):
        cpu_backend.choose_variant(scores | {"zen4": 0}, forced="zen4")
    with pytest.raises(RuntimeError, match="no llama.cpp CPU code path"):
        cpu_backend.choose_variant({"haswell": 0, "sapphirerapids": 90})


def test_this_build_is_portable_and_loads_the_best_variant_here() -> None:
    pytest.importorskip("llama_cpp")
    files = cpu_backend.variant_files(cpu_backend.llama_lib_dir())
    assert {"x64", "sse42", "haswell", "skylakex"} <= set(files), "llama-cpp-python was not built portable"
    backend = cpu_backend.ensure_loaded()
    assert backend.portable and backend.variant in files and backend.variant not in cpu_backend.AMX_VARIANTS
    best = max((s for v, s in backend.scores.items() if v not in cpu_backend.AMX_VARIANTS))
    assert backend.scores[backend.variant] == best
    if "AVX2" in backend.cpu_flags:
        assert backend.features.get("AVX2") == "1"


def greedy(model: Path, prefix: list[str]) -> dict:
    # a machine image made on a newer CPU may name numpy's OpenBLAS kernels (a CI machine had this very value):
    # on an older CPU the tutor must replace it (tutor.engines.blas_guard), or `import numpy` dies with SIGILL
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_CORETYPE": "Haswell"}
    result = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "tutor.cli",
            "doctor",
            "--engine",
            "native",
            "--model",
            str(model),
            "--generate",
            str(TOKENS),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert "error" not in report["generation"], report["generation"]
    return report


@pytest.mark.slow
@pytest.mark.skipif(
    platform.machine() != "x86_64" or not shutil.which("qemu-x86_64"),
    reason="needs an x86-64 host and Debian's qemu-user",
)
def test_same_greedy_tokens_on_emulated_older_cpus(default_model: Path) -> None:
    host = greedy(default_model, [])
    assert host["generation"]["tokens"] == TOKENS and host["generation"]["text"].strip()
    for cpu, variants in EMULATED.items():
        emulated = greedy(default_model, ["qemu-x86_64", "-cpu", cpu])
        flags = emulated["cpu"]["features"].split()
        assert "AVX512F" not in flags and (cpu != "Nehalem" or "AVX2" not in flags), flags
        assert emulated["cpu"]["code_path"] in variants, (cpu, emulated["cpu"])
        assert emulated["generation"]["text"] == host["generation"]["text"], (cpu, emulated["generation"])


@pytest.mark.skipif(
    platform.machine() != "x86_64" or not shutil.which("qemu-x86_64"),
    reason="needs an x86-64 host and Debian's qemu-user",
)
def test_openblas_is_never_told_to_run_kernels_the_cpu_lacks() -> None:
    """On a CPU without AVX (Nehalem) a Haswell (or SandyBridge) value becomes Nehalem and numpy imports; a CPU
    with AVX2 keeps it; a value the CPU can run is kept everywhere."""
    pytest.importorskip("llama_cpp")
    script = "from tutor.engines.blas_guard import steer_openblas; print(steer_openblas()); import numpy"
    cases = [
        ("Nehalem", "Haswell", "Nehalem"),
        ("Nehalem", "SandyBridge", "Nehalem"),
        ("Nehalem", "Prescott", "Prescott"),
        ("Haswell-v4", "Haswell", "Haswell"),
    ]
    for cpu, given, expected in cases:
        result = subprocess.run(
            ["qemu-x86_64", "-cpu", cpu, sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_CORETYPE": given},
            cwd=ROOT,
        )
        assert result.returncode == 0, (cpu, given, result.stderr[-500:])
        assert result.stdout.split() == [expected], (cpu, given, result.stdout)
