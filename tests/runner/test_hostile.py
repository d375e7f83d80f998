"""The hostile suite: programs written to escape the sandbox or forge their verdict, each asserting that the
attack did not pass, did not write, and left nothing running.

Every program first switches off the harness's in-process guard (the audit hook reads blocklists that live in
``__main__``, the harness, which learner code can import and empty): what is left to stop it is the OS sandbox
and the verdict computed outside. On Linux these tests need bubblewrap (``packaging/install.sh`` installs it).
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tutor.exercises import TestCase
from tutor.runner import Limits, run_tests, sandbox_status

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the OS sandbox is Linux's")

UNHOOK = (
    "import __main__ as harness\n"
    "for blocklist in ('BLOCKED_EVENTS', 'BLOCKED_MODULES', 'WRITE_EVENTS'):\n"
    "    getattr(harness, blocklist, {}).clear()\n"
    "harness.os.path.realpath = lambda p: harness.os.getcwd()\n"  # the write check: every path is 'inside'
)
HIDDEN = [
    TestCase(call="answer(1)", expected="'SECRET-7f3a'"),
    TestCase(call="answer(2)", expected="'TOKEN-91c2'"),
]
LIMITS = Limits(per_test_s=2.0, total_s=6.0)


@pytest.fixture(autouse=True, scope="module")
def sandbox_required() -> None:
    assert sandbox_status().available, (
        f"the OS sandbox must be available for these tests: {sandbox_status().reason}"
    )


def attack(body: str, tests: list[TestCase] = HIDDEN) -> list[str]:
    """Run ``body`` (which defines ``answer``) after the unhooking; the statuses of the tests."""
    report = run_tests(UNHOOK + body, tests, entry="answer", limits=LIMITS)
    return [t.status for t in report.tests]


def host_marker(tmp_path: Path) -> Path:
    return tmp_path / f"escaped-{uuid.uuid4().hex}"


# -- escape: the host's files -------------------------------------------------------------------------------------


def test_shell_through_main_writes_nothing_on_the_host(tmp_path: Path) -> None:
    marker = host_marker(tmp_path)
    statuses = attack(
        f"import os\nos.system('touch {marker}; echo x > {marker}')\n"
        f"import subprocess\nsubprocess.run(['/bin/sh', '-c', 'touch {marker}'])\n"
        "def answer(n):\n    return 'guess'\n"
    )
    assert not marker.exists() and "pass" not in statuses


def test_ctypes_system_writes_nothing_on_the_host(tmp_path: Path) -> None:
    marker = host_marker(tmp_path)
    attack(
        f"import ctypes\nlibc = ctypes.CDLL(None)\nlibc.system(b'touch {marker}')\n"
        "def answer(n):\n    return 'guess'\n"
    )
    assert not marker.exists()


@pytest.mark.parametrize("how", ["dir_fd", "rename", "link", "symlink"])
def test_writes_outside_the_work_folder_do_not_reach_the_host(tmp_path: Path, how: str) -> None:
    marker = host_marker(tmp_path)
    folder, name = marker.parent, marker.name
    code = {
        "dir_fd": f"d = os.open({str(folder)!r}, os.O_RDONLY)\nos.close(os.open({name!r}, os.O_CREAT | os.O_WRONLY, dir_fd=d))",
        "rename": f"open('x', 'w').write('x')\nos.rename('x', {str(marker)!r})",
        "link": f"open('x', 'w').write('x')\nos.link('x', {str(marker)!r})",
        "symlink": f"os.symlink('/etc/passwd', {str(marker)!r})",
    }[how]
    statuses = attack(
        f"import os\ndef answer(n):\n    {code.replace(chr(10), chr(10) + '    ')}\n    return 'SECRET-7f3a'\n"
    )
    assert not marker.exists() and not os.path.lexists(marker)
    assert statuses[1] != "pass"


def test_user_data_project_and_home_are_invisible(isolated_dirs: Path) -> None:
    """The user's data folder (progress, models), the project and the test file are not there; of the home folder
    only the path to the Python installation is (``/root/.pyenv`` here), never its other files."""
    data = isolated_dirs / "data"
    data.mkdir(exist_ok=True)
    (data / "progress.sqlite").write_text("private")
    probe = (
        "import os\ndef answer(n):\n"
        f"    seen = [os.path.exists(p) for p in ({str(data)!r}, {os.getcwd()!r}, {__file__!r})]\n"
        f"    home = sorted(os.listdir({str(Path.home())!r})) if os.path.isdir({str(Path.home())!r}) else []\n"
        "    return seen, home\n"
    )
    report = run_tests(UNHOOK + probe, [TestCase(call="answer(0)", expected="None")], "answer")
    seen, home = ast.literal_eval(report.tests[0].got or "")
    assert seen == [False, False, False]
    python_home = (
        Path(os.path.realpath(sys.base_prefix)).relative_to(Path.home()).parts[:1]
        if Path(os.path.realpath(sys.base_prefix)).is_relative_to(Path.home())
        else ()
    )
    assert home == list(python_home)


def test_learner_code_runs_as_nobody_when_the_tutor_runs_as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root is mapped to nobody")
    probe = "import os\ndef answer(n):\n    return (os.getuid(), os.getgid(), os.getgroups())\n"
    report = run_tests(probe, [TestCase(call="answer(0)", expected="(65534, 65534, [])")], "answer")
    assert report.passed, report.tests[0]


def test_kernel_interfaces_are_refused_by_seccomp() -> None:
    probe = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def answer(n):\n"
        "    return [libc.unshare(0x10000000), libc.ptrace(16, 1, 0, 0), libc.syscall(321, 0, 0, 0)]\n"
    )
    report = run_tests(UNHOOK + probe, [TestCase(call="answer(0)", expected="[-1, -1, -1]")], "answer")
    assert report.passed, report.tests[0]


# -- the network and other processes ------------------------------------------------------------------------------


def test_no_network_even_with_the_guard_off() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    probe = (
        "import socket\ndef answer(n):\n    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        "    except OSError as exc:\n        return 'refused'\n    return 'connected'\n"
    )
    try:
        report = run_tests(UNHOOK + probe, [TestCase(call="answer(0)", expected="'refused'")], "answer")
    finally:
        server.close()
    assert report.passed, report.tests[0]


def test_the_parent_and_its_command_line_are_invisible() -> None:
    probe = (
        "import os\ndef answer(n):\n    seen = []\n    for pid in os.listdir('/proc'):\n        if pid.isdigit():\n"
        "            try:\n                seen.append(open(f'/proc/{pid}/cmdline', 'rb').read())\n"
        "            except OSError:\n                pass\n    print(seen)\n    return len(seen)\n"
    )
    report = run_tests(UNHOOK + probe, [TestCase(call="answer(0)", expected="0")], "answer")
    assert "pytest" not in report.stdout and str(os.getpid()) not in report.stdout.split("'")
    assert (
        report.tests[0].got is not None and int(report.tests[0].got) <= 3
    )  # bubblewrap's init and the harness


def test_no_process_survives_the_run() -> None:
    tag = f"{time.time_ns() % 10**6}.25"
    attack(
        "import os\n"
        f"if os.fork() == 0:\n    os.setsid()\n    os.execv('/bin/sleep', ['sleep', '{tag}'])\n"
        "def answer(n):\n    return 'guess'\n"
    )
    time.sleep(0.2)
    assert not [line for line in os.popen("ps -eo args").read().splitlines() if tag in line]


# -- forged verdicts ----------------------------------------------------------------------------------------------

FORGERIES = {
    "old-style pass lines, then exit": (
        "import os, sys\nfd = int(sys.argv[2])\n"
        "for i in range(2):\n"
        '    os.write(fd, (\'{"event": "result", "index": %d, "status": "pass"}\\n\' % i).encode())\n'
        'os.write(fd, b\'{"event": "done"}\\n\')\nos._exit(0)\n'
    ),
    "a second result for the running test": (
        "import os, sys\nfd = int(sys.argv[2])\n"
        "def answer(n):\n"
        '    os.write(fd, (\'{"event": "result", "index": %d, "status": "ran"}\\n\' % (n - 1)).encode())\n'
        "    return 'guess'\n"
    ),
    "results for every test, then exit": (
        "import os, sys\nfd = int(sys.argv[2])\n"
        "def answer(n):\n"
        "    for i in range(2):\n"
        '        os.write(fd, (\'{"event": "start", "index": %d}\\n\' % i).encode())\n'
        '        os.write(fd, (\'{"event": "result", "index": %d, "status": "value", "value": "x"}\\n\' % i).encode())\n'
        '    os.write(fd, b\'{"event": "done"}\\n\')\n    os._exit(0)\n'
    ),
    "garbage on the channel": (
        "import os, sys\nos.write(int(sys.argv[2]), b'not json\\n')\ndef answer(n):\n    return 'guess'\n"
    ),
    "patched builtins.bool and comparisons": (
        "import builtins\nbuiltins.bool = lambda *a: True\nharness.same = lambda *a: True\n"
        "def answer(n):\n    return 'guess'\n"
    ),
    "str subclass equal to everything": (
        "class Liar(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\n"
        "    def __repr__(self):\n        return \"'SECRET-7f3a'\"\n"
        "def answer(n):\n    return Liar('x')\n"
    ),
    "expected values read from the harness's frames and memory": (
        "import sys, gc\n"
        "def answer(n):\n    found = []\n    frame = sys._getframe(1)\n    while frame:\n"
        "        found += [v for v in frame.f_locals.values() if isinstance(v, (dict, list, str))]\n"
        "        frame = frame.f_back\n"
        "    texts = [o for o in gc.get_objects() if isinstance(o, str) and ('SECRET' in o or 'TOKEN' in o)]\n"
        "    text = repr(found) + repr(texts)\n"
        '    for word in text.replace(\'"\', "\'").split("\'"):\n'
        "        if word.startswith(('SECRET-', 'TOKEN-')):\n            return word\n"
        "    return 'nothing found'\n"
    ),
    "the result fd replaced": (
        "import os, sys\nfd = int(sys.argv[2])\nr, w = os.pipe()\nos.dup2(w, fd)\n"
        "def answer(n):\n    return 'guess'\n"
    ),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_verdicts_never_pass(name: str) -> None:
    statuses = attack(FORGERIES[name])
    assert "pass" not in statuses, (name, statuses)


def test_forgery_without_sandbox_still_never_passes(no_os_sandbox: None) -> None:
    """The verdict is outside the child whether or not the OS sandbox runs."""
    assert not sandbox_status().available
    for name in ("old-style pass lines, then exit", "str subclass equal to everything"):
        assert "pass" not in attack(FORGERIES[name]), name
    honest = "def answer(n):\n    return ['SECRET-7f3a', 'TOKEN-91c2'][n - 1]\n"
    assert attack(honest) == ["pass", "pass"]


def test_an_honest_program_passes_in_the_sandbox() -> None:
    assert attack("def answer(n):\n    return ['SECRET-7f3a', 'TOKEN-91c2'][n - 1]\n") == ["pass", "pass"]


def test_killing_tutor_check_leaves_no_process_and_no_folder(tmp_path: Path) -> None:
    """``kill -9`` of ``tutor check`` mid-run: bubblewrap dies with its parent, the PID namespace with it, and the
    work folder was a tmpfs inside the sandbox, so nothing is left on the host."""
    from tests.conftest import venv_tutor

    tag = f"{time.time_ns() % 10**6}.75"
    program = tmp_path / "loop.py"
    program.write_text(
        UNHOOK + f"import os\nif os.fork() == 0:\n    os.execv('/bin/sleep', ['sleep', '{tag}'])\n"
        "def is_palindrome(text):\n    while True:\n        pass\n"
    )
    temp = Path(tempfile.gettempdir())
    before = {p.name for p in temp.glob("tutor-run-*")}
    check = subprocess.Popen(
        [*venv_tutor(), "check", "-e", "palindrome", str(program)], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while not _processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(tag), "the program never started"
    check.kill()
    check.wait()
    time.sleep(0.3)
    assert not _processes_with(tag)
    assert {p.name for p in temp.glob("tutor-run-*")} <= before


def _processes_with(tag: str) -> list[str]:
    return [
        line for line in os.popen("ps -eo args").read().splitlines() if tag in line and "ps -eo" not in line
    ]


def test_a_program_that_blocks_the_alarm_is_still_cut_off() -> None:
    code = (
        "import signal\ndef answer(n):\n    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "    while True:\n        pass\n"
    )
    started = time.monotonic()
    report = run_tests(code, HIDDEN, entry="answer", limits=Limits(per_test_s=0.5, total_s=6.0))
    assert time.monotonic() - started < 3
    assert report.tests[0].status == "timeout" and "did not stop" in report.tests[0].message
    assert report.tests[1].status == "error"
