"""The first failing test in words for the newer test kinds (a program's output, a call that must raise), from
real runs; a hidden test's input never reaches a hint or a prompt; repair validation works for every kind."""

from __future__ import annotations

from tutor.exercises import Exercise, TestCase
from tutor.feedback import analysis, prompts
from tutor.feedback.fallback import analysis_hint
from tutor.runner import passes, run

FIZZ = Exercise(
    id="fizz",
    title="Fizz or Buzz",
    description="Read a number; print Fizz for multiples of 3, Buzz for multiples of 5.",
    entry="",
    tests=(
        TestCase(stdin="3\n", stdout="Fizz\n"),
        TestCase(stdin="5\n", stdout="Buzz\n"),
        TestCase(stdin="987654\n", stdout="Fizz\n", hidden=True),
    ),
    solution="n = int(input())\nif n % 3 == 0:\n    print('Fizz')\nelif n % 5 == 0:\n    print('Buzz')\n",
)
AGE = Exercise(
    id="age",
    title="Parse an age",
    description="Return the age as a number; raise ValueError for a negative one.",
    entry="parse_age",
    tests=(
        TestCase(call="parse_age('7')", expected="7"),
        TestCase(call="parse_age('-3')", raises="ValueError"),
    ),
    solution="def parse_age(text):\n    n = int(text)\n    if n < 0:\n        raise ValueError(text)\n    return n\n",
)


def test_a_program_test_in_words() -> None:
    code = "n = int(input())\nprint('Fizz')\n"
    failure = run(FIZZ, code).first_failure
    assert failure is not None
    assert analysis.describe_failure(failure) == (
        "Given the input '5', your program printed 'Fizz\\n' but the test expects 'Buzz\\n'."
    )
    context = prompts.shared_context(FIZZ, code, failure)
    assert "Failing test: the whole program run with input '5'" in context
    assert "Expected output: 'Buzz\\n'" in context and "Got output: 'Fizz\\n'" in context


def test_a_program_waiting_for_input_in_words() -> None:
    failure = run(FIZZ, "n = int(input())\nm = input()\n").first_failure
    assert failure is not None
    assert analysis.describe_failure(failure) == (
        "Given the input '3', your program asks for more input than the test gives: "
        "The program waited for input, but the test gave no more (it gave 1 line)."
    )


def test_a_call_that_should_raise_in_words() -> None:
    code = "def parse_age(text):\n    return int(text)\n"
    failure = run(AGE, code).first_failure
    assert failure is not None
    assert (
        analysis.describe_failure(failure)
        == "Calling parse_age('-3') should raise ValueError, but it returned -3."
    )
    assert "Expected: raises ValueError" in prompts.shared_context(AGE, code, failure)
    other = run(AGE, "def parse_age(text):\n    return int(text) + {}\n").tests[1]
    assert analysis.describe_failure(other).startswith(
        "Calling parse_age('-3') should raise ValueError, but it raised TypeError"
    )


def test_a_hidden_test_is_only_said_to_fail() -> None:
    code = "n = int(input())\nif n == 3:\n    print('Fizz')\nelif n % 5 == 0:\n    print('Buzz')\n"
    report = run(FIZZ, code)
    failure = report.first_failure
    assert failure is not None and failure.hidden and [t.passed for t in report.tests] == [True, True, False]
    words = analysis.describe_failure(failure)
    hint, explanation = analysis_hint(failure, "", FIZZ.solution, code, ())
    context = prompts.shared_context(FIZZ, code, failure)
    assert words.startswith("A hidden test fails")
    for text in (words, hint, explanation, context):
        assert "987654" not in text and "Fizz\\n" not in text.split("```")[-1]
    assert "Failing test: a hidden test" in context


def test_repairs_are_validated_for_every_kind() -> None:
    assert FIZZ.solution is not None and AGE.solution is not None
    assert passes(FIZZ, FIZZ.solution, first="hidden test 3")
    assert not passes(FIZZ, "n = int(input())\nif n == 3:\n    print('Fizz')\nelse:\n    print('Buzz')\n")
    assert passes(AGE, AGE.solution, first="parse_age('-3')")
    assert not passes(AGE, "def parse_age(text):\n    return int(text)\n")
