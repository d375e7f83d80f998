"""Finding and probing the OS sandbox, and saying so when it cannot start."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tutor.runner import isolation
from tutor.runner.seccomp import filter_program
from tutor.session import Session


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TUTOR_BWRAP", "/nonexistent/bwrap")
    isolation.cache_clear()
    yield
    monkeypatch.undo()
    isolation.cache_clear()


def test_a_missing_bubblewrap_is_said_once_with_the_reason(no_bwrap: None) -> None:
    state = isolation()
    assert not state.available and "TUTOR_BWRAP" in state.reason
    assert "WITHOUT an OS sandbox" in state.summary
    notice = Session().sandbox_notice()
    assert notice.startswith("Your code runs without an OS sandbox") and notice.endswith(".")


def test_doctor_reports_the_sandbox(no_bwrap: None) -> None:
    from tutor.doctor import diagnose

    assert "WITHOUT an OS sandbox" in diagnose(probe_browser=False)["sandbox"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux's")
def test_bubblewrap_is_found_and_works_here() -> None:
    isolation.cache_clear()
    assert isolation().available, isolation().reason
    assert Session().sandbox_notice() == ""


def test_seccomp_programs_exist_for_the_known_machines_only() -> None:
    for machine in ("x86_64", "amd64", "aarch64", "arm64"):
        program = filter_program(machine)
        assert program is not None and len(program) % 8 == 0 and len(program) // 8 < 256
    assert filter_program("riscv64") is None
