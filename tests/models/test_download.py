"""Downloads through huggingface-hub against a local server that speaks the hub's protocol, serving a real GGUF."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tutor.models.download import (
    DownloadCancelled,
    DownloadError,
    Progress,
    Reference,
    download,
    parse_reference,
)
from tutor.models.store import ModelStore

from ..conftest import venv_tutor
from .hub_server import HubServer

REF = Reference("acme/tiny-GGUF", "tiny.gguf")


@pytest.fixture
def hub(default_model: Path):  # type: ignore[no-untyped-def]
    with HubServer({"acme/tiny-GGUF/tiny.gguf": default_model}) as server:
        yield server


def test_references_are_parsed_and_bad_ones_refused() -> None:
    assert parse_reference(
        "hf://Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/model-q4_k_m.gguf@abc123"
    ) == Reference("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "model-q4_k_m.gguf", "abc123")
    with pytest.raises(DownloadError, match="not a model reference"):
        parse_reference("https://example.org/model.bin")


def test_full_download_with_progress_is_verified(tmp_path: Path, hub: HubServer, default_model: Path) -> None:
    seen: list[Progress] = []
    path = download(REF, progress=seen.append, root=tmp_path, endpoint=hub.endpoint)
    assert path.stat().st_size == default_model.stat().st_size
    assert seen[-1].done == seen[-1].total == path.stat().st_size and seen[-1].speed_bps > 0
    assert any(p.eta_s is not None for p in seen)
    listed = ModelStore(folder=tmp_path).list()
    assert [m.id for m in listed] == ["acme/tiny-GGUF/tiny.gguf"] and listed[0].info.architecture == "gemma3"


def test_dropped_connection_resumes_with_a_range_request(tmp_path: Path, hub: HubServer) -> None:
    hub.drop_after = 60_000_000
    path = download(REF, root=tmp_path, endpoint=hub.endpoint)
    ranges = [r for method, _, r in hub.requests if method == "GET" and r]
    assert ranges and int(ranges[0].split("=")[1].rstrip("-")) > 0
    assert path.stat().st_size == hub.files["acme/tiny-GGUF/tiny.gguf"].stat().st_size


def test_a_killed_app_resumes_where_it_stopped(tmp_path: Path, hub: HubServer) -> None:
    hub.delay_per_mb = 0.05
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "TUTOR_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [*venv_tutor(), "models", "download", str(REF), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    while time.monotonic() < deadline and not any(p.stat().st_size > 30_000_000 for p in partial):
        time.sleep(0.2)
        partial = list(tmp_path.rglob("*.partial"))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert partial, "the download never started"
    hub.delay_per_mb = 0.0
    hub.requests.clear()
    result = subprocess.run(
        [*venv_tutor(), "models", "download", str(REF), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    resumed_from = [int(r.split("=")[1].rstrip("-")) for m, _, r in hub.requests if m == "GET" and r]
    assert resumed_from and resumed_from[0] > 30_000_000
    assert json.loads(result.stdout)["header"]["quantization"] == "Q4_K_M"


def test_hash_mismatch_is_refused_and_nothing_is_kept(tmp_path: Path, hub: HubServer) -> None:
    hub.corrupt = True
    with pytest.raises(DownloadError, match="does not match its expected sha256"):
        download(REF, root=tmp_path, endpoint=hub.endpoint)
    assert not list(tmp_path.rglob("*.gguf"))
    assert ModelStore(folder=tmp_path).list() == []


def test_a_wrong_catalog_sha256_is_refused(tmp_path: Path, hub: HubServer) -> None:
    with pytest.raises(DownloadError, match="sha256"):
        download(REF, expected_sha256="0" * 64, root=tmp_path, endpoint=hub.endpoint)


def test_cancel_keeps_the_partial_file(tmp_path: Path, hub: HubServer) -> None:
    hub.delay_per_mb = 0.02
    cancel = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.done > 20_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        download(REF, progress=on_progress, cancel=cancel, root=tmp_path, endpoint=hub.endpoint)
    assert list(tmp_path.rglob("*.partial"))


def test_missing_file_and_unreachable_hub_give_one_sentence(tmp_path: Path, hub: HubServer) -> None:
    with pytest.raises(DownloadError, match="not found"):
        download(Reference("acme/tiny-GGUF", "other.gguf"), root=tmp_path, endpoint=hub.endpoint)
    with pytest.raises(DownloadError, match="Could not reach the model hub.*import"):
        download(REF, root=tmp_path, endpoint="http://127.0.0.1:9")


def test_offline_mode_says_so_and_points_to_import(tmp_path: Path, hub: HubServer) -> None:
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "1", "TUTOR_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [*venv_tutor(), "models", "download", str(REF)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "HF_HUB_OFFLINE" in result.stderr and "import" in result.stderr
    assert "Traceback" not in result.stderr and not [r for r in hub.requests if "resolve" in r[1]]


def _mount_tmpfs(path: Path, size_mb: int) -> bool:
    path.mkdir()
    return (
        sys.platform.startswith("linux")
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )


def test_full_disk_is_reported_and_the_partial_file_kept(tmp_path: Path, hub: HubServer) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, 340):
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        hub.delay_per_mb = 0.01
        filler = small / "filler"

        def fill_disk(progress: Progress) -> None:
            if progress.done > 40_000_000 and not filler.exists():
                with filler.open("wb") as handle:  # another program takes the rest of the disk
                    try:
                        while True:
                            handle.write(b"\0" * (1 << 20))
                    except OSError:
                        pass

        with pytest.raises(DownloadError, match="disk is full"):
            download(REF, progress=fill_disk, root=small, endpoint=hub.endpoint)
        kept = [p.stat().st_size for p in small.rglob("*.partial")]
        assert kept and kept[0] > 1_000_000, kept
        filler.unlink()
        tight = tmp_path / "tight"
        if _mount_tmpfs(tight, 100):
            with pytest.raises(DownloadError, match="Not enough free disk space"):
                download(REF, root=tight, endpoint=hub.endpoint)
            subprocess.run(["umount", str(tight)], check=False)
    finally:
        subprocess.run(["umount", str(small)], check=False)
