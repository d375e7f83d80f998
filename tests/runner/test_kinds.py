"""The test kinds through the real sandbox: program tests (stdin/stdout), raises, float tolerance, unordered,
hidden tests, forbid, per-test output and ``run_program``, each with the forgery a learner's code could try."""

from __future__ import annotations

import sys
import time

import pytest

from tutor.exercises import Exercise, TestCase
from tutor.runner import Limits, run, run_program, run_tests, sandbox_status
from tutor.runner.report import TestResult
from tutor.runner.verdict import check_for

LIMITS = Limits(per_test_s=1.0, total_s=6.0)
ADD = "a = int(input('First number: '))\nb = int(input())\nprint(a + b)\n"


@pytest.fixture(autouse=True, scope="module")
def sandbox_required() -> None:
    if sys.platform.startswith("linux"):
        assert sandbox_status().available, sandbox_status().reason


def one(code: str, test: TestCase, entry: str = "") -> TestResult:
    return run_tests(code, [test], entry=entry, limits=LIMITS).tests[0]


# -- program tests -------------------------------------------------------------------------------------------------


def test_program_reads_stdin_and_its_prompt_is_not_printed() -> None:
    result = one(ADD, TestCase(stdin="3\n4\n", stdout="7\n"))
    assert result.passed, result.message
    assert result.output == "7\n" and result.kind == "program" and result.call == "program, input '3\\n4'"


def test_program_reads_sys_stdin_too() -> None:
    code = "import sys\nnumbers = [int(x) for x in sys.stdin.read().split()]\nprint(sum(numbers))\n"
    assert one(code, TestCase(stdin="1 2\n3\n", stdout="6")).passed


def test_program_that_prints_the_wrong_thing_fails_with_the_line() -> None:
    result = one("print('Fizz')\nprint('Bizz')\n", TestCase(stdout="Fizz\nBuzz\n"))
    assert result.status == "fail"
    assert result.message == "Line 2 of the output is 'Bizz', but the test expects 'Buzz'."
    assert (result.got, result.expected) == (repr("Fizz\nBizz\n"), repr("Fizz\nBuzz\n"))


def test_trailing_whitespace_and_blank_lines_are_ignored_unless_exact() -> None:
    code = "print('a  ')\nprint('b')\nprint()\nprint()\n"
    assert one(code, TestCase(stdout="a\nb\n")).passed
    exact = one(code, TestCase(stdout="a\nb\n", exact=True))
    assert exact.status == "fail"
    assert one(code, TestCase(stdout="a  \nb\n\n\n", exact=True)).passed
    assert one("print(' a')\n", TestCase(stdout="a\n")).status == "fail"  # leading spaces count


def test_numbers_in_the_output_within_the_tolerance() -> None:
    code = "print('Area:', 3.14159 * 2 ** 2, 'cm2')\n"
    assert one(code, TestCase(stdout="Area: 12.566 cm2\n", tolerance=0.001)).passed
    assert one(code, TestCase(stdout="Area: 12.5 cm2\n", tolerance=0.001)).status == "fail"
    assert (
        one(code, TestCase(stdout="Area: 12.566 m2\n", tolerance=0.001)).status == "fail"
    )  # words must match


def test_program_waiting_for_input_says_how_many_lines_the_test_gave() -> None:
    result = one(ADD, TestCase(stdin="3\n", stdout="7\n"))
    assert result.status == "error" and result.line == 2
    assert result.message == "The program waited for input, but the test gave no more (it gave 1 line)."
    none = one(ADD, TestCase(stdout="7\n"))
    assert none.message == "The program waited for input, but the test gave no more (it gave 0 lines)."


def test_a_program_may_read_until_the_end_of_its_input() -> None:
    code = "total = 0\nwhile True:\n    try:\n        total += int(input())\n    except EOFError:\n        break\n"
    assert one(code + "print(total)\n", TestCase(stdin="1\n2\n3\n", stdout="6\n")).passed


def test_call_tests_keep_their_message_for_input() -> None:
    result = one("def f():\n    return input()\n", TestCase(call="f()", expected="''"), entry="f")
    assert result.message.startswith("The program tried to read input, but tests give no input")


def test_each_program_test_runs_the_file_fresh_and_sys_exit_ends_it() -> None:
    code = "import sys\ncount = globals().get('count', 0) + 1\nprint(count)\nsys.exit(0)\nprint('never')\n"
    report = run_tests(code, [TestCase(stdout="1\n"), TestCase(stdout="1\n")], limits=LIMITS)
    assert report.passed, [t.message for t in report.tests]


def test_an_exercise_may_mix_call_and_program_tests() -> None:
    code = "def double(x):\n    return 2 * x\n\nif __name__ == '__main__':\n    print(double(int(input())))\n"
    tests = [TestCase(call="double(4)", expected="8"), TestCase(stdin="5\n", stdout="10\n")]
    assert run_tests(code, tests, entry="double", limits=LIMITS).passed


def test_forgery_output_written_around_sys_stdout_does_not_count() -> None:
    """os.write to fd 1 bypasses what the test captures (print, sys.stdout): it is not the program's output as
    the test reads it, and it goes to the run's stdout instead."""
    code = "import os\nos.write(1, b'7\\n')\n"
    report = run_tests(code, [TestCase(stdout="7\n")], limits=LIMITS)
    assert report.tests[0].status == "fail" and "7" in report.stdout


def test_forgery_a_program_that_writes_a_second_result_makes_every_test_an_error() -> None:
    code = (
        "import os, sys\nfd = int(sys.argv[2])\nprint('7')\n"
        'os.write(fd, b\'{"event": "result", "index": 0, "status": "value", "value": "7\\\\n"}\\n\')\n'
    )
    report = run_tests(code, [TestCase(stdout="7\n"), TestCase(stdin="1\n", stdout="8\n")], limits=LIMITS)
    assert [t.status for t in report.tests] == ["error", "error"]
    assert "interfered" in report.tests[0].message


def test_a_program_that_prints_forever_is_cut_and_fails() -> None:
    result = one("while True:\n    print('x' * 1000)\n", TestCase(stdout="x\n"))
    assert result.status in ("fail", "timeout") and len(result.output) <= 2000


# -- raises ----------------------------------------------------------------------------------------------------------

PARSE = (
    "class AgeError(ValueError):\n    pass\n\n"
    "def parse_age(text):\n    n = int(text)\n    if n < 0:\n        raise AgeError(text)\n    return n\n"
)


def test_raises_the_exception_or_a_subclass() -> None:
    assert one(PARSE, TestCase(call="parse_age('-3')", raises="ValueError"), "parse_age").passed
    assert one(
        PARSE, TestCase(call="parse_age('-3')", raises="AgeError"), "parse_age"
    ).passed  # its own class
    assert one(PARSE, TestCase(call="parse_age('x')", raises="ValueError"), "parse_age").passed


def test_raises_fails_when_it_returns_or_raises_something_else() -> None:
    returned = one(PARSE, TestCase(call="parse_age('3')", raises="ValueError"), "parse_age")
    assert returned.status == "fail"
    assert returned.message == "Calling parse_age('3') should raise ValueError, but it returned 3."
    other = one(PARSE, TestCase(call="parse_age(None)", raises="ValueError"), "parse_age")
    assert other.status == "fail" and other.exception == "TypeError" and other.line == 5
    assert other.message.startswith(
        "Calling parse_age(None) should raise ValueError, but it raised TypeError"
    )


def test_forgery_a_class_of_its_own_named_valueerror_is_not_pythons_valueerror() -> None:
    code = "class ValueError(Exception):\n    pass\n\ndef parse_age(text):\n    raise ValueError(text)\n"
    result = one(code, TestCase(call="parse_age('-3')", raises="ValueError"), "parse_age")
    assert result.status == "fail"
    assert "a class of its own named ValueError, not Python's ValueError" in result.message


def test_the_child_is_never_told_what_is_expected() -> None:
    """What the child is sent: the call (or the program's input), never the exception or output expected."""
    raises = check_for(TestCase(call="f()", raises="ZeroDivisionError")).command(0)
    program = check_for(TestCase(stdin="3\n", stdout="SECRET-OUTPUT\n", hidden=True)).command(
        1, quiet=True, stdin="3\n"
    )
    assert raises == {"index": 0, "expr": "f()"}
    assert program == {"index": 1, "program": True, "stdin": "3\n", "quiet": True}


# -- tolerance and unordered -----------------------------------------------------------------------------------------


def test_floats_within_a_tolerance_also_inside_containers() -> None:
    code = "def f():\n    return {'mean': [0.1 + 0.2, 2.0000001], 'n': (1, 1 / 3)}\n"
    expected = "{'mean': [0.3, 2.0], 'n': (1, 0.3333)}"
    assert one(code, TestCase(call="f()", expected=expected, tolerance=1e-3), "f").passed
    assert one(code, TestCase(call="f()", expected=expected, tolerance=1e-9), "f").status == "fail"
    assert one(code, TestCase(call="f()", expected=expected), "f").status == "fail"
    assert one(code, TestCase(call="f()", expected="{'mean': [0.3, 2.0]}", tolerance=1), "f").status == "fail"


def test_unordered_compares_as_a_multiset() -> None:
    code = "def f(xs):\n    return list(reversed(xs))\n"
    assert one(code, TestCase(call="f([1, 2, 2, 3])", expected="[2, 3, 1, 2]", unordered=True), "f").passed
    dupes = one(code, TestCase(call="f([1, 2, 3])", expected="[1, 2, 2]", unordered=True), "f")
    assert dupes.status == "fail" and "order does not matter" in dupes.message
    nested = TestCase(
        call="f([[1], [2, 0.1 + 0.2]])", expected="[[2, 0.3], [1]]", unordered=True, tolerance=1e-9
    )
    assert one(code, nested, "f").passed
    assert (
        one(code, TestCase(call="f([1, 2])", expected="[1, 2]"), "f").status == "fail"
    )  # ordered by default
    assert (
        one(code, TestCase(call="tuple(f([1, 2]))", expected="[1, 2]", unordered=True), "f").status == "fail"
    )


# -- hidden tests, per-test output, forbid ---------------------------------------------------------------------------


def test_a_hidden_test_keeps_no_input_value_or_output() -> None:
    code = "def f(x):\n    print('debug', x)\n    return x + 1\n"
    tests = [TestCase(call="f(1)", expected="2"), TestCase(call="f(41)", expected="'SECRET-41'", hidden=True)]
    report = run_tests(code, tests, entry="f", limits=LIMITS)
    visible, hidden = report.tests
    assert visible.passed and visible.output == "debug 1\n" and not visible.hidden
    assert hidden.hidden and hidden.call == "hidden test 2" and hidden.status == "fail"
    shown = repr(report.to_json()["tests"]) + repr(hidden) + report.stdout  # not the duration: it has digits
    assert "41" not in shown and "SECRET" not in shown and "42" not in shown
    assert report.first_failure is hidden


def test_a_hidden_program_test_keeps_no_input() -> None:
    report = run_tests(ADD, [TestCase(stdin="123\n456\n", stdout="0\n", hidden=True)], limits=LIMITS)
    assert "123" not in repr(report.tests[0]) and "579" not in repr(report.tests[0])


def test_the_first_failure_described_is_a_visible_one() -> None:
    code = "def f(x):\n    return 0\n"
    tests = [TestCase(call="f(1)", expected="1", hidden=True), TestCase(call="f(2)", expected="2")]
    report = run_tests(code, tests, entry="f", limits=LIMITS)
    assert report.first_failure is report.tests[1]


def test_per_test_output_is_capped() -> None:
    code = "def f():\n    print('y' * 5000)\n    return 1\n"
    result = one(code, TestCase(call="f()", expected="1"), "f")
    assert result.passed and result.output == "y" * 2000


def test_forbid_fails_every_test_naming_the_name_without_running() -> None:
    exercise = Exercise(
        id="big",
        title="Biggest",
        description="",
        entry="biggest",
        tests=(TestCase(call="biggest([1, 3])", expected="3"), TestCase(stdin="", stdout="3\n")),
        forbid=("max", "sort", "heapq"),
    )
    marker = "import os\nos.write(1, b'RAN')\n"
    report = run(exercise, marker + "def biggest(xs):\n    return max(xs)\n", LIMITS)
    assert [t.status for t in report.tests] == ["fail", "fail"] and "RAN" not in report.stdout
    assert report.tests[0].message == "This exercise asks you not to use max()." and report.tests[0].line == 4
    method = run(exercise, "def biggest(xs):\n    xs.sort()\n    return xs[-1]\n", LIMITS)
    assert method.tests[0].message == "This exercise asks you not to use sort()."
    module = run(exercise, "import heapq\ndef biggest(xs):\n    return heapq.nlargest(1, xs)[0]\n", LIMITS)
    assert module.tests[0].message == "This exercise asks you not to use the module heapq."
    assert run(exercise, "def biggest(xs):\n    return sorted(xs)[-1]\n", LIMITS).tests[0].passed


# -- run_program -----------------------------------------------------------------------------------------------------


def test_run_program_ok_with_input() -> None:
    ran = run_program(ADD, "2\n3\n")  # read like a terminal: each prompt, then the line typed
    assert (ran.stdout, ran.status, ran.message, ran.line) == ("First number: 2\n3\n5\n", "ok", "", None)
    assert one(ADD, TestCase(stdin="2\n3\n", stdout="5\n")).passed  # a test's output has no prompts


def test_run_program_waiting_error_and_syntax() -> None:
    waiting = run_program("print('hi')\n" + ADD, "2\n")
    assert waiting.status == "waiting" and waiting.line == 3 and "1 line" in waiting.message
    failed = run_program("print('before')\nprint(1 / 0)\n")
    assert failed.status == "error" and failed.line == 2 and failed.stdout == "before\n"
    assert "ZeroDivisionError" in failed.message
    syntax = run_program("print(\n")
    assert syntax.status == "error" and syntax.message.startswith("SyntaxError")


def test_run_program_timeout_and_output_cap() -> None:
    started = time.monotonic()
    looping = run_program("while True:\n    pass\n", limits=Limits(per_test_s=1.0, total_s=3.0))
    assert looping.status == "timeout" and time.monotonic() - started < 5
    loud = run_program("for i in range(100000):\n    print('line', i)\n", limits=Limits(output_kb=4))
    assert loud.status == "ok" and len(loud.stdout) < 4200 and loud.stdout.endswith("too much printed]")


def test_program_tests_without_the_os_sandbox(no_os_sandbox: None) -> None:
    assert not sandbox_status().available
    assert one(ADD, TestCase(stdin="3\n4\n", stdout="7\n")).passed
    assert one(ADD, TestCase(stdin="3\n", stdout="7\n")).message.startswith("The program waited for input")
    assert run_program(ADD, "1\n1\n").stdout == "First number: 1\n1\n2\n"


def test_a_hidden_test_prints_nowhere() -> None:
    code = "import sys\ndef f(x):\n    print('out', x)\n    print('err', x, file=sys.stderr)\n    return x\n"
    tests = [TestCase(call="f(5)", expected="5"), TestCase(call="f(8642)", expected="0", hidden=True)]
    report = run_tests(code, tests, entry="f", limits=LIMITS)
    assert "out 5" in report.stdout and "err 5" in report.stderr
    assert "8642" not in report.stdout + report.stderr + repr(report.tests)


def test_exit_and_quit_end_a_program() -> None:
    assert one("print('a')\nexit()\nprint('b')\n", TestCase(stdout="a\n")).passed
    assert one(
        "import sys\nsys.stdout.writelines(['a\\n', 'b\\n'])\nquit(1)\n", TestCase(stdout="a\nb\n")
    ).passed


def test_a_hidden_program_test_that_waits_for_input_says_so_without_the_count() -> None:
    result = one(ADD, TestCase(stdin="4\n", stdout="8\n", hidden=True))
    assert result.message == "In a hidden test, the program asked for more input than the test gives."
