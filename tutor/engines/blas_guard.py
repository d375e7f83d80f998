"""numpy's OpenBLAS on CPUs without AVX2: never let it start kernels this CPU cannot run.

llama-cpp-python imports numpy, and the OpenBLAS inside numpy's wheels picks its kernels when numpy is first
imported: by CPUID, unless ``OPENBLAS_CORETYPE`` names them. A machine image made on a newer CPU can carry
``OPENBLAS_CORETYPE=Haswell`` (a CI machine did), and on a CPU without AVX2 ``import numpy`` then dies with an
illegal instruction (SIGILL, a VEX-encoded ``vxorps``; measured under qemu-user as a Nehalem, where OpenBLAS's own
detection says "Core: Nehalem" and works once the variable is gone). The tutor runs on every x86-64 CPU a school
has, so before numpy is imported (``steer_openblas``, called first by the entry points) it asks llama.cpp's
``haswell`` code path whether it runs here, through its ``ggml_backend_score`` (a CPUID check, no numpy); when it
does not, a value naming AVX2 (or AVX) kernels is replaced by the best this CPU runs (Sandybridge with AVX,
Nehalem with SSE4.2, else Prescott). Any other value, and every value on a CPU with AVX2, is kept.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import platform
import sys
from pathlib import Path

VARIABLE = "OPENBLAS_CORETYPE"
# OpenBLAS x86-64 core names whose kernels use AVX or AVX2 (lower case)
NEEDS_AVX = frozenset(
    [
        "haswell",
        "zen",
        "skylakex",
        "cooperlake",
        "sapphirerapids",
        "sandybridge",
        "bulldozer",
        "piledriver",
        "steamroller",
        "excavator",
    ]
)
_done = False


def _score(path: Path) -> int:
    try:
        function = ctypes.CDLL(str(path)).ggml_backend_score
    except (OSError, AttributeError):
        return -1
    function.restype = ctypes.c_int
    return int(function())


def _variant(lib_dir: Path, name: str) -> Path | None:
    found = sorted(p for p in lib_dir.glob(f"*ggml-cpu-{name}.*") if p.suffix in (".so", ".dll", ".dylib"))
    return found[0] if found else None


def openblas_core(lib_dir: Path) -> str:
    """The OpenBLAS kernels this CPU can run, judged by llama.cpp's own CPU checks in ``lib_dir``: "" when the
    Haswell kernels run here (or nothing can be judged), else "Sandybridge", "Nehalem" or "Prescott"."""
    haswell = _variant(lib_dir, "haswell")
    base = sorted(lib_dir.glob("*ggml-base.*"))
    try:  # the variants link to ggml-base: load it first, as llama_cpp will (the same file, so the same copy)
        ctypes.CDLL(str(base[0]), mode=ctypes.RTLD_GLOBAL)
    except (IndexError, OSError):
        return ""
    if haswell is None or _score(haswell) != 0:
        return ""
    for variant, core in (("sandybridge", "Sandybridge"), ("sse42", "Nehalem")):
        path = _variant(lib_dir, variant)
        if path is not None and _score(path) > 0:
            return core
    return "Prescott"


def steer_openblas() -> str:
    """Make ``OPENBLAS_CORETYPE`` safe for this CPU (see the module docstring), once per process and only before
    numpy is imported; returns the value in effect ("" when none)."""
    global _done
    current = os.environ.get(VARIABLE, "")
    if _done or "numpy" in sys.modules or (current and current.lower() not in NEEDS_AVX):
        return current
    _done = True
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return current
    spec = importlib.util.find_spec("llama_cpp")  # found, not imported: importing it imports numpy
    if spec is None or spec.origin is None:
        return current
    core = openblas_core(Path(spec.origin).parent / "lib")
    if core and (not current or current.lower() in NEEDS_AVX):
        os.environ[VARIABLE] = core
        return core
    return current
