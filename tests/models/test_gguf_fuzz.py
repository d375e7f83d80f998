"""The GGUF header reader never crashes (issue 21, build item 6): valid headers are generated (metadata of every
value type, nested arrays, tensor tables of several quantization types, the data they need), read back exactly,
then mutated (bytes replaced, inserted, cut, a field patched: counts, lengths, alignment, types), and every one
is read or refused with ``GGUFError`` -- never ZeroDivisionError, RecursionError, MemoryError, OverflowError or
a hang. ``tutor models list --shared`` lists a bad file, a FIFO and a folder named ``*.gguf`` as unreadable.

Fixed budget, the same inputs on every run (``derandomize``), so it runs in CI."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import gguf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.cli import main
from tutor.models.gguf_header import GGUFError, GGUFInfo, read_header

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
V = gguf.GGUFValueType
SCALARS = {
    V.UINT8: "<B", V.INT8: "<b", V.UINT16: "<H", V.INT16: "<h", V.UINT32: "<I", V.INT32: "<i",
    V.FLOAT32: "<f", V.BOOL: "<?", V.UINT64: "<Q", V.INT64: "<q", V.FLOAT64: "<d",
}  # fmt: skip
TENSOR_TYPES = [gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.Q8_0]


# -- a GGUF writer small enough to trust ---------------------------------------------------------------------
def text(value: str) -> bytes:
    data = value.encode()
    return struct.pack("<Q", len(data)) + data


def encode(kind: V, value: Any) -> bytes:
    if kind == V.STRING:
        return text(value)
    if kind == V.ARRAY:
        item_kind, items = value
        return struct.pack("<IQ", item_kind, len(items)) + b"".join(encode(item_kind, i) for i in items)
    if kind == V.BOOL:
        return struct.pack("<?", bool(value))
    return struct.pack(SCALARS[kind], value)


def gguf_file(
    metadata: list[tuple[str, V, Any]], tensors: list[tuple[str, list[int], int]], alignment: int = 32
) -> bytes:
    """A complete GGUF v3 file: header, tensor table, padding, and zeroed tensor data."""
    head = struct.pack("<4sIQQ", b"GGUF", 3, len(tensors), len(metadata) + 1)
    head += text("general.alignment") + struct.pack("<I", V.UINT32) + struct.pack("<I", alignment)
    for key, kind, value in metadata:
        head += text(key) + struct.pack("<I", kind) + encode(kind, value)
    offset, table = 0, b""
    for name, dims, kind in tensors:
        table += text(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        table += struct.pack("<IQ", kind, offset)
        block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(kind)]
        elements = 1
        for d in dims:
            elements *= d
        offset += elements // block * size
        offset += (alignment - offset % alignment) % alignment
    data = head + table
    data += b"\0" * ((alignment - len(data) % alignment) % alignment)
    return data + b"\0" * offset


# -- strategies ----------------------------------------------------------------------------------------------
def scalar(kind: V) -> st.SearchStrategy[Any]:
    fmt = SCALARS[kind]
    if kind == V.BOOL:
        return st.booleans()
    if kind in (V.FLOAT32, V.FLOAT64):
        return st.floats(width=32 if kind == V.FLOAT32 else 64)
    bits = struct.calcsize(fmt) * 8
    return (
        st.integers(0, 2**bits - 1)
        if fmt[1].isupper()
        else st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )


def value_of(kind: V, depth: int = 0) -> st.SearchStrategy[Any]:
    if kind == V.STRING:
        return st.text(max_size=12)
    if kind == V.ARRAY:
        inner = st.sampled_from([*SCALARS, V.STRING] + ([V.ARRAY] if depth < 2 else []))
        return inner.flatmap(lambda k: st.tuples(st.just(k), st.lists(value_of(k, depth + 1), max_size=4)))
    return scalar(kind)


kinds = st.sampled_from([*SCALARS, V.STRING, V.ARRAY])
metadata_items = st.lists(
    kinds.flatmap(lambda k: st.tuples(st.text(min_size=1, max_size=16), st.just(k), value_of(k))), max_size=6
)
tensor_rows = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=8),
        st.lists(st.integers(1, 4), min_size=1, max_size=4).map(lambda dims: [32 * dims[0], *dims[1:]]),
        st.sampled_from([int(t) for t in TENSOR_TYPES]),
    ),
    max_size=4,
)
valid_files = st.builds(gguf_file, metadata_items, tensor_rows, st.sampled_from([8, 32, 64]))


def read_bytes_as_gguf(data: bytes) -> GGUFInfo | None:
    """``read_header`` on ``data``: the info, or None when refused with ``GGUFError`` (anything else fails)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.gguf"
        path.write_bytes(data)
        try:
            return read_header(path)
        except GGUFError as exc:
            assert str(exc)
            return None


@FUZZ
@given(metadata=metadata_items, tensors=tensor_rows, alignment=st.sampled_from([8, 32, 64]))
def test_generated_valid_files_are_read_exactly(
    metadata: list[Any], tensors: list[Any], alignment: int
) -> None:
    info = read_bytes_as_gguf(gguf_file(metadata, tensors, alignment))
    assert info is not None
    parameters = 0
    for _, dims, _ in tensors:
        count = 1
        for d in dims:
            count *= d
        parameters += count
    assert info.parameters == parameters
    assert info.metadata["general.alignment"] == alignment


@FUZZ
@given(
    data=valid_files,
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6
    ),
)
def test_bytes_replaced(data: bytes, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(data)
    for at, piece in edits:
        at %= len(raw)
        raw[at : at + len(piece)] = piece
    read_bytes_as_gguf(bytes(raw))


@FUZZ
@given(
    data=valid_files, cut=st.integers(0, 10**6), insert=st.binary(max_size=16), where=st.integers(0, 10**6)
)
def test_truncated_and_inserted(data: bytes, cut: int, insert: bytes, where: int) -> None:
    read_bytes_as_gguf(data[: cut % (len(data) + 1)])
    at = where % (len(data) + 1)
    read_bytes_as_gguf(data[:at] + insert + data[at:])


@FUZZ
@given(
    data=valid_files,
    field=st.sampled_from(["tensor_count", "kv_count", "alignment", "first_length", "first_type"]),
    number=st.one_of(
        st.sampled_from([0, 1, 3, 2**31, 2**32 - 1, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1)
    ),
)
def test_header_fields_patched(data: bytes, field: str, number: int) -> None:
    """The fields a damaged or hostile file gets wrong: counts, the alignment (0 used to divide by zero), the
    first key's length, the first value's type."""
    raw = bytearray(data)
    # layout: magic 4, version 4, tensors 8, keys 8, then "general.alignment" (8 + 17), its type 4, its value 4
    spots = {"tensor_count": (8, "<Q"), "kv_count": (16, "<Q"), "first_length": (24, "<Q"),
             "first_type": (49, "<I"), "alignment": (53, "<I")}  # fmt: skip
    at, fmt = spots[field]
    raw[at : at + struct.calcsize(fmt)] = struct.pack(fmt, number % 2 ** (struct.calcsize(fmt) * 8))
    read_bytes_as_gguf(bytes(raw))


# -- the findings of issue 21, one by one ---------------------------------------------------------------------
def test_alignment_zero_is_refused_not_a_division_by_zero() -> None:
    raw = bytearray(gguf_file([], [("w", [32], 0)]))
    raw[53:57] = struct.pack("<I", 0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zero.gguf"
        path.write_bytes(bytes(raw))
        with pytest.raises(GGUFError, match=r"general.alignment is 0, not a power of two"):
            read_header(path)


@pytest.mark.timeout(30)
def test_deeply_nested_arrays_are_refused_not_a_recursion_error(tmp_path: Path) -> None:
    nested = struct.pack("<IQ", V.ARRAY, 1) * 100_000 + struct.pack("<IQ", V.UINT8, 0)
    head = struct.pack("<4sIQQ", b"GGUF", 3, 0, 1) + text("deep") + struct.pack("<I", V.ARRAY) + nested
    (tmp_path / "deep.gguf").write_bytes(head)
    with pytest.raises(GGUFError, match="nests arrays more than 4 deep"):
        read_header(tmp_path / "deep.gguf")


@pytest.mark.timeout(30)
def test_huge_counts_are_refused_at_once(tmp_path: Path) -> None:
    """An array of 2**60 empty texts, or 100,000 keys in a 100-byte file, is refused before any loop runs."""
    head = (
        struct.pack("<4sIQQ", b"GGUF", 3, 0, 1) + text("many") + struct.pack("<IIQ", V.ARRAY, V.STRING, 2**60)
    )
    (tmp_path / "many.gguf").write_bytes(head + b"\0" * 64)
    with pytest.raises(GGUFError, match="claims an array longer than the file"):
        read_header(tmp_path / "many.gguf")
    (tmp_path / "keys.gguf").write_bytes(struct.pack("<4sIQQ", b"GGUF", 3, 0, 99_999) + b"\0" * 64)
    with pytest.raises(GGUFError, match="claims more metadata longer than the file"):
        read_header(tmp_path / "keys.gguf")


@pytest.mark.timeout(30)
def test_fifo_device_and_folder_are_refused_without_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.gguf")
    (tmp_path / "folder.gguf").mkdir()
    (tmp_path / "zero.gguf").symlink_to("/dev/zero")
    for name in ("pipe.gguf", "folder.gguf", "zero.gguf"):
        with pytest.raises(GGUFError, match="is not a regular file"):
            read_header(tmp_path / name)


@pytest.mark.timeout(60)
def test_models_list_shared_lists_bad_files_as_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    raw = bytearray(gguf_file([("general.name", V.STRING, "good")], [("w", [32], 0)]))
    (shared / "good.gguf").write_bytes(bytes(raw))
    raw[53:57] = struct.pack("<I", 0)
    (shared / "zero-alignment.gguf").write_bytes(bytes(raw))
    os.mkfifo(shared / "pipe.gguf")
    assert main(["models", "list", "--shared", str(shared), "--json"]) == 0
    rows = {m["id"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert rows["shared:good.gguf"]["header"]["name"] == "good" and rows["shared:good.gguf"]["problem"] == ""
    assert "alignment is 0" in rows["shared:zero-alignment.gguf"]["problem"]
    assert "not a regular file" in rows["shared:pipe.gguf"]["problem"]
