"""Quieter CLI hint output (issue 26): the engine line ("engine: native (auto means ...)") only under --verbose."""

from __future__ import annotations

from tutor.cli import build_parser, engine_line
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
