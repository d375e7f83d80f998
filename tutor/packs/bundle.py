"""A pack as one file a lab distributes (``tutor pack build``), and importing a pack into the learner's packs
folder after the same check as ``tutor pack check``.

**The built file** is a zip (``NAME.tutorpack``) holding the pack's ``pack.toml``, its exercise files (the same
paths as in the folder) and ``pack.md`` if there is one, plus ``manifest.json``: ``{"format": 1, "name": ...,
"files": {"path": "sha256", ...}}``. Reading one refuses anything else: a path outside the pack, a file the
manifest does not list or whose sha256 differs, more than ``MAX_FILES`` files or ``MAX_BYTES`` in all.

**Importing** (a built file or a folder) copies the pack into a temporary folder beside its destination, checks
it there, and only when the check passes (and no exercise id is already used by the course) moves it into
place as ``<packs folder>/<pack id>``, replacing an older copy of the same pack. A refused import changes
nothing: the reasons are in the returned ``PackCheck``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from tutor.exercises import LoadResult, load_pack
from tutor.pack_format import PACK_FILE, exercise_files
from tutor.packs.check import PackCheck, check_pack

MANIFEST = "manifest.json"
SUFFIX = ".tutorpack"
MAX_FILES = 2_000
MAX_BYTES = 64 * 2**20


class PackFileRefused(ValueError):
    """A built pack file that cannot be read: why, in one sentence."""


def pack_files(folder: Path) -> list[Path]:
    """What a built pack holds: pack.toml, pack.md, and the exercise files."""
    extra = [folder / name for name in (PACK_FILE, "pack.md") if (folder / name).is_file()]
    return [*extra, *exercise_files(folder)]


def pack_id(name: str) -> str:
    """A folder name for a pack: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "pack"


def build_pack(folder: Path, out_file: Path) -> Path:
    """Write ``folder`` as one built pack file (see the module docstring); returns the file written."""
    if not folder.is_dir():
        raise PackFileRefused(f"{folder} is not a pack folder")
    loaded = load_pack(folder)
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in pack_files(folder)}
    manifest = {
        "format": 1,
        "name": loaded.name or folder.name,
        "id": pack_id(folder.name),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_name(out_file.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, data in files.items():
            archive.writestr(name, data)
    partial.replace(out_file)
    return out_file


def extract_pack(file: Path, into: Path) -> str:
    """Unpack a built pack file into the empty folder ``into`` after checking it; returns its pack id."""
    try:
        with zipfile.ZipFile(file) as archive:
            manifest = _manifest(archive)
            for name, digest in manifest["files"].items():
                data = archive.read(name)
                if hashlib.sha256(data).hexdigest() != digest:
                    raise PackFileRefused(f"{file}: {name} does not match its sha256 in the manifest")
                target = into / PurePosixPath(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, PackFileRefused):
            raise
        raise PackFileRefused(f"{file} is not a built pack file ({exc})") from None
    return pack_id(str(manifest.get("id") or manifest.get("name") or file.stem))


def _manifest(archive: zipfile.ZipFile) -> dict[str, object]:
    infos = archive.infolist()
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_BYTES:
        raise PackFileRefused(f"more than {MAX_FILES} files or {MAX_BYTES // 2**20} MB: not a pack")
    manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise PackFileRefused("its manifest lists no files")
    listed = set(files) | {MANIFEST}
    for info in infos:
        path = PurePosixPath(info.filename)
        if info.filename not in listed:
            raise PackFileRefused(f"{info.filename} is not in the manifest")
        if (
            path.is_absolute()
            or ".." in path.parts
            or len(path.parts) > 2
            or path.suffix not in (".toml", ".md", ".json")
        ):
            raise PackFileRefused(f"{info.filename} is not a file a pack may hold")
    if set(files) - {i.filename for i in infos}:
        raise PackFileRefused("a file the manifest lists is missing")
    return manifest


def import_pack(source: Path, packs_dir: Path, taken: LoadResult | None = None) -> PackCheck:
    """Check ``source`` (a built file or a folder) and install it into ``packs_dir``; refused (``ok`` false, the
    reasons in ``problems``) without changing anything. ``taken``: the course already loaded (its ids must not
    be reused)."""
    staging = Path(tempfile.mkdtemp(prefix="tutor-pack-import-"))
    try:
        try:
            ident = _stage(source, staging)
        except PackFileRefused as exc:
            return PackCheck(source, problems=[str(exc)])
        check = check_pack(staging)
        check.path = source
        check.problems = [p.replace(str(staging), str(source)) for p in check.problems]
        check.problems += _clashes(staging, ident, packs_dir, taken)
        if check.ok:
            _install(staging, packs_dir / ident)
        return check
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(source: Path, staging: Path) -> str:
    if source.is_dir():
        for path in pack_files(source):
            target = staging / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        return pack_id(source.name)
    if not source.is_file():
        raise PackFileRefused(f"{source}: no such file or folder")
    return extract_pack(source, staging)


def _clashes(staging: Path, ident: str, packs_dir: Path, taken: LoadResult | None) -> list[str]:
    if taken is None:
        return []
    mine = {e.id for e in load_pack(staging).exercises}
    others = {e.id for e in taken.exercises if not Path(e.source).is_relative_to(packs_dir / ident)}
    return [f"exercise id {i!r} is already used by the course or another pack" for i in sorted(mine & others)]


def _install(staging: Path, target: Path) -> None:
    """Move the checked copy into place; an older copy of the same pack is replaced (and removed after)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ready = target.with_name(f".{target.name}.new")
    shutil.rmtree(ready, ignore_errors=True)
    shutil.copytree(staging, ready)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.replace(old)
    ready.replace(target)
    shutil.rmtree(old, ignore_errors=True)
