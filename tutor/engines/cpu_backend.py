"""Which of llama.cpp's CPU code paths runs on this machine, chosen at run time and never the crashing AMX one.

The project builds llama-cpp-python portable (``packaging/install.sh``): ``GGML_NATIVE=OFF`` with
``GGML_BACKEND_DL=ON`` and ``GGML_CPU_ALL_VARIANTS=ON``. The CPU backend is then not linked in; it is a set of
libraries ``libggml-cpu-<variant>.so`` (x64, sse42, sandybridge, haswell, skylakex, icelake, zen4, ...), each
compiled for one instruction-set level and exporting ``ggml_backend_score()``, which is 0 when this CPU lacks an
instruction the variant needs. llama.cpp would pick the best one itself, but only from the executable's folder
or the working directory, and it would pick ``sapphirerapids`` on a Xeon with AMX, whose AMX weight-repacking
buffer segfaults on the first decode (ggml-org/llama.cpp#20824). So we choose: the highest-scoring variant that
is not on the AMX list, loaded with ``ggml_backend_load`` before llama.cpp's own initialisation. A build that is
not portable (a CPU backend linked in) is reported as such and left alone.

``TUTOR_CPU_VARIANT=NAME`` forces a variant (for tests and for a lab that wants a conservative one).
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# variants whose code path uses AMX tiles (the crashing weight-repacking buffer); never loaded
AMX_VARIANTS = frozenset({"sapphirerapids"})
# CPU features worth naming, as numpy's run-time (CPUID) detection spells them; AMX is read from /proc/cpuinfo
NOTABLE_FEATURES = (
    "X86_V2",
    "X86_V3",
    "X86_V4",
    "SSE42",
    "AVX",
    "F16C",
    "FMA3",
    "AVX2",
    "BMI2",
    "AVX512F",
    "AVX512VBMI",
    "AVX512VNNI",
    "AVX512BF16",
    "AVX512FP16",
    "ASIMD",
    "ASIMDDP",
    "SVE",
)


@dataclass
class CpuBackend:
    """What was found and loaded: reported by ``tutor doctor`` and the engine's info."""

    portable: bool
    variant: str = ""
    path: str = ""
    reason: str = ""
    scores: dict[str, int] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    cpu_flags: list[str] = field(default_factory=list)
    cpu_model: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if not self.portable:
            return f"CPU code path built in ({self.reason})"
        return f"CPU code path {self.variant} ({self.reason})"


_lock = threading.Lock()
_loaded: CpuBackend | None = None


def llama_lib_dir() -> Path:
    """The folder with llama.cpp's shared libraries inside the installed (or frozen) llama_cpp package."""
    import llama_cpp

    return Path(llama_cpp.__file__).resolve().parent / "lib"


def variant_files(lib_dir: Path) -> dict[str, Path]:
    """``{variant: path}`` for every ``libggml-cpu-<variant>.so`` (or .dll/.dylib) in ``lib_dir``."""
    found: dict[str, Path] = {}
    for path in sorted(lib_dir.glob("*ggml-cpu-*")):
        if path.suffix in (".so", ".dll", ".dylib"):
            name = path.name.split("ggml-cpu-", 1)[1].rsplit(path.suffix, 1)[0]
            found[name] = path
    return found


def score(path: Path) -> int:
    """The variant's own verdict on this CPU: 0 when it cannot run here, higher for a better fit."""
    try:
        lib = ctypes.CDLL(str(path))
        fn = lib.ggml_backend_score
    except (OSError, AttributeError):
        return 0
    fn.restype = ctypes.c_int
    return int(fn())


def choose_variant(scores: dict[str, int], forced: str = "") -> tuple[str, str]:
    """``(variant, reason)``: the forced one if it runs here, else the best-scoring one that is not AMX."""
    if forced:
        if scores.get(forced, 0) > 0:
            return forced, "forced by TUTOR_CPU_VARIANT"
        raise RuntimeError(
            f"TUTOR_CPU_VARIANT={forced} cannot run on this CPU (choose from: "
            f"{', '.join(v for v, s in scores.items() if s > 0)})"
        )
    usable = {v: s for v, s in scores.items() if s > 0 and v not in AMX_VARIANTS}
    if not usable:
        raise RuntimeError("no llama.cpp CPU code path runs on this CPU")
    best = max(usable, key=lambda v: usable[v])
    skipped = [v for v, s in scores.items() if s > usable[best] and v in AMX_VARIANTS]
    reason = "best for this CPU"
    if skipped:
        reason += f"; {', '.join(skipped)} skipped (its AMX path crashes, llama.cpp#20824)"
    return best, reason


def cpu_description() -> tuple[str, list[str]]:
    """``(model name, notable features)``. Features come from CPUID (numpy's run-time detection, which also sees
    what an emulator such as qemu-user reports), AMX and the model name from /proc/cpuinfo."""
    model, flags = platform.processor() or platform.machine(), set[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                model = value.strip()
            elif key.strip() in ("flags", "Features"):
                flags.update(value.split())
    except OSError:
        pass
    detected = _numpy_cpu_features()
    features = [name for name in NOTABLE_FEATURES if detected.get(name)]
    if not detected:
        features = [name for name in NOTABLE_FEATURES if name.lower().replace("fma3", "fma") in flags]
    return model, features + (["AMX"] if "amx_tile" in flags else [])


def _numpy_cpu_features() -> dict[str, bool]:
    """numpy's CPUID-based detection (the numpy 2 location, then numpy 1's); empty without numpy."""
    import importlib

    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(importlib.import_module(module).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def _backend_features(ggml: ctypes.CDLL, reg: int) -> dict[str, str]:
    """The compiled-in features the loaded CPU backend reports (``ggml_backend_get_features``)."""

    class Feature(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]

    ggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    ggml.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    address = ggml.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
    if not address:
        return {}
    get = ctypes.CFUNCTYPE(ctypes.POINTER(Feature), ctypes.c_void_p)(address)
    features, array, i = {}, get(reg), 0
    while array[i].name:
        features[array[i].name.decode()] = (array[i].value or b"").decode()
        i += 1
    return features


def _ggml_of_llama() -> ctypes.CDLL:
    """ggml as libllama sees it: symbols looked up through libllama's own handle (dlsym searches its
    dependencies), so a bundle holding two copies of libggml cannot register the backend in the wrong one."""
    from llama_cpp import llama_cpp as bindings

    lib: ctypes.CDLL = bindings._lib
    return lib


def _load(lib_dir: Path) -> CpuBackend:
    model, flags = cpu_description()
    files = variant_files(lib_dir)
    if not files:
        return CpuBackend(
            False,
            reason="llama-cpp-python was not built portable: no CPU variants to choose from",
            cpu_flags=flags,
            cpu_model=model,
        )
    ggml = _ggml_of_llama()
    ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    if ggml.ggml_backend_reg_count() > 0:  # something loaded a backend before us: report it, never load twice
        return CpuBackend(
            True, "unknown", reason="loaded before the tutor chose one", cpu_flags=flags, cpu_model=model
        )
    scores = {name: score(path) for name, path in files.items()}
    variant, reason = choose_variant(scores, os.environ.get("TUTOR_CPU_VARIANT", "").strip())
    ggml.ggml_backend_load.restype = ctypes.c_void_p
    ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
    reg = ggml.ggml_backend_load(str(files[variant]).encode())
    if not reg:
        raise RuntimeError(f"llama.cpp could not load its CPU code path {files[variant]}")
    return CpuBackend(
        True, variant, str(files[variant]), reason, scores, _backend_features(ggml, reg), flags, model
    )


def ensure_loaded() -> CpuBackend:
    """Load the chosen CPU variant once per process, before any ``Llama`` is made; later calls report it."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load(llama_lib_dir())
        return _loaded
