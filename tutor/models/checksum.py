"""sha256 of a file, read in 1 MB blocks, with optional byte progress; and ``model_sha256``, the cached hash the
school's allowed-models check uses.

``model_sha256`` remembers a hash per file *version*: its resolved path, device, inode, size, modification time
and change time (``ctime`` is set by the system on every change and cannot be set back by a user). In memory the
cache serves every file (the app, ``bench`` and ``arena`` hash a model once per process). On disk
(``<user data>/model-hashes.json``) it is **only trusted for files the learner cannot have written**: owned by
root, not writable by the running user, in a folder the user cannot write, or on a read-only file system (a
lab's shared models folder). A learner can edit that file, so for a model in their own folders a forged entry
must not count: such a file is hashed once per process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

BLOCK = 1024 * 1024
CACHE_NAME = "model-hashes.json"

_memory: dict[str, str] = {}
_lock = threading.Lock()


def sha256_of(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def version_key(path: Path) -> str:
    """What identifies one version of a file: resolved path, device, inode, size, mtime and ctime (ns)."""
    real = path.resolve()
    stat = real.stat()
    return f"{real}|{stat.st_dev}|{stat.st_ino}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}"


def model_sha256(path: Path, cache_file: Path | None = None) -> str:
    """The sha256 of a model file, from the cache when this version of the file was hashed before (see the
    module docstring for when the file on disk is trusted); ``OSError`` when it cannot be read."""
    key = version_key(path)
    with _lock:
        if key in _memory:
            return _memory[key]
    trusted = cache_file is not None and not learner_can_write(path.resolve())
    if trusted and cache_file is not None and (known := _read_cache(cache_file).get(key)):
        digest = str(known)
    else:
        digest = sha256_of(path)
        if version_key(path) != key:  # changed while it was read: hash the new version next time
            raise OSError(f"{path} changed while it was being checked; try again")
        if trusted and cache_file is not None:
            _write_cache(cache_file, key, digest)
    with _lock:
        _memory[key] = digest
    return digest


def forget() -> None:
    """Empty the in-memory cache (tests)."""
    with _lock:
        _memory.clear()


def learner_can_write(path: Path) -> bool:
    """True unless ``path`` is out of the running user's reach: on a read-only file system, or (POSIX) owned by
    root while the user is not root, with neither the file nor its folder writable. On other systems: True."""
    try:
        if hasattr(os, "statvfs") and os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
        if os.name != "posix" or os.geteuid() == 0:
            return True
        return (
            path.stat().st_uid != 0
            or os.access(path, os.W_OK)
            or os.access(path.parent, os.W_OK)
            or path.parent.stat().st_uid != 0
        )
    except OSError:
        return True


def _read_cache(cache_file: Path) -> dict[str, str]:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(cache_file: Path, key: str, digest: str) -> None:
    """Add one entry; a cache that cannot be written only costs a hash next time."""
    data = _read_cache(cache_file)
    data[key] = digest
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_name(cache_file.name + f".{os.getpid()}.part")
        partial.write_text(json.dumps(data, indent=0), encoding="utf-8")
        os.replace(partial, cache_file)
    except OSError:
        pass
