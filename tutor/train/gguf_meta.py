"""Rewriting a GGUF file's metadata: the base model's tokenizer keys back in, and the model card added.

llama.cpp's converter rebuilds the tokenizer from the Hugging Face files transformers wrote, and for Gemma it
writes a ``gpt2`` (BPE) tokenizer instead of the base file's SentencePiece one: the same strings, different
ids for some texts. So every ``tokenizer.*`` key of the converted file is dropped and the base file's are copied
in, each with its own value type; the tensors are copied unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf

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


def rewrite(source: Path, target: Path, tokenizer_from: Path, strings: dict[str, str]) -> None:
    """Copy ``source`` to ``target`` with the tokenizer keys of ``tokenizer_from`` and these string keys set."""
    reader = gguf.GGUFReader(source)
    tokens = tokenizer_fields(tokenizer_from)
    ours = reader.get_field("tokenizer.ggml.tokens")
    theirs = tokens.get("tokenizer.ggml.tokens")
    if ours is None or theirs is None or len(ours.data) != len(theirs[0]):
        raise TrainError(
            f"the converted model's vocabulary ({len(ours.data) if ours else 0} tokens) is not the base's "
            f"({len(theirs[0]) if theirs else 0}): its tokenizer cannot be restored"
        )
    _copy(reader, target, tokens, strings)


def _copy(
    reader: gguf.GGUFReader, target: Path, tokens: dict[str, tuple[Any, Any, Any]], strings: dict[str, str]
) -> None:
    """The file of ``reader`` with its tokenizer keys replaced by ``tokens`` (when given) and ``strings`` set."""
    architecture = reader.get_field("general.architecture")
    if architecture is None:
        raise TrainError(f"{target.name}: the source has no general.architecture")
    writer = gguf.GGUFWriter(target, arch=str(architecture.contents()), endianess=reader.endianess)
    replaced = (TOKENIZER_PREFIX,) if tokens else ()
    for name, field in reader.fields.items():
        if name.startswith(("GGUF.", *replaced)) or name == "general.architecture" or name in strings:
            continue
        value, kind, sub_type = _entry(field)
        writer.add_key_value(name, value, kind, sub_type=sub_type)
    for name, (value, kind, sub_type) in tokens.items():
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


def add_strings(source: Path, target: Path, strings: dict[str, str]) -> None:
    """Copy ``source`` to ``target`` with these string keys set (a LoRA adapter's card)."""
    _copy(gguf.GGUFReader(source), target, {}, strings)


def read_strings(path: Path, keys: list[str]) -> dict[str, str]:
    """Those string keys of a GGUF file that it has."""
    reader = gguf.GGUFReader(path)
    found = {}
    for key in keys:
        field = reader.get_field(key)
        if field is not None:
            found[key] = str(field.contents())
    return found
