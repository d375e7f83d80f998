"""GGUF metadata: the model card written into an exported file, string keys read back, tokenizer keys compared.

The export merges a LoRA adapter into the base's own GGUF, so the tokenizer keys are the base's unchanged
(``tokenizer_fields`` lets a test prove it); only the card is added, each other key keeps its value type and the
tensors are copied unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf

from tutor.models.gguf_header import read_header
from tutor.train.base_model import TrainError

TOKENIZER_PREFIX = "tokenizer."


def _entry(field: Any) -> tuple[Any, Any, Any]:
    kind = field.types[0]
    sub_type = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
    return field.contents(), kind, sub_type


def tokenizer_fields(path: Path) -> dict[str, tuple[Any, Any, Any]]:
    """``key -> (value, type, sub_type)`` of every tokenizer key of a GGUF file."""
    reader = gguf.GGUFReader(path)
    return {name: _entry(f) for name, f in reader.fields.items() if name.startswith(TOKENIZER_PREFIX)}


def add_strings(source: Path, target: Path, strings: dict[str, str]) -> None:
    """Copy ``source`` to ``target`` with these string keys set (a model card); the tensors are copied unchanged."""
    reader = gguf.GGUFReader(source)
    architecture = reader.get_field("general.architecture")
    if architecture is None:
        raise TrainError(f"{target.name}: the source has no general.architecture")
    writer = gguf.GGUFWriter(target, arch=str(architecture.contents()), endianess=reader.endianess)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture" or name in strings:
            continue
        value, kind, sub_type = _entry(field)
        writer.add_key_value(name, value, kind, sub_type=sub_type)
    for name, text in strings.items():
        writer.add_key_value(name, text, gguf.GGUFValueType.STRING)
    for tensor in reader.tensors:
        writer.add_tensor_info(
            tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()


def read_strings(path: Path, keys: list[str]) -> dict[str, str]:
    """Those string keys of a GGUF file that it has (read by ``tutor.models.gguf_header``)."""
    metadata = read_header(path).metadata
    return {key: str(metadata[key]) for key in keys if key in metadata}
