"""Where and in what precision training runs: CUDA when present; on a CPU, bf16 autocast when it has bf16
instructions (AVX512-BF16 or AMX; float32 is about 3x slower there) and float32 otherwise (emulated bf16 is slow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Precision:
    device: str  # "cpu" | "cuda"
    autocast: Any  # a torch dtype, or None for plain float32
    reason: str

    def describe(self) -> str:
        kind = "fp32" if self.autocast is None else f"{str(self.autocast).removeprefix('torch.')} autocast"
        return f"{self.device} {kind} ({self.reason})"


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def choose_precision(requested: str = "auto") -> Precision:
    """``requested``: auto, bf16 or fp32."""
    import torch

    if torch.cuda.is_available():
        if requested != "fp32" and torch.cuda.is_bf16_supported():
            return Precision("cuda", torch.bfloat16, "CUDA with bf16")
        return Precision("cuda", None, "CUDA, fp32" if requested == "fp32" else "CUDA without bf16")
    if requested == "fp32":
        return Precision("cpu", None, "asked for")
    if requested == "bf16":
        return Precision("cpu", torch.bfloat16, "asked for")
    found = [flag for flag in BF16_CPU_FLAGS if flag in cpu_flags()]
    if found:
        return Precision("cpu", torch.bfloat16, "CPU has " + ", ".join(found))
    return Precision("cpu", None, "CPU has no bf16 instructions")
