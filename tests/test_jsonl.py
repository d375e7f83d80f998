"""``tutor.jsonl``: rows round-trip, a broken line names its file and line, a write is all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.jsonl import JsonlError, append_jsonl, read_jsonl, write_jsonl


def test_rows_round_trip_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    assert write_jsonl(path, [{"a": 1}, {"b": "é"}]) == 2
    append_jsonl(path, [{"c": [1, 2]}])
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert read_jsonl(path) == [{"a": 1}, {"b": "é"}, {"c": [1, 2]}]
    assert "é" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]"])
def test_a_broken_line_names_the_file_and_line(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"ok": true}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(JsonlError, match=r"labels\.jsonl:2: not a label"):
        read_jsonl(path, "label")


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    write_jsonl(path, [{"old": 1}])

    def rows():  # type: ignore[no-untyped-def]
        yield {"new": 1}
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_jsonl(path, rows())
    assert read_jsonl(path) == [{"old": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["set.jsonl"]


def test_a_written_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    import os

    path = tmp_path / "shared.jsonl"
    write_jsonl(path, [{"a": 1}])
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
