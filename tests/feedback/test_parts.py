"""Token edit distance, change analysis, one-token repairs, prompt parsing and the leak guard."""

from __future__ import annotations

from tutor.exercises import load_bundled
from tutor.feedback import analysis, prompts
from tutor.feedback.fallback import model_hint_reasons
from tutor.feedback.guard import check_hint
from tutor.feedback.mutations import mutants
from tutor.feedback.tokens import edit_distance, tokens
from tutor.runner import TestResult

PACK = load_bundled()


def test_edit_distance_ignores_comments_blank_lines_and_spacing() -> None:
    a = "def f(x):\n    # add one\n\n    return x+1\n"
    assert edit_distance(a, "def f(x):\n    return x + 1  # fine\n") == 0
    assert edit_distance(a, "def f(x):\n    return x + 2\n") == 1
    assert edit_distance(a, "def f(x):\n    return x >= 1\n") == 1  # >= is one token


def test_tokens_keep_line_numbers() -> None:
    assert [(t.value, t.line) for t in tokens("a = 1\n\nb >= 2\n")][-3:] == [("b", 3), (">=", 3), ("2", 3)]


def test_changes_are_classified_by_kind_and_line() -> None:
    grade = PACK.find("grade_letter")
    found = analysis.changes(grade.starter, grade.solution)
    assert [(c.line, c.kind) for c in found] == [(2, "comparison"), (4, "comparison"), (6, "comparison")]
    factorial = PACK.find("factorial")
    assert analysis.changes(factorial.starter, factorial.solution)[0].kind == "missing"
    evens = PACK.find("sum_of_evens")
    assert analysis.changes(evens.starter, evens.solution)[0].kind == "number"


def test_change_description_has_no_code() -> None:
    for exercise in PACK.exercises:
        text = analysis.describe_change(exercise.starter, exercise.solution)
        assert (
            text
            and check_hint(text, exercise.solution, exercise.starter).reasons == []
            or "specific" in str(check_hint(text, exercise.solution, exercise.starter).reasons)
        )
        assert not any(
            line.strip() and line.strip() in text
            for line in exercise.solution.splitlines()
            if len(line.strip()) > 6
        )


def test_one_token_mutants_include_the_fix_for_one_token_bugs() -> None:
    for exercise_id in ("sum_of_evens", "insertion_sort", "grade_letter"):
        exercise = PACK.find(exercise_id)
        assert exercise.solution in mutants(exercise.starter)


def test_mutants_are_ordered_by_distance_from_the_focus_line() -> None:
    code = "def f(a, b):\n    x = a + 1\n    y = b - 1\n    return x < y\n"
    first_lines = [
        next(i for i, (l1, l2) in enumerate(zip(code.splitlines(), m.splitlines(), strict=False)) if l1 != l2)
        for m in mutants(code, focus_line=4)[:2]
    ]
    assert first_lines == [3, 3]


def test_parse_repair_takes_the_program_between_markers_or_fences() -> None:
    assert prompts.parse_repair("def f():\n    return 1\n```\nmore text") == "def f():\n    return 1\n"
    assert (
        prompts.parse_repair("[FIXED]\n```python\ndef f():\n    return 2\n```\n[/FIXED]")
        == "def f():\n    return 2\n"
    )
    assert prompts.parse_repair("def f(:\n") is None
    assert prompts.parse_repair("def f():\n    return 3\nthis is ( not python") == "def f():\n    return 3\n"


def test_parse_hint_splits_the_grammar_shape() -> None:
    parsed = prompts.parse_hint("Explanation: The loop stops early.\nHint: Where does the loop stop?\n")
    assert parsed == prompts.ParsedHint("The loop stops early.", "Where does the loop stop?")
    assert prompts.parse_hint("garbage").hint == ""


FIXED = "def total(numbers):\n    result = 0\n    for n in numbers:\n        result += n\n    return result\n"
BUGGY = FIXED.replace("result += n", "result = n")


def test_guard_accepts_a_socratic_hint() -> None:
    verdict = check_hint(
        "What happens to result on each pass of the loop on line 4?", FIXED, BUGGY, focus=("line 4", "result")
    )
    assert verdict.ok, verdict.reasons


def test_guard_rejects_leaks_and_junk() -> None:
    cases = {
        "contains code": "Try this: ```result += n``` and you are done with it.",
        "contains a line of the fixed program": "Just write result += n inside the loop and it works.",
        "avoided word": "You could simply call sum on the numbers list instead.",
        "repeats itself": "the loop the loop the loop the loop the loop the loop the loop",
        "too short": "Check it.",
        "points at a line the program does not have": "Look at line 40: what happens to result there?",
        "copies the worked example": prompts.EXAMPLE_ANSWERS[1],
        "says nothing specific": "Think about it a little more and you will surely get there soon.",
    }
    for expected, hint in cases.items():
        verdict = check_hint(
            hint,
            FIXED,
            BUGGY,
            avoid=("sum",),
            copied_from=prompts.EXAMPLE_ANSWERS,
            focus=("line 4", "result") if "specific" in expected else (),
        )
        assert not verdict.ok and any(expected.split()[0] in r or expected in r for r in verdict.reasons), (
            expected,
            verdict,
        )


def test_guard_rejects_restating_the_task() -> None:
    task = "Write a function total that returns the sum of all the numbers in the list it is given."
    verdict = check_hint(
        "Write a function total that returns the sum of all the numbers in the list.",
        FIXED,
        BUGGY,
        task_text=task,
    )
    assert "restates the task or the example" in verdict.reasons


def test_guard_rejects_a_hint_that_talks_about_its_instructions() -> None:
    """Small instruct models answer the hint instruction with a sentence about it (a meta answer)."""
    instructions = f"{prompts.SYSTEM}\n{prompts.HINT_INSTRUCTION}"
    meta = "A question asking about this without giving any code or answer would be: what does result hold?"
    verdict = check_hint(meta, FIXED, BUGGY, focus=("result",), instructions=instructions)
    assert verdict.reasons == ["repeats the instructions"]
    socratic = "What happens to result on each pass of the loop on line 4?"
    assert check_hint(socratic, FIXED, BUGGY, focus=("line 4", "result"), instructions=instructions).ok
    # and the pipeline's check of a model hint passes the instructions on
    exercise = PACK.find("running_total")
    assert exercise is not None
    failure = TestResult(call="f()", status="fail", expected="1", got="2", message="Expected 1, got 2.")
    parsed = prompts.ParsedHint(explanation="The loop adds too much.", hint=meta)
    assert "repeats the instructions" in model_hint_reasons(
        parsed, exercise, exercise.starter, None, failure, ()
    )


def test_failure_description_uses_the_test_and_no_solution() -> None:
    test = TestResult(
        call="total([1, 2])", status="fail", expected="3", got="2", message="Expected 3, got 2."
    )
    text = analysis.describe_failure(test)
    assert "total([1, 2])" in text and "3" in text and "2" in text


def test_guard_rejects_a_hint_about_the_hint_or_cut_off_in_a_quote() -> None:
    """Seen on dev-split items: the model writes a sentence about the question it would ask, and stops inside it."""
    cases = {
        'A question could be "What does result hold after the loop on line 4?"': (
            "talks about the hint, not the program"
        ),
        'A question to ask about this would be "What if result is replaced on line 4?': (
            "talks about the hint, not the program"
        ),
        'What does result hold after line 4 runs for "3?': "is cut off inside a quotation",
        "What does result hold after line 4 runs for \u201c3?": "is cut off inside a quotation",
    }
    for hint, expected in cases.items():
        verdict = check_hint(hint, FIXED, BUGGY, focus=("line 4", "result"))
        assert expected in verdict.reasons, (hint, verdict.reasons)
    quoted = 'On line 4, does result keep the "running" total, or only the last number?'
    assert check_hint(quoted, FIXED, BUGGY, focus=("line 4", "result")).ok
    asking = "Which question would you ask about result on line 4 after each pass?"
    assert check_hint(asking, FIXED, BUGGY, focus=("line 4", "result")).ok
