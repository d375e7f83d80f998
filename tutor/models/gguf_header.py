"""Reading a GGUF file's header without loading it: architecture, parameters, quantization, context length,
chat template, and whether the file is complete.

``gguf.GGUFReader`` maps every array (a 262k-entry vocabulary, for instance) into numpy and takes seconds; this
streams the key/value section, skips arrays, reads the tensor table, and checks that the file is as long as
its tensors need, using the ``gguf`` package's constants for value types and quantization block sizes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import gguf

MAGIC = b"GGUF"
_SCALARS = {
    gguf.GGUFValueType.UINT8: "<B",
    gguf.GGUFValueType.INT8: "<b",
    gguf.GGUFValueType.UINT16: "<H",
    gguf.GGUFValueType.INT16: "<h",
    gguf.GGUFValueType.UINT32: "<I",
    gguf.GGUFValueType.INT32: "<i",
    gguf.GGUFValueType.FLOAT32: "<f",
    gguf.GGUFValueType.BOOL: "<?",
    gguf.GGUFValueType.UINT64: "<Q",
    gguf.GGUFValueType.INT64: "<q",
    gguf.GGUFValueType.FLOAT64: "<d",
}
_MAX_STRING = 64 * 1024 * 1024


class GGUFError(ValueError):
    """The file is not a usable GGUF model; the message says why in plain words."""


@dataclass
class GGUFInfo:
    path: str
    version: int
    architecture: str
    name: str
    parameters: int
    quantization: str
    context_length: int
    chat_template: str | None
    file_size: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def parameters_label(self) -> str:
        count = self.parameters
        return f"{count / 1e9:.1f}B" if count >= 1e9 else f"{count / 1e6:.0f}M"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "version": self.version,
            "architecture": self.architecture,
            "name": self.name,
            "parameters": self.parameters,
            "parameters_label": self.parameters_label,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "chat_template": self.chat_template is not None,
            "file_size": self.file_size,
        }


class _Stream:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise GGUFError("the file ends in the middle of its header (truncated download?)")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > _MAX_STRING:
            raise GGUFError("the header holds an impossibly long text (damaged file)")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("<Q")
        if length > _MAX_STRING:
            raise GGUFError("the header holds an impossibly long text (damaged file)")
        self.handle.seek(length, 1)

    def value(self, kind: int, keep: bool) -> Any:
        kind = gguf.GGUFValueType(kind)
        if kind == gguf.GGUFValueType.STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if kind == gguf.GGUFValueType.ARRAY:
            item_kind, count = gguf.GGUFValueType(self.unpack("<I")), self.unpack("<Q")
            if item_kind == gguf.GGUFValueType.STRING:
                for _ in range(count):
                    self.skip_string()
            elif item_kind in _SCALARS:
                self.handle.seek(count * struct.calcsize(_SCALARS[item_kind]), 1)
            else:
                for _ in range(count):
                    self.value(item_kind, keep=False)
            return f"<array of {count}>"
        return self.unpack(_SCALARS[kind])


def read_header(path: Path) -> GGUFInfo:
    """The header of ``path``; raises ``GGUFError`` for a file that is not GGUF, damaged or truncated."""
    path = Path(path)
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as exc:
        raise GGUFError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    with handle:
        stream = _Stream(handle)
        if handle.read(4) != MAGIC:
            raise GGUFError(f"{path.name} is not a GGUF model file")
        try:
            version, tensor_count, kv_count = stream.unpack("<I"), stream.unpack("<Q"), stream.unpack("<Q")
            if version not in (2, 3) or tensor_count > 1_000_000 or kv_count > 100_000:
                raise GGUFError(f"{path.name} has a GGUF header this app cannot read (version {version})")
            metadata = {}
            for _ in range(kv_count):
                key = stream.string()
                metadata[key] = stream.value(stream.unpack("<I"), keep=True)
            parameters, data_needed = _tensor_table(stream, tensor_count, metadata)
            data_start = _align(handle.tell(), int(metadata.get("general.alignment", 32)))
        except (struct.error, ValueError) as exc:
            if isinstance(exc, GGUFError):
                raise
            raise GGUFError(f"{path.name} has a damaged header ({exc})") from None
    if data_start + data_needed > size:
        missing = data_start + data_needed - size
        raise GGUFError(f"{path.name} is incomplete: {missing / 2**20:.1f} MB of model data are missing")
    return _info(path, version, metadata, parameters, size)


def _tensor_table(stream: _Stream, count: int, metadata: dict[str, Any]) -> tuple[int, int]:
    parameters, end = 0, 0
    for _ in range(count):
        stream.skip_string()
        dims = [stream.unpack("<Q") for _ in range(stream.unpack("<I"))]
        kind, offset = stream.unpack("<I"), stream.unpack("<Q")
        elements = 1
        for dim in dims:
            elements *= dim
        block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(kind)]
        parameters += elements
        end = max(end, offset + elements // block * type_size)
    return parameters, end


def _align(offset: int, alignment: int) -> int:
    return offset + (alignment - offset % alignment) % alignment


def _info(path: Path, version: int, metadata: dict[str, Any], parameters: int, size: int) -> GGUFInfo:
    architecture = str(metadata.get("general.architecture", "unknown"))
    file_type = metadata.get("general.file_type")
    try:
        quantization = (
            gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_") if file_type is not None else "unknown"
        )
    except ValueError:
        quantization = f"type {file_type}"
    template = metadata.get("tokenizer.chat_template")
    return GGUFInfo(
        path=str(path),
        version=version,
        architecture=architecture,
        name=str(metadata.get("general.name", path.stem)),
        parameters=parameters,
        quantization=quantization,
        context_length=int(metadata.get(f"{architecture}.context_length", 0) or 0),
        chat_template=template if isinstance(template, str) else None,
        file_size=size,
        metadata={k: v for k, v in metadata.items() if not str(v).startswith("<array")},
    )
