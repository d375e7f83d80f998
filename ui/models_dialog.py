"""The Models dialog: the catalog and the models on this machine, with download (progress, speed, time left,
cancel), import, remove, verify and "use". Downloads run in a worker thread; widgets change only on signals."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tutor.models.advice import recommendation
from tutor.models.catalog import CatalogEntry, load_catalog
from tutor.models.download import DownloadCancelled, DownloadError, Progress, download
from tutor.models.store import LocalModel, ModelStore, StoreError
from tutor.settings import Settings
from tutor.system import memory_gib

COLUMNS = ["Model", "Size", "Quant", "RAM", "License", "Status"]


class _DownloadWorker(QObject):
    progress = Signal(object)  # Progress
    finished = Signal(str)  # path
    failed = Signal(str)

    def __init__(self, entry: CatalogEntry, root: Path | None, endpoint: str | None) -> None:
        super().__init__()
        self.entry, self.root, self.endpoint = entry, root, endpoint
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            path = download(
                self.entry.reference,
                expected_sha256=self.entry.sha256 or None,
                progress=self.progress.emit,
                cancel=self.cancel,
                root=self.root,
                endpoint=self.endpoint,
            )
            self.finished.emit(str(path))
        except (DownloadError, DownloadCancelled) as exc:
            self.failed.emit(str(exc))


class ModelsDialog(QDialog):
    model_chosen = Signal(str)  # path ("" = the embedded default)
    download_done = Signal(bool, str)  # ok, message

    def __init__(
        self,
        parent: QWidget | None = None,
        store: ModelStore | None = None,
        catalog: list[CatalogEntry] | None = None,
        downloads_allowed: bool = True,
        endpoint: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 420)
        self.store = store or ModelStore()
        self.catalog = catalog or load_catalog()
        self.downloads_allowed = downloads_allowed
        self.endpoint = endpoint or None
        self.available_gb = memory_gib()[1]
        self._thread: QThread | None = None
        self._worker: _DownloadWorker | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Models")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        advice = recommendation(self.available_gb, entries=self.catalog)  # as doctor and the CLI say
        note = "" if downloads_allowed else " Downloads are turned off by your school's policy."
        self.summary = QLabel(f"Recommended here: <b>{advice.entry.name}</b> ({advice.why()}).{note}")
        self.recommended = advice.entry
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximum(1000)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, slot in (
            ("Download", self.start_download),
            ("Cancel download", self.cancel_download),
            ("Import file…", self.import_file),
            ("Use", self.use_selected),
            ("Verify", self.verify_selected),
            ("Remove", self.remove_selected),
            ("Close", self.accept),
        ):
            button = QPushButton(name)
            button.clicked.connect(slot)
            self.buttons[name] = button
            row.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.table, self.progress, self.message):
            layout.addWidget(widget)
        layout.addLayout(row)
        self.refresh()

    # -- table -------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        local = {m.path.name: m for m in self.store.list()}
        active = Settings.load().model_path
        self.rows: list[tuple[CatalogEntry | None, LocalModel | None]] = []
        for listed in self.catalog:
            self.rows.append((listed, local.pop(listed.file, None)))  # built-in or downloaded: by file name
        self.rows += [(None, model) for model in local.values()]
        self.table.setRowCount(len(self.rows))
        for row, (entry, model) in enumerate(self.rows):
            status = self._status(entry, model, active)
            cells = [
                entry.name
                if entry
                else f"{model.info.name if model and model.info else model.id}  ({model.source})"
                if model
                else "",
                f"{entry.size_mb} MB"
                if entry
                else (f"{model.path.stat().st_size / 2**20:.0f} MB" if model else ""),
                entry.quantization if entry else (model.info.quantization if model and model.info else "?"),
                f"{entry.ram_gb} GB" if entry else "",
                entry.license if entry else "",
                status,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(entry.repo if entry and column == 0 else text)
                self.table.setItem(row, column, item)
        self._update_buttons()

    def _status(self, entry: CatalogEntry | None, model: LocalModel | None, active: str) -> str:
        if model is not None:
            is_active = str(model.path) == active or (not active and model.id == "default")
            return (
                "active" if is_active else ("installed" if not model.problem else f"damaged: {model.problem}")
            )
        if entry is not None and not entry.fits(self.available_gb):
            return "does not fit in memory"
        return "available to download"

    def selected(self) -> tuple[CatalogEntry | None, LocalModel | None]:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else (None, None)

    def select_id(self, model_id: str) -> None:
        for row, (entry, model) in enumerate(self.rows):
            if (entry and entry.id == model_id) or (model and model.id == model_id):
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        entry, model = self.selected()
        busy = self._thread is not None
        self.buttons["Download"].setEnabled(
            bool(entry and not model and entry.source == "hub" and not busy and self.downloads_allowed)
        )
        self.buttons["Cancel download"].setEnabled(busy)
        self.buttons["Use"].setEnabled(model is not None and not model.problem)
        self.buttons["Verify"].setEnabled(model is not None)
        self.buttons["Remove"].setEnabled(model is not None and not model.read_only)

    # -- actions -----------------------------------------------------------------------------------------------
    def start_download(self) -> None:
        entry, _ = self.selected()
        if entry is None or self._thread is not None:
            return
        if not entry.fits(self.available_gb):
            self.message.setText(
                f"Warning: {entry.name} needs {entry.ram_gb} GB of memory; "
                f"{self.available_gb:.1f} GB are free."
            )
        self._thread = QThread(self)
        self._worker = _DownloadWorker(entry, self.store.folder, self.endpoint)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._thread.start()
        self._update_buttons()

    def cancel_download(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(int(1000 * progress.done / max(progress.total, 1)))
        eta = f", {progress.eta_s:.0f} s left" if progress.eta_s is not None else ""
        self.progress.setFormat(
            f"{progress.done / 2**20:.0f} of {progress.total / 2**20:.0f} MB · "
            f"{progress.speed_bps / 2**20:.1f} MB/s{eta}"
        )

    def _on_finished(self, path: str) -> None:
        self._end_download()
        self.message.setText(f"Downloaded and verified: {Path(path).name}")
        self.refresh()
        self.download_done.emit(True, path)

    def _on_failed(self, message: str) -> None:
        self._end_download()
        self.message.setText(message)
        self.download_done.emit(False, message)

    def _end_download(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._thread, self._worker = None, None
        self.progress.setVisible(False)
        self._update_buttons()

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a GGUF model", str(Path.home()), "GGUF models (*.gguf)"
        )
        if not path:
            return
        try:
            model = self.store.import_file(Path(path))
            self.message.setText(f"Imported {model.id}.")
        except StoreError as exc:
            self.message.setText(str(exc))
        self.refresh()

    def use_selected(self) -> None:
        _, model = self.selected()
        if model is None:
            return
        settings = Settings.load()
        settings.model_path = "" if model.source == "embedded" else str(model.path)
        settings.save()
        self.message.setText(f"{model.id} will be used for hints.")
        self.refresh()
        self.model_chosen.emit(settings.model_path)

    def verify_selected(self) -> None:
        _, model = self.selected()
        if model is not None:
            try:
                self.store.verify(model.id)
                self.message.setText(f"{model.id}: the file is complete and readable.")
            except StoreError as exc:
                self.message.setText(str(exc))

    def remove_selected(self) -> None:
        _, model = self.selected()
        if model is not None:
            try:
                self.store.remove(model.id)
                self.message.setText(f"Removed {model.id}.")
            except StoreError as exc:
                self.message.setText(str(exc))
            self.refresh()

    def done(self, result: int) -> None:  # noqa: D401 - Qt's name
        self.cancel_download()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)
        super().done(result)
