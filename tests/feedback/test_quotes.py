"""The analysis hint quotes the program's values exactly: spaces are part of a value (issue 21, "Hints that
misquote": ``'Hello,   Grace !'`` was reported as ``'Hello, Grace !'``)."""

from __future__ import annotations

from tutor.exercises import load_bundled
from tutor.feedback import analysis
from tutor.feedback.fallback import with_observation
from tutor.runner import TestResult, run

GREETING = load_bundled().find("greeting")


def test_the_greeting_hint_quotes_the_returned_spaces_exactly() -> None:
    """A real run: the program keeps the spaces around the name, and the hint says so character for character."""
    assert GREETING is not None
    report = run(GREETING, 'def greeting(name):\n    return "Hello, " + name + "!"\n')
    failure = report.first_failure
    assert failure is not None and failure.call == "greeting('  Grace ')"
    assert failure.got == "'Hello,   Grace !'"
    sentence = analysis.describe_failure(failure)
    assert sentence == (
        "For greeting('  Grace ') your function returns 'Hello,   Grace !', "
        "but the test expects 'Hello, Grace!'."
    )
    assert "'Hello, Grace !'" not in sentence
    hint = with_observation("Where do the extra spaces come from?", failure, GREETING.solution, "", ())
    assert "'Hello,   Grace !'" in hint


def test_a_long_value_is_cut_and_says_so() -> None:
    got = repr("ab  " * 50)
    sentence = analysis.describe_failure(
        TestResult(call="f()", status="fail", expected="'x'", got=got, message="")
    )
    kept = got[:79]
    assert f"returns {kept}… (cut here; {len(got)} characters in all)" in sentence


def test_a_message_of_several_lines_is_cut_at_its_first_line_break() -> None:
    text = analysis.quote("ValueError: bad  value\n  more detail", 140)
    assert text == "ValueError: bad  value… (cut here; 36 characters in all)"


def test_short_texts_are_unchanged() -> None:
    for text in ("'  a\\t b  '", "[1,  2]", "", "x" * 80):
        assert analysis.quote(text) == text
