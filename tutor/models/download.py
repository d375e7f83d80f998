"""Downloading GGUF models from the Hugging Face hub (or a school mirror) with huggingface-hub.

No hand-written HTTP: huggingface-hub's own ``get_hf_file_metadata`` (commit, ETag, size, redirects) and
``http_get`` (Range requests, retries after a dropped connection), which honour ``HF_ENDPOINT``, proxies from the
environment and ``HF_HUB_OFFLINE``. We keep the partial file ourselves (``.NAME.ETAG.partial`` beside the
target) because ``hf_hub_download`` 2.x writes to a process-unique temp file and so cannot resume after the app
was killed. Around it: a free-disk check before starting, progress (bytes, speed, time left) through a
tqdm class, cancel, and a sha256 check (the catalog's, or the hub's LFS sha256) before the file is handed out.
A file that fails the check is deleted, never loaded.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.models.checksum import sha256_of
from tutor.paths import models_dir

_REFERENCE = re.compile(r"^hf://(?P<repo>[\w.-]+/[\w.-]+)/(?P<file>[^@]+?\.gguf)(?:@(?P<rev>[\w.-]+))?$")
_DISK_MARGIN = 64 * 2**20


class DownloadError(RuntimeError):
    """A download that could not be done; the message is one sentence for the learner or teacher."""


class DownloadCancelled(DownloadError):
    pass


@dataclass(frozen=True)
class Reference:
    repo: str
    filename: str
    revision: str = "main"

    def __str__(self) -> str:
        return f"hf://{self.repo}/{self.filename}" + (f"@{self.revision}" if self.revision != "main" else "")


@dataclass
class Progress:
    done: int
    total: int
    speed_bps: float
    eta_s: float | None


ProgressCallback = Callable[[Progress], None]


def parse_reference(text: str) -> Reference:
    match = _REFERENCE.match(text.strip())
    if not match:
        raise DownloadError(f"{text!r} is not a model reference; use hf://OWNER/REPO/FILE.gguf[@REVISION]")
    return Reference(match["repo"], match["file"], match["rev"] or "main")


def target_folder(reference: Reference, root: Path | None = None) -> Path:
    return (root or models_dir()) / "hub" / reference.repo.replace("/", "__")


def download(
    reference: Reference,
    expected_sha256: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    root: Path | None = None,
    endpoint: str | None = None,
) -> Path:
    """Download (or resume) one GGUF file and return its verified path. ``endpoint`` (a school mirror) defaults
    to ``HF_ENDPOINT`` as set now, not when huggingface-hub was first imported."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.file_download import http_get

    if constants.HF_HUB_OFFLINE:
        raise DownloadError(
            "Downloads are off (HF_HUB_OFFLINE is set); import a model file instead with "
            "`tutor models import FILE`."
        )
    folder = target_folder(reference, root)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(reference.filename).name
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or None
    try:
        url = hf_hub_url(reference.repo, reference.filename, revision=reference.revision, endpoint=endpoint)
        meta = get_hf_file_metadata(url, endpoint=endpoint)
        etag = (meta.etag or "").strip('"')
        partial = folder / f".{target.name}.{etag[:16] or 'noetag'}.partial"
        done = partial.stat().st_size if partial.exists() else 0
        _check_disk(folder, (meta.size or 0) - done)
        with partial.open("ab") as handle:
            http_get(
                meta.location or url,
                handle,
                resume_size=done,
                expected_size=meta.size,
                displayed_filename=target.name,
                tqdm_class=_tqdm_class(progress, cancel),
            )
    except DownloadError:
        raise
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as exc:
        raise DownloadError(f"{reference} was not found on the model hub ({type(exc).__name__}).") from None
    except OSError as exc:
        if getattr(exc, "errno", None) == 28 or "No space left" in str(exc):
            raise DownloadError(
                "The disk is full; the partial download was kept and resumes once there is room."
            ) from None
        raise DownloadError(_network_message(exc)) from None
    except Exception as exc:  # httpx and hub errors: no network, refused, reset
        if isinstance(exc, DownloadCancelled) or isinstance(exc.__cause__, DownloadCancelled):
            raise DownloadCancelled(
                "The download was cancelled; it resumes where it stopped next time."
            ) from None
        raise DownloadError(_network_message(exc)) from None
    expected = expected_sha256 or (etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None)
    _verify(partial, expected)
    os.replace(partial, target)
    return target


def _network_message(exc: BaseException) -> str:
    return (
        f"Could not reach the model hub ({type(exc).__name__}); with no network, import a model file instead "
        "with `tutor models import FILE`."
    )


def _check_disk(folder: Path, still_needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if still_needed > 0 and still_needed + _DISK_MARGIN > free:
        raise DownloadError(
            f"Not enough free disk space: the model needs {still_needed / 2**20:.0f} MB more and "
            f"{free / 2**20:.0f} MB are free in {folder}."
        )


def _verify(path: Path, expected: str | None) -> None:
    if not expected:
        return
    if sha256_of(path) != expected.lower():
        path.unlink(missing_ok=True)
        raise DownloadError(
            f"The downloaded file does not match its expected sha256 and was deleted ({path.name})."
        )


def _tqdm_class(progress: ProgressCallback | None, cancel: threading.Event | None) -> type:
    from tqdm.auto import tqdm

    class Reporting(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = progress is not None or kwargs.get("disable", False)
            super().__init__(*args, **kwargs)
            self._started = time.monotonic()
            self._done = self._first = int(kwargs.get("initial", 0) or 0)  # a disabled tqdm does not count

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("cancelled")
            result = super().update(n)
            self._done += int(n or 0)
            if progress is not None and self.total:
                elapsed = max(time.monotonic() - self._started, 1e-6)
                speed = (self._done - self._first) / elapsed
                eta = (self.total - self._done) / speed if speed > 0 else None
                progress(Progress(self._done, int(self.total), speed, eta))
            return result

    return Reporting


def proxies_in_use() -> dict[str, str]:
    """The proxy settings huggingface-hub will honour (from the environment), for ``tutor doctor``."""
    return {k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")}
