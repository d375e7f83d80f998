"""The course a learner sees: the bundled course (unless the site policy hides it), the packs the site policy
pins (read-only folders or built files), and the packs the learner imported (``installed_packs_dir()``).

A pack that cannot be read adds its errors to the result and nothing else: the other packs still load, and
progress (kept by exercise id) is never touched. An exercise whose id another pack already uses is an error and
is left out (the first pack listed keeps it: the bundled course, then pinned packs, then installed ones).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tutor.exercises import LoadResult, PackError, bundled_pack_dir, load_pack
from tutor.paths import user_data_dir
from tutor.policy import Policy
from tutor.packs.bundle import PackFileRefused, extract_pack


def installed_packs_dir() -> Path:
    """Where imported packs live: ``packs/`` in the user data folder (one sub-folder per pack)."""
    return user_data_dir() / "packs"


def installed_packs(packs_dir: Path | None = None) -> list[Path]:
    folder = packs_dir or installed_packs_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_course(policy: Policy | None = None, packs_dir: Path | None = None) -> LoadResult:
    """Everything the learner may work on, in course order (see the module docstring)."""
    result = LoadResult()
    if policy is None or not policy.hide_bundled_course:
        _add(result, load_pack(bundled_pack_dir()))
    for pinned in policy.pinned_packs if policy is not None else []:
        _add(result, _load_any(Path(pinned)))
    for folder in installed_packs(packs_dir):
        _add(result, load_pack(folder))
    return result


def _load_any(path: Path) -> LoadResult:
    """A pack folder, or a built pack file (unpacked once into a cache folder named by its sha256)."""
    if path.is_dir():
        return load_pack(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
        cache = user_data_dir() / "pack-cache" / digest
        if not cache.is_dir():
            partial = cache.with_name(digest + ".partial")
            partial.mkdir(parents=True, exist_ok=True)
            extract_pack(path, partial)
            partial.replace(cache)
    except (OSError, PackFileRefused) as exc:
        return LoadResult(errors=[PackError(str(path), "", "", f"the pinned pack cannot be read: {exc}")])
    return load_pack(cache)


def _add(result: LoadResult, pack: LoadResult) -> None:
    seen = {e.id for e in result.exercises}
    for exercise in [e for e in pack.exercises if e.id in seen]:
        pack.exercises.remove(exercise)
        pack.errors.append(
            PackError(exercise.source, exercise.id, "id", "is used by an exercise of another pack; left out")
        )
    result.extend(pack)
