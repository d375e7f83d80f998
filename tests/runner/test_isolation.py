"""Finding and probing the OS sandbox, and saying so when it cannot start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.runner import sandbox_status
from tutor.runner.seccomp import filter_program
from tutor.session import Session

from ..conftest import is_root


def test_a_missing_bubblewrap_is_said_once_with_the_reason(no_os_sandbox: None) -> None:
    state = sandbox_status()
    assert not state.available and "TUTOR_BWRAP" in state.reason
    assert "WITHOUT an OS sandbox" in state.summary
    notice = Session().sandbox_notice()
    assert notice.startswith("Your code runs without an OS sandbox") and notice.endswith(".")


def test_doctor_reports_the_sandbox(no_os_sandbox: None) -> None:
    from tutor.doctor import diagnose

    assert "WITHOUT an OS sandbox" in diagnose(probe_browser=False)["sandbox"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux's")
def test_bubblewrap_is_found_and_works_here() -> None:
    sandbox_status.cache_clear()
    assert sandbox_status().available, sandbox_status().reason
    assert Session().sandbox_notice() == ""


def test_seccomp_programs_exist_for_the_known_machines_only() -> None:
    for machine in ("x86_64", "amd64", "aarch64", "arm64"):
        program = filter_program(machine)
        assert program is not None and len(program) % 8 == 0 and len(program) // 8 < 256
    assert filter_program("riscv64") is None


@pytest.mark.skipif(
    not (is_root() and shutil.which("setpriv") and Path("/usr/bin/python3").exists()),
    reason="needs root to become a plain user, setpriv and a system Python a plain user can read",
)
def test_the_sandbox_of_a_plain_user_has_no_privileges_network_or_home(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A learner's own account (not root): bubblewrap runs in a user namespace. Started here as nobody, with
    the command line the runner builds for a non-root user and the system's Python."""
    import tutor.runner.isolation as isolation

    monkeypatch.setattr(isolation, "running_as_root", lambda: False)
    monkeypatch.setattr(isolation, "python_dirs", lambda: [os.path.realpath("/usr/lib/python3")])
    probe = (
        "import os, socket\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1); net = 'up'\n"
        "except OSError:\n    net = 'none'\n"
        "open('/tmp/work/x', 'w').write('ok')\n"
        "print(os.getuid(), net, os.path.exists('/root'), os.path.exists('/work'), sorted(os.listdir('/tmp')))\n"
    )
    tool = sandbox_status().tool
    command = isolation.sandbox_command(tool, ["/usr/bin/python3", "-I", "-S", "-c", probe], None, None)
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65534", "none", "False", "False", "['work']"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux's")
def test_an_app_installed_under_tmp_stays_visible_in_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox's private /tmp must not hide an app unpacked under /tmp (a CI clone, a portable copy): the
    frozen app's folder is bound on top of the tmpfs."""
    import tutor.runner.isolation as isolation

    app = tmp_path / "offline-tutor"
    app.mkdir()
    (app / "marker").write_text("here")
    real_dirs = isolation.python_dirs()
    monkeypatch.setattr(isolation, "python_dirs", lambda: [*real_dirs, str(app)])
    python = os.path.realpath(sys.executable)
    probe = f"print(open({str(app / 'marker')!r}).read())"
    command = isolation.sandbox_command(sandbox_status().tool, [python, "-I", "-S", "-c", probe], None, None)
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "here", result.stderr
