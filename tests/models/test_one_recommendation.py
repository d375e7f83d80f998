"""One model recommendation everywhere (issue 26): the app's Models window, `tutor doctor` and `tutor models
recommend` all call ``tutor.models.advice.recommendation``, which weighs memory and speed, so a 2-core machine
with plenty of memory is never sent an 8B model and the three say the same thing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tutor import doctor, system
from tutor.models import advice, speed
from tutor.models.advice import estimated_speed, recommendation, remember_speed, remembered_speed
from tutor.models.catalog import load_catalog

ENTRIES = load_catalog()
BUILD_MACHINE = speed.Reference(41.0, 253_000_000)  # the embedded model measured on the 2-core build machine


@pytest.fixture
def two_cores_24_gb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The machine of the issue: 2 cores, 24 GB free (the hardware figures are the only thing replaced)."""
    monkeypatch.setattr(system, "memory_gib", lambda: (32.0, 24.0))
    monkeypatch.setattr(system, "default_threads", lambda: 2)
    monkeypatch.setattr(advice, "speed_path", lambda: tmp_path / "speed.json")


def test_two_cores_are_never_sent_an_8b_model_measured_or_not() -> None:
    for measured in (None, BUILD_MACHINE):
        chosen = recommendation(24.0, cores=2, measured=measured, entries=ENTRIES)
        assert chosen.entry.billions < 3 and chosen.hint_s <= 30, chosen
    assert recommendation(24.0, cores=1, entries=ENTRIES).entry.billions < 3
    assert recommendation(24.0, cores=16, entries=ENTRIES).entry.billions >= 3  # a big machine gets more
    assert recommendation(2.0, cores=16, entries=ENTRIES).entry.ram_gb <= 2.0 * 0.6  # memory still bounds it
    assert estimated_speed(2, ENTRIES).tok_s == pytest.approx(41.0)  # the estimate is the build machine's


def test_the_app_doctor_and_models_recommend_agree(
    two_cores_24_gb: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], qtbot
) -> None:  # type: ignore[no-untyped-def]
    from tutor.cli_models import _recommend
    from ui.models_dialog import ModelsDialog

    expected = recommendation().entry
    assert expected.billions < 3
    from_doctor = doctor.recommended()
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    # `models recommend` measures the embedded model (a few seconds of it); here, the build machine's figure
    monkeypatch.setattr(speed, "measure_reference", lambda: BUILD_MACHINE)
    _recommend(argparse.Namespace(json=True), 24.0)
    from_cli = json.loads(capsys.readouterr().out)
    assert from_doctor.startswith(expected.id + ":") and "2 cores" in from_doctor
    assert dialog.recommended.id == expected.id and expected.name in dialog.summary.text()
    assert from_cli["recommended"]["id"] == expected.id and from_cli["speed"] == "measured"
    # the measurement is kept, so doctor and the app now say "measured" too, with the same model
    assert remembered_speed(2) == BUILD_MACHINE and "measured" in doctor.recommended()
    assert recommendation().entry.id == expected.id


def test_a_remembered_speed_of_other_cores_or_broken_is_not_used(
    two_cores_24_gb: None, tmp_path: Path
) -> None:
    remember_speed(BUILD_MACHINE, cores=8)
    assert remembered_speed(2) is None and recommendation().speed == "estimated from 2 cores"
    (tmp_path / "speed.json").write_text("{not json")
    assert remembered_speed(2) is None
