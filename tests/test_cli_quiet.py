"""Quieter, truer CLI output (issue 26): the engine line only under --verbose; a syntax error where it is."""

from __future__ import annotations

from tutor.cli import build_parser
from tutor.cli_common import engine_line
from tutor.engines.select import AUTO_REASON, choose


def test_the_engine_line_only_under_verbose() -> None:
    parser = build_parser()
    choice = choose("auto")
    quiet = parser.parse_args(["hint", "code.py", "-e", "fizzbuzz"])
    verbose = parser.parse_args(["hint", "code.py", "-e", "fizzbuzz", "--verbose"])
    as_json = parser.parse_args(["hint", "code.py", "-e", "fizzbuzz", "--verbose", "--json"])
    assert engine_line(quiet, choice.name, choice.reason) == ""
    assert engine_line(verbose, choice.name, choice.reason) == f"engine: native ({AUTO_REASON})"
    assert engine_line(as_json, choice.name, choice.reason) == ""
    asked = parser.parse_args(["hint", "code.py", "-e", "fizzbuzz", "--verbose", "--engine", "native"])
    assert engine_line(asked, "native", "asked for") == "engine: native"


def test_tutor_check_places_an_indentation_error_on_its_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    code = tmp_path / "code.py"
    code.write_text('def grade_letter(score):\n    if score >= 90:\n    return "A"  # the if has no body\n')
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "check", str(code), "-e", "grade_letter"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert "at line 3, it says" in result.stdout and "column" not in result.stdout
    assert "line 3 should start further right than line 2" in result.stdout
