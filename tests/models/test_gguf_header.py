"""GGUF headers are read without loading the model; bad files are refused with a clear reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.models.gguf_header import GGUFError, read_header


def test_reads_the_real_default_model(default_model: Path) -> None:
    info = read_header(default_model)
    assert (info.architecture, info.quantization, info.context_length) == ("gemma3", "Q4_K_M", 32768)
    assert 260e6 < info.parameters < 280e6 and info.parameters_label == "268M"
    assert info.chat_template is None and info.file_size == default_model.stat().st_size


def test_reads_a_chat_template(chat_model: Path) -> None:
    assert "start_of_turn" in (read_header(chat_model).chat_template or "")


@pytest.mark.parametrize(
    ("keep", "message"), [(200_000_000, "incomplete"), (3_000_000, "truncated"), (2, "not a GGUF")]
)
def test_truncated_files_are_refused(tmp_path: Path, default_model: Path, keep: int, message: str) -> None:
    cut = tmp_path / "cut.gguf"
    with default_model.open("rb") as src:
        cut.write_bytes(src.read(keep))
    with pytest.raises(GGUFError, match=message):
        read_header(cut)


def test_other_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("just some text")
    with pytest.raises(GGUFError, match="not a GGUF model file"):
        read_header(text)
    with pytest.raises(GGUFError, match="cannot read"):
        read_header(tmp_path / "missing.gguf")
