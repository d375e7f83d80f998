"""Reading a GGUF file's header without loading it: architecture, parameters, quantization, context length,
chat template, and whether the file is complete.

``gguf.GGUFReader`` maps every array (a 262k-entry vocabulary, for instance) into numpy and takes seconds; this
streams the key/value section, skips arrays, reads the tensor table, and checks that the file is as long as
its tensors need, using the ``gguf`` package's constants for value types and quantization block sizes.

Every malformed file is a ``GGUFError`` with a plain reason, never another exception: counts and lengths are
checked against the file's size before use, arrays nest at most ``_MAX_DEPTH`` deep, the alignment must be a
power of two, and a folder, device or FIFO is refused without being read (tests/models/test_gguf_fuzz.py).
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, TypeGuard

MAGIC = b"GGUF"


@cache
def _gguf() -> Any:
    """The ``gguf`` package, imported on the first header read: it pulls in numpy (a quarter of a second), which
    the commands that only build a session (``tutor exercises``, ``tutor check``) never need."""
    import gguf  # heavy: numpy

    return gguf


@cache
def _scalars() -> dict[Any, str]:
    kinds = _gguf().GGUFValueType
    return {
        kinds.UINT8: "<B",
        kinds.INT8: "<b",
        kinds.UINT16: "<H",
        kinds.INT16: "<h",
        kinds.UINT32: "<I",
        kinds.INT32: "<i",
        kinds.FLOAT32: "<f",
        kinds.BOOL: "<?",
        kinds.UINT64: "<Q",
        kinds.INT64: "<q",
        kinds.FLOAT64: "<d",
    }


_MAX_STRING = 64 * 1024 * 1024
_MAX_KEY = 65_535  # the GGUF format's own limit on a key's length
_MAX_DEPTH = 4  # arrays of arrays of ... deeper than this are refused (real models have none)
_MAX_DIMS = 8  # a tensor has at most 4 dimensions in GGML; more is a damaged table
_MAX_TENSORS, _MAX_KEYS = 1_000_000, 100_000
_TENSOR_MIN_BYTES = 8 + 4 + 4 + 8  # name length, dimension count, type, offset
_KEY_MIN_BYTES = 8 + 4 + 1  # key length, value type, the smallest value


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
    """Reads the header; every length and count it reads is checked against what is left of the file before
    anything is allocated or skipped, so a damaged number is a refusal, never a huge allocation or a long loop."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size = handle, size

    def need(self, count: int, each: int, what: str) -> None:
        if count * each > self.size - self.handle.tell():
            raise GGUFError(f"the header claims {what} longer than the file (damaged or truncated file)")

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise GGUFError("the file ends in the middle of its header (truncated download?)")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, limit: int = _MAX_STRING) -> str:
        length = self.unpack("<Q")
        if length > limit:
            raise GGUFError("the header holds an impossibly long text (damaged file)")
        self.need(length, 1, "a text")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("<Q")
        if length > _MAX_STRING:
            raise GGUFError("the header holds an impossibly long text (damaged file)")
        self.need(length, 1, "a text")
        self.handle.seek(length, 1)

    def value(self, kind: int, keep: bool, depth: int = 0) -> Any:
        kind = _gguf().GGUFValueType(kind)
        if kind == _gguf().GGUFValueType.STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if kind == _gguf().GGUFValueType.ARRAY:
            return self.array(depth)
        return self.unpack(_scalars()[kind])

    def array(self, depth: int) -> str:
        if depth >= _MAX_DEPTH:
            raise GGUFError(f"the header nests arrays more than {_MAX_DEPTH} deep (damaged file)")
        item_kind, count = _gguf().GGUFValueType(self.unpack("<I")), self.unpack("<Q")
        if item_kind in _scalars():
            width = struct.calcsize(_scalars()[item_kind])
            self.need(count, width, "an array")
            self.handle.seek(count * width, 1)
        else:  # texts (8 bytes of length at least) or arrays (12 bytes of type and count at least)
            self.need(count, 8 if item_kind == _gguf().GGUFValueType.STRING else 12, "an array")
            for _ in range(count):
                self.value(item_kind, keep=False, depth=depth + 1)
        return f"<array of {count}>"


def read_header(path: Path) -> GGUFInfo:
    """The header of ``path``; raises ``GGUFError`` for a file that is not GGUF, damaged or truncated, and for
    anything that is not a regular file (a folder, a device, a FIFO: it is never read, so it cannot hang)."""
    path = Path(path)
    handle, size = _open_regular(path)
    with handle:
        try:
            if handle.read(4) != MAGIC:
                raise GGUFError(f"{path.name} is not a GGUF model file")
            version, metadata, parameters, data_start, data_needed = _parse(_Stream(handle, size), path.name)
        except GGUFError:
            raise
        except (struct.error, ValueError, OverflowError) as exc:
            raise GGUFError(f"{path.name} has a damaged header ({exc})") from None
        except OSError as exc:
            raise GGUFError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if data_start + data_needed > size:
        missing = data_start + data_needed - size
        raise GGUFError(f"{path.name} is incomplete: {missing / 2**20:.1f} MB of model data are missing")
    return _info(path, version, metadata, parameters, size)


def _open_regular(path: Path) -> tuple[BinaryIO, int]:
    """The file open for reading, and its size; never blocks on a FIFO (opened non-blocking, then refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise GGUFError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise GGUFError(f"{path.name} is not a regular file (a folder, a device or a pipe), not a model")
    return os.fdopen(fd, "rb"), info.st_size


def _parse(stream: _Stream, name: str) -> tuple[int, dict[str, Any], int, int, int]:
    """Version, metadata, parameter count, where the tensor data starts and how many bytes of it the tensors need."""
    version, tensor_count, kv_count = stream.unpack("<I"), stream.unpack("<Q"), stream.unpack("<Q")
    if version not in (2, 3) or tensor_count > _MAX_TENSORS or kv_count > _MAX_KEYS:
        raise GGUFError(f"{name} has a GGUF header this app cannot read (version {version})")
    stream.need(kv_count, _KEY_MIN_BYTES, "more metadata")
    metadata = {}
    for _ in range(kv_count):
        key = stream.string(_MAX_KEY)
        metadata[key] = stream.value(stream.unpack("<I"), keep=True)
    stream.need(tensor_count, _TENSOR_MIN_BYTES, "a tensor table")
    parameters, data_needed = _tensor_table(stream, tensor_count)
    alignment = metadata.get("general.alignment", 32)
    if not _whole(alignment) or alignment < 1 or alignment & (alignment - 1):
        raise GGUFError(
            f"{name} has a damaged header (general.alignment is {alignment!r}, not a power of two)"
        )
    return version, metadata, parameters, _align(stream.handle.tell(), alignment), data_needed


def _tensor_table(stream: _Stream, count: int) -> tuple[int, int]:
    parameters, end = 0, 0
    for _ in range(count):
        stream.skip_string()
        dimensions = stream.unpack("<I")
        if dimensions > _MAX_DIMS:
            raise GGUFError(f"the tensor table gives a tensor {dimensions} dimensions (damaged file)")
        dims = [stream.unpack("<Q") for _ in range(dimensions)]
        kind, offset = stream.unpack("<I"), stream.unpack("<Q")
        elements = 1
        for dim in dims:
            elements *= dim
        sizes = _gguf().GGML_QUANT_SIZES.get(_gguf().GGMLQuantizationType(kind))
        if sizes is None:
            raise GGUFError(f"the tensor table names tensor type {kind}, which this app does not know")
        block, type_size = sizes
        parameters += elements
        end = max(end, offset + elements // block * type_size)
    return parameters, end


def _whole(value: object) -> TypeGuard[int]:
    """An integer read from the header (not a bool, a float or a text)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _align(offset: int, alignment: int) -> int:
    return offset + (alignment - offset % alignment) % alignment


def _info(path: Path, version: int, metadata: dict[str, Any], parameters: int, size: int) -> GGUFInfo:
    architecture = str(metadata.get("general.architecture", "unknown"))
    file_type = metadata.get("general.file_type")
    try:
        quantization = (
            _gguf().LlamaFileType(file_type).name.removeprefix("MOSTLY_") if _whole(file_type) else "unknown"
        )
    except ValueError:
        quantization = f"type {file_type}"
    context = metadata.get(f"{architecture}.context_length")
    template = metadata.get("tokenizer.chat_template")
    return GGUFInfo(
        path=str(path),
        version=version,
        architecture=architecture,
        name=str(metadata.get("general.name", path.stem)),
        parameters=parameters,
        quantization=quantization,
        context_length=context if _whole(context) and context > 0 else 0,
        chat_template=template if isinstance(template, str) else None,
        file_size=size,
        metadata={k: v for k, v in metadata.items() if not str(v).startswith("<array")},
    )
