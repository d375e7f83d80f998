"""The sandboxed runner: per-test results, comparisons, syntax errors, and hostile programs."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from tutor.exercises import TestCase
from tutor.runner import Limits, run_tests

ONE = [TestCase(call="f()", expected="1")]
FAST = Limits(per_test_s=1.0, total_s=3.0)


def first(code: str, tests=ONE, limits: Limits = FAST, **kw):  # type: ignore[no-untyped-def]
    return run_tests(code, tests, entry="f", limits=limits, **kw).tests[0]


def test_results_carry_expected_got_message_and_line() -> None:
    code = "def f(x):\n    if x > 2:\n        return 1 / 0\n    return x * 2\n"
    tests = [
        TestCase(call="f(1)", expected="2"),
        TestCase(call="f(2)", expected="5"),
        TestCase(call="f(3)", expected="0"),
    ]
    report = run_tests(code, tests, entry="f")
    passed, failed, errored = report.tests
    assert passed.status == "pass" and passed.got == "2"
    assert failed.status == "fail" and failed.expected == "5" and failed.got == "4"
    assert errored.status == "error" and errored.exception == "ZeroDivisionError" and errored.line == 3
    assert "division by zero" in errored.message
    assert report.first_failure is failed and not report.passed


def test_one_child_process_runs_all_tests_of_a_run() -> None:
    code = "calls = []\ndef f():\n    calls.append(1)\n    return len(calls)\n"
    tests = [TestCase(call="f()", expected=str(n)) for n in (1, 2, 3)]
    assert run_tests(code, tests, entry="f").passed  # state survives between tests: one process


def test_values_compare_as_python_literals_and_generators_as_lists() -> None:
    assert first(
        "def f():\n    return (x for x in [1, 2])\n", [TestCase(call="f()", expected="[1, 2]")]
    ).passed
    assert first(
        "def f():\n    return {'b': 2, 'a': 1}\n", [TestCase(call="f()", expected="{'a': 1, 'b': 2}")]
    ).passed
    assert first("def f():\n    return 0.1 + 0.2\n", [TestCase(call="f()", expected="0.3")]).passed
    assert not first("def f():\n    return '1'\n").passed


def test_assert_statement_tests() -> None:
    tests = [TestCase(code="assert f() == 1"), TestCase(code="assert f() == 2, 'needs two'")]
    report = run_tests("def f():\n    return 1\n", tests, entry="f")
    assert report.tests[0].passed
    assert report.tests[1].status == "fail" and "needs two" in report.tests[1].message


def test_long_values_are_truncated() -> None:
    result = first("def f():\n    return 'x' * 100000\n")
    assert result.status == "fail" and len(result.got or "") <= 300


def test_syntax_error_reports_line_and_column_without_running() -> None:
    report = run_tests("def f():\n    return (1,\n\nx = = 2\n", ONE, entry="f")
    assert report.syntax_error is not None and report.syntax_error.line is not None
    assert report.syntax_error.column is not None
    assert all(t.status == "error" for t in report.tests)
    assert report.duration_s < 0.5


def test_missing_entry_function_is_explained() -> None:
    result = first("def g():\n    return 1\n")
    assert result.status == "error" and "f()" in result.message


def test_prelude_runs_before_the_program() -> None:
    result = run_tests(
        "def f():\n    return base + 1\n",
        [TestCase(call="f()", expected="42")],
        entry="f",
        prelude="base = 41\n",
    )
    assert result.passed


HOSTILE = {
    "infinite loop": ("def f():\n    while True:\n        pass\n", "timeout", "longer"),
    "loop that swallows exceptions": (
        "def f():\n    while True:\n        try:\n            while True: pass\n        except BaseException: pass\n",
        "timeout",
        "",
    ),
    "10 GB allocation": ("def f():\n    return len(bytearray(10 * 1024**3))\n", "error", "memory"),
    "deep recursion": ("def f():\n    return f()\n", "error", "RecursionError"),
    "os._exit": ("import os\ndef f():\n    os._exit(3)\n", "error", "exit code 3"),
    "sys.exit": ("import sys\ndef f():\n    sys.exit(2)\n", "error", "sys.exit"),
    "reads stdin": ("def f():\n    return int(input())\n", "error", "input"),
    "opens a socket": ("import socket\ndef f():\n    return 1\n", "error", "socket"),
    "socket via _socket": ("def f():\n    import _socket\n    return 1\n", "error", "_socket"),
    "subprocess": (
        "import subprocess\ndef f():\n    return subprocess.run(['true'])\n",
        "error",
        "not available",
    ),
    "os.system": ("import os\ndef f():\n    return os.system('true')\n", "error", "shell"),
    "ctypes": ("import ctypes\ndef f():\n    return 1\n", "error", "ctypes"),
    "write outside its folder": (
        "def f():\n    open('/tmp/tutor-escape.txt', 'w').write('x')\n",
        "error",
        "own folder",
    ),
    "huge file": (
        "def f():\n    open('big', 'wb').write(b'x' * 100_000_000)\n    return 1\n",
        "error",
        "too large",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_programs_get_a_clear_result(name: str) -> None:
    code, status, words = HOSTILE[name]
    started = time.perf_counter()
    result = first(code)
    assert time.perf_counter() - started < 6
    assert result.status == status, result
    assert words.lower() in result.message.lower()


def test_fork_loop_is_stopped_even_as_root() -> None:
    """RLIMIT_NPROC binds nothing for root: the audit hook refuses the fork, and the group is killed anyway."""
    code = "import os\ndef f():\n    while True:\n        os.fork()\n"
    started = time.perf_counter()
    result = first(code)
    assert result.status == "error" and "fork" in result.message
    assert time.perf_counter() - started < 3
    assert not [line for line in os.popen("ps -eo args").read().splitlines() if "tutor-run-" in line]


def test_huge_output_is_capped_and_does_not_block() -> None:
    code = "def f():\n    for _ in range(10**6):\n        print('x' * 100)\n    return 1\n"
    report = run_tests(code, ONE, entry="f", limits=Limits(per_test_s=3, total_s=5, output_kb=16))
    assert len(report.stdout) < 17 * 1024 and "output cut" in report.stdout


def test_non_utf8_output_is_shown_not_crashed() -> None:
    report = run_tests(
        "import sys\ndef f():\n    sys.stdout.buffer.write(b'\\xff\\xfe ok')\n    return 1\n", ONE, entry="f"
    )
    assert report.passed and "ok" in report.stdout


def test_socket_cannot_reach_a_listening_server() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[object] = []
    server.settimeout(2)
    thread = threading.Thread(target=lambda: accepted.append(_accept(server)))
    thread.start()
    code = f"def f():\n    import socket\n    socket.create_connection(('127.0.0.1', {port}))\n    return 1\n"
    result = first(code)
    thread.join()
    server.close()
    assert result.status == "error" and accepted == [None]


def _accept(server: socket.socket) -> object:
    try:
        return server.accept()
    except OSError:
        return None


def test_total_time_limit_stops_everything() -> None:
    tests = [TestCase(call="f()", expected="1")] * 5
    code = "import time\ndef f():\n    time.sleep(0.8)\n    return 1\n"
    started = time.perf_counter()
    report = run_tests(code, tests, entry="f", limits=Limits(per_test_s=1.0, total_s=2.0))
    assert time.perf_counter() - started < 5
    assert [t.status for t in report.tests][:2] == ["pass", "pass"]
    assert any("longer than the 2 s" in t.message for t in report.tests)


def test_two_timeouts_stop_the_run() -> None:
    tests = [TestCase(call="f()", expected="1")] * 6
    report = run_tests(
        "def f():\n    while True: pass\n", tests, entry="f", limits=Limits(per_test_s=0.5, total_s=10)
    )
    assert [t.status for t in report.tests[:2]] == ["timeout", "timeout"]
    assert all("Not run" in t.message for t in report.tests[2:])
    assert report.duration_s < 3
