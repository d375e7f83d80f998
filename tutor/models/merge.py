"""A fine-tuned model made on this machine from a base GGUF and a LoRA adapter GGUF, with no torch.

For every weight the adapter changes, ``W' = W + (alpha / r) * B @ A`` (the weight dequantized by gguf-py, the
product summed over the rank in a fixed order, every step an elementwise float32 operation, so the result does
not depend on the CPU or a BLAS library); the merged weights are written as float32 and every other tensor is
copied as it is; llama.cpp's own quantizer then makes the Q4_K_M file (the same type rules as the base: tensors it
would keep in their type are copied byte for byte). The base's metadata is kept, tokenizer included; the adapter's
name, description and model card are added. The file is written beside the target and moved into place only
when complete, and its sha256 is returned so a caller can compare it with a published one.

This is how the shipped fine-tune is installed (``tutor.models.default_model``): a few MB of adapter in
``resources/models`` instead of a second 250 MB model.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from tutor.models.checksum import sha256_of

CARD_KEYS = ("general.name", "general.description", "general.license", "tutor.card")
Progress = Callable[[int, int], None]


class MergeError(RuntimeError):
    """The adapter does not fit the base, or a file cannot be read or written; one line for the user."""


def _field(reader: gguf.GGUFReader, key: str) -> Any:
    field = reader.get_field(key)
    return field.contents() if field is not None else None


def lora_pairs(adapter: gguf.GGUFReader) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``base tensor name -> (A, B)`` as float32 arrays, A ``(r, in)`` and B ``(out, r)``."""
    tensors = {t.name: t for t in adapter.tensors}
    pairs = {}
    for name, tensor in tensors.items():
        if not name.endswith(".lora_a"):
            continue
        base = name.removesuffix(".lora_a")
        other = tensors.get(base + ".lora_b")
        if other is None:
            raise MergeError(f"the adapter has {name} but no {base}.lora_b")
        pairs[base] = (_as_float(tensor), _as_float(other))
    if not pairs:
        raise MergeError("the adapter has no LoRA tensors")
    return pairs


def _as_float(tensor: Any) -> np.ndarray:
    return np.asarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)


def low_rank_product(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``B @ A`` as a sum of outer products in rank order: elementwise float32 steps only, so the same bits on
    every CPU (a BLAS matmul may sum in another order on another CPU)."""
    out = np.zeros((b.shape[0], a.shape[1]), dtype=np.float32)
    for k in range(a.shape[0]):
        out += np.multiply.outer(b[:, k], a[k, :])
    return out


def check_fit(base: gguf.GGUFReader, adapter: gguf.GGUFReader) -> float:
    """The adapter's scale ``alpha / r`` once it is known to be a LoRA for this base's architecture."""
    if _field(adapter, "general.type") != "adapter" or _field(adapter, "adapter.type") != "lora":
        raise MergeError("not a LoRA adapter GGUF (general.type is not 'adapter')")
    arch, theirs = _field(base, "general.architecture"), _field(adapter, "general.architecture")
    if arch != theirs:
        raise MergeError(f"the adapter is for {theirs}, the base is {arch}")
    alpha = _field(adapter, "adapter.lora.alpha")
    first = next(t for t in adapter.tensors if t.name.endswith(".lora_a"))
    rank = int(first.data.shape[0])
    return float(alpha) / rank if alpha else 1.0


def write_merged_f32(
    base_path: Path, adapter_path: Path, target: Path, progress: Progress | None = None
) -> None:
    """The base with the adapter merged (changed weights in float32, the rest as it was) and the adapter's card."""
    try:
        base, adapter = gguf.GGUFReader(base_path), gguf.GGUFReader(adapter_path)
    except (ValueError, OSError) as exc:
        raise MergeError(f"cannot read a GGUF file: {exc}") from None
    scale = np.float32(check_fit(base, adapter))
    pairs = lora_pairs(adapter)
    names = {t.name for t in base.tensors}
    missing = sorted(set(pairs) - names)
    if missing:
        raise MergeError(f"the adapter changes tensors the base does not have: {', '.join(missing[:3])}")
    writer = gguf.GGUFWriter(target, arch=str(_field(base, "general.architecture")), endianess=base.endianess)
    card = {key: str(_field(adapter, key)) for key in CARD_KEYS if _field(adapter, key) is not None}
    for name, field in base.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture" or name in card:
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), kind, sub_type=sub)
    for key, text in card.items():
        writer.add_key_value(key, text, gguf.GGUFValueType.STRING)
    merged: dict[str, np.ndarray] = {}
    for index, tensor in enumerate(base.tensors):
        if tensor.name in pairs:
            a, b = pairs[tensor.name]
            weight = _as_float(tensor)
            if weight.shape != (b.shape[0], a.shape[1]):
                raise MergeError(f"{tensor.name}: the adapter's shape does not match the base's")
            merged[tensor.name] = weight + scale * low_rank_product(b, a)
            array = merged[tensor.name]
            writer.add_tensor_info(
                tensor.name, array.shape, array.dtype, array.nbytes, gguf.GGMLQuantizationType.F32
            )
        else:
            data = tensor.data
            writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, tensor.tensor_type)
        if progress:
            progress(index + 1, 2 * len(base.tensors))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in base.tensors:
        writer.write_tensor_data(merged.get(tensor.name, tensor.data), tensor_endianess=base.endianess)
    writer.close()


def quantize_q4_k_m(source: Path, target: Path, threads: int = 0) -> None:
    """llama.cpp's Q4_K_M quantizer; a tensor whose chosen type is the type it has is copied unchanged."""
    import llama_cpp

    from tutor.engines import cpu_backend
    from tutor.engines.native import _route_llama_logs

    _route_llama_logs()  # its per-tensor lines go to logging, not the user's terminal
    try:
        cpu_backend.ensure_loaded()
    except (RuntimeError, OSError) as exc:
        raise MergeError(f"llama.cpp has no CPU code path for this computer: {exc}") from None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = threads
    params.allow_requantize = True  # a copied tensor whose type the rules would change is requantized
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if code != 0 or not target.is_file():
        raise MergeError(f"llama.cpp could not quantize the merged model (code {code})")


def merge_adapter(
    base: Path, adapter: Path, target: Path, threads: int = 0, progress: Progress | None = None
) -> str:
    """Write ``target`` (Q4_K_M) from ``base`` and ``adapter``; returns its sha256. Atomic: nothing is left
    at ``target`` unless the whole file was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".merge-", dir=target.parent) as folder:
            f32 = Path(folder) / "merged-f32.gguf"
            write_merged_f32(base, adapter, f32, progress)
            quantized = Path(folder) / "merged-q4_k_m.gguf"
            quantize_q4_k_m(f32, quantized, threads)
            digest = sha256_of(quantized)
            os.replace(quantized, target)
    except OSError as exc:
        raise MergeError(f"could not write {target}: {exc.strerror or exc}") from None
    return digest
