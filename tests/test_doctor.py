"""`tutor doctor` ends with one line: "ready" or what to fix first (issue 26)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tutor.doctor_verdict import READY, verdict

from .conftest import ROOT

HEALTHY = {
    "llama_cpp": {"available": True},
    "cpu": {"code_path": "haswell"},
    "model": {"name": "default", "prepared": True},
    "exercises": "16 bundled, 0 errors",
    "sandbox": "learner code runs in an OS sandbox (bubblewrap: /usr/bin/bwrap)",
    "policy": {"file": "none (no school policy)"},
}


def test_a_healthy_machine_is_ready() -> None:
    assert verdict(HEALTHY) == READY


def test_the_first_thing_to_fix_is_named() -> None:
    cases = [
        (
            {"policy": {"error": "policy.toml, line 2: unknown key hints.quota"}},
            "the school policy file has an error",
        ),
        (
            {"llama_cpp": {"available": False, "error": "No module named 'llama_cpp'"}},
            "llama.cpp cannot be imported",
        ),
        ({"model": {"path": "/x.gguf", "exists": False}}, "the model file /x.gguf does not exist"),
        ({"exercises": "15 bundled, 1 error"}, "1 error in the bundled exercises"),
        ({"sandbox": "learner code runs WITHOUT an OS sandbox: bwrap not found"}, "install bubblewrap"),
    ]
    for change, words in cases:
        line = verdict({**HEALTHY, **change})
        assert line.startswith("fix first: ") and words in line and "\n" not in line, line
    both = verdict({**HEALTHY, **cases[0][0], **cases[4][0]})
    assert "policy" in both and "bubblewrap" not in both  # the policy first: it turns hints and models off


def test_tutor_doctor_ends_with_the_verdict() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    text = subprocess.run(
        [sys.executable, "-m", "ui.cli", "doctor", "--engine", "native"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    data = subprocess.run(
        [sys.executable, "-m", "ui.cli", "doctor", "--engine", "native", "--json"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    last = text.stdout.strip().splitlines()[-1]
    assert last == json.loads(data.stdout)["verdict"]
    assert last == READY or last.startswith("fix first: ")
