"""A fine-tuned model made on this machine from a base GGUF and a LoRA adapter GGUF, with no torch.

For every weight the adapter changes, ``W' = W + (alpha / r) * B @ A`` (the weight dequantized by gguf-py, the
product summed over the rank in a fixed order, every step an elementwise float32 operation, so the result does
not depend on the CPU or a BLAS library). The merged weights are stored as Q8_0 (gguf-py's quantizer, also
elementwise) and every other tensor is copied byte for byte, so the file is the base's Q4_K_M plus 8-bit copies of
the changed matrices. They are not re-quantized to Q4_K: a LoRA trained on the 4-bit base (as QLoRA does) moves
each weight by much less than a Q4_K step, and re-quantizing the sum snaps almost every weight back onto the
base's grid (measured on the shipped adapter: the Q4_K_M merge wrote the base's hints token for token; the Q8_0
merge writes what llama.cpp writes with the adapter applied at load time). The base's metadata is kept,
tokenizer included; the adapter's name, description and model card are added. The file is written beside the
target and moved into place only when complete, and its sha256 is returned so a caller can compare it with a
published one.

This is how the shipped fine-tune is installed (``tutor.models.default_model``): a few MB of adapter in
``resources/models`` instead of a second 250 MB model.
"""

from __future__ import annotations

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
MERGED_TYPE = gguf.GGMLQuantizationType.Q8_0  # fine enough to keep a LoRA's change (see above)


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


def write_merged(base_path: Path, adapter_path: Path, target: Path, progress: Progress | None = None) -> None:
    """The base with the adapter merged (changed weights in Q8_0, the rest as it was) and the adapter's card."""
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
            array = gguf.quants.quantize(weight + scale * low_rank_product(b, a), MERGED_TYPE)
            merged[tensor.name] = array
            writer.add_tensor_info(tensor.name, array.shape, array.dtype, array.nbytes, MERGED_TYPE)
        else:
            data = tensor.data
            writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, tensor.tensor_type)
        if progress:
            progress(index + 1, len(base.tensors))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in base.tensors:
        writer.write_tensor_data(merged.get(tensor.name, tensor.data), tensor_endianess=base.endianess)
    writer.close()


def merge_adapter(base: Path, adapter: Path, target: Path, progress: Progress | None = None) -> str:
    """Write ``target`` from ``base`` and ``adapter``; returns its sha256. Atomic: nothing is left at ``target``
    unless the whole file was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".merge-", dir=target.parent) as folder:
            merged = Path(folder) / target.name
            write_merged(base, adapter, merged, progress)
            digest = sha256_of(merged)
            os.replace(merged, target)
    except OSError as exc:
        raise MergeError(f"could not write {target}: {exc.strerror or exc}") from None
    return digest
