"""The Models dialog against a local hub-protocol server, with a real GGUF."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from tutor.models.catalog import CatalogEntry, load_catalog
from tutor.models.store import ModelStore
from tutor.settings import Settings
from ui.models_dialog import ModelsDialog

from ..models.hub_server import HubServer


@pytest.fixture
def hub(default_model: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with HubServer({"acme/tiny-GGUF/tiny.gguf": default_model}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


def tiny_entry(hub: HubServer, sha256: str | None = None) -> CatalogEntry:
    return CatalogEntry(
        id="tiny",
        name="Tiny test model",
        repo="acme/tiny-GGUF",
        file="tiny.gguf",
        revision="main",
        size_mb=241,
        parameters="270M",
        quantization="Q4_K_M",
        ram_gb=0.6,
        license="gemma",
        prompt_format="plain",
        sha256=sha256 if sha256 is not None else hub.sha256["acme/tiny-GGUF/tiny.gguf"],
    )


def test_catalog_entries_are_complete() -> None:
    entries = load_catalog()
    assert len(entries) >= 6 and len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.repo.count("/") == 1 and entry.file.endswith(".gguf") and entry.license
        assert len(entry.sha256) == 64 and entry.ram_gb > 0 and entry.size_mb > 0
        if entry.source == "hub" and not entry.carrier:
            assert len(entry.revision) == 40  # pinned to a commit
        elif (
            entry.source == "hub"
        ):  # the official Qwen files: pinned by size and sha256 (their commit was not
            assert entry.revision  # findable offline; the carrier packages are byte-identical to them)
    sizes = sorted(e.billions for e in entries)
    assert sizes[0] < 0.5 and sizes[-1] >= 7


def test_download_with_progress_then_use(qtbot, tmp_path: Path, hub: HubServer) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelsDialog(store=ModelStore(folder=tmp_path), catalog=[tiny_entry(hub)])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select_id("tiny")
    assert dialog.table.item(0, 5).text() == "available to download"
    hub.delay_per_mb = 0.005
    with qtbot.waitSignal(dialog.download_done, timeout=60_000) as blocker:
        dialog.buttons["Download"].click()
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=20_000)
        assert "MB/s" in dialog.progress.format()
    assert blocker.args[0] is True
    assert dialog.table.item(0, 5).text() == "installed"
    dialog.select_id("tiny")
    with qtbot.waitSignal(dialog.model_chosen) as chosen:
        dialog.buttons["Use"].click()
    assert chosen.args[0].endswith("tiny.gguf") and Settings.load().model_path == chosen.args[0]
    assert dialog.table.item(0, 5).text() == "active"


def test_cancel_and_hash_mismatch_are_reported(qtbot, tmp_path: Path, hub: HubServer) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelsDialog(store=ModelStore(folder=tmp_path), catalog=[tiny_entry(hub, sha256="0" * 64)])
    qtbot.addWidget(dialog)
    dialog.select_id("tiny")
    with qtbot.waitSignal(dialog.download_done, timeout=60_000) as blocker:
        dialog.buttons["Download"].click()
    assert blocker.args[0] is False and "sha256" in dialog.message.text()
    assert dialog.table.item(0, 5).text() == "available to download"
    hub.delay_per_mb = 0.05
    dialog.catalog = [tiny_entry(hub)]
    dialog.refresh()
    dialog.select_id("tiny")
    with qtbot.waitSignal(dialog.download_done, timeout=60_000) as blocker:
        dialog.buttons["Download"].click()
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=20_000)
        dialog.buttons["Cancel download"].click()
    assert blocker.args[0] is False and "cancelled" in dialog.message.text()


def test_import_and_remove(qtbot, tmp_path: Path, default_model: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelsDialog(store=ModelStore(folder=tmp_path / "models"), catalog=load_catalog()[1:2])
    qtbot.addWidget(dialog)
    junk = tmp_path / "junk.gguf"
    junk.write_text("not a model")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(junk), ""))
    dialog.buttons["Import file…"].click()
    assert "not a GGUF model file" in dialog.message.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(default_model), ""))
    dialog.buttons["Import file…"].click()
    assert "Imported" in dialog.message.text() and dialog.table.rowCount() == 2
    dialog.table.selectRow(1)
    dialog.buttons["Verify"].click()
    assert "complete" in dialog.message.text()
    dialog.buttons["Remove"].click()
    assert dialog.table.rowCount() == 1


def test_downloads_can_be_turned_off(qtbot, tmp_path: Path, hub: HubServer) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelsDialog(
        store=ModelStore(folder=tmp_path), catalog=[tiny_entry(hub)], downloads_allowed=False
    )
    qtbot.addWidget(dialog)
    dialog.select_id("tiny")
    assert not dialog.buttons["Download"].isEnabled()
