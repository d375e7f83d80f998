"""Bad disks for tests: a tiny tmpfs that can be filled up or remounted read-only (a real file system that
answers ENOSPC and EROFS, as a full USB stick or a locked-down lab share does). Mounting needs root; where it
cannot be mounted (CI as an ordinary user), the tests that need it are skipped, and the ones that use a file
where a folder is expected (ENOTDIR: works for everyone) still run."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class TinyDisk:
    """A 64 KB tmpfs at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        """Write until the disk says it is full (ENOSPC)."""
        with contextlib.suppress(OSError), self.filler.open("ab") as handle:
            while True:
                handle.write(b"x" * 1024)
                handle.flush()

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        _mount("-o", f"remount,{'ro' if on else 'rw'}", str(self.path))


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=20)


@contextlib.contextmanager
def tiny_disk(folder: Path) -> Iterator[TinyDisk]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder))
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tiny tmpfs here (needs root): {exc}")
    try:
        yield TinyDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True, timeout=20)
