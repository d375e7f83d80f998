"""The status bar's permanent part: the engine choice, the model's loading progress, and the engine and model in
use with the speed of the last hint."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QStatusBar

from tutor.engines.base import EngineInfo

ENGINES = (("Engine: auto", "auto"), ("Engine: native", "native"), ("Engine: browser", "browser"))


class StatusPanel(QObject):
    """Puts its widgets into ``bar``. ``engine_chosen(name)`` when the learner picks another engine."""

    engine_chosen = Signal(str)

    def __init__(self, bar: QStatusBar, engine: str) -> None:
        super().__init__(bar)
        self.info: EngineInfo | None = None
        self.engine_label = QLabel("Model: preparing…")
        self.model_progress = QProgressBar()
        self.model_progress.setMaximum(100)
        self.model_progress.setMaximumWidth(220)
        self.model_progress.setFormat("Model %p%")
        self.engine_choice = QComboBox()
        self.engine_choice.setAccessibleName("Engine")
        for label, value in ENGINES:
            self.engine_choice.addItem(label, value)
        self.engine_choice.setCurrentIndex(max(0, self.engine_choice.findData(engine)))
        self.engine_choice.currentIndexChanged.connect(
            lambda index: self.engine_chosen.emit(self.engine_choice.itemData(index))
        )
        for widget in (self.engine_choice, self.model_progress, self.engine_label):
            bar.addPermanentWidget(widget)

    def loading(self, message: str = "Loading the chosen model…") -> None:
        self.info = None
        self.model_progress.setValue(0)
        self.model_progress.setVisible(True)
        self.engine_label.setText(message)

    def show_progress(self, percent: int, message: str) -> None:
        self.model_progress.setValue(percent)
        self.engine_label.setText(message)

    def show_ready(self, info: EngineInfo) -> None:
        self.info = info
        self.model_progress.setVisible(False)
        self.engine_label.setText(self._describe(info))

    def show_failed(self) -> None:
        self.model_progress.setVisible(False)
        self.engine_label.setText("Model unavailable")

    def set_speed(self, tokens: int, seconds: float) -> None:
        """The model's speed on the last hint, next to the engine and model names."""
        if self.info and tokens and seconds:
            self.engine_label.setText(f"{self._describe(self.info)} · {tokens / seconds:.1f} tokens/s")

    @staticmethod
    def _describe(info: EngineInfo) -> str:
        return f"Engine: {info.name} ({info.backend}, {info.threads} threads) · Model: {info.model_name}"
