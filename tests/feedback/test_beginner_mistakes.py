"""The usual beginner mistakes get a specific sentence, syntax errors are placed where they are, and "Show
explanation" adds the why (issue 26). Real programs through the real runner and the hint pipeline's analysis path;
no language model is loaded (the engine refuses to be called)."""

from __future__ import annotations

import json

import pytest

from tutor.engines.base import EngineError
from tutor.exercises import Exercise, TestCase, load_bundled
from tutor.feedback import HintPipeline, PipelineConfig
from tutor.feedback.branches import dead_branches
from tutor.feedback.guard import check_hint
from tutor.feedback.mistakes import find_mistake
from tutor.runner import run

from ..conftest import DATASETS
from .test_pipeline import NoModel as RefusingModel

PACK = load_bundled()


class NoModel(RefusingModel):
    """No language model: asked to write, it fails the way an engine does, so the hint is the analysis hint."""

    def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise EngineError("no model in this test")


NO_REPAIRS = PipelineConfig(repairs=0, mutation_budget_s=1.0)


def hint_for(exercise: Exercise, code: str):  # type: ignore[no-untyped-def]
    hint = HintPipeline(NoModel(), NO_REPAIRS).run(exercise, code)  # type: ignore[arg-type]
    assert hint.status == "hint" and hint.source == "analysis"
    assert not [r for r in check_hint(hint.hint, None, code, ()).reasons if r.startswith(("contains", "too"))]
    assert_explanation_adds_something(hint.hint, hint.explanation)
    return hint


def assert_explanation_adds_something(hint: str, explanation: str) -> None:
    assert explanation and "this kind of thing" not in explanation
    for sentence in explanation.split(". "):
        assert sentence.strip(" .") not in hint, (sentence, hint)


def exercise(entry: str, *tests: TestCase) -> Exercise:
    return Exercise(id=entry, title=entry, description=f"Write {entry}.", entry=entry, tests=tests)


def test_print_instead_of_return() -> None:
    code = (
        "def sum_of_evens(numbers):\n    total = 0\n    for n in numbers:\n        if n % 2 == 0:\n"
        "            total += n\n    print(total)\n"
    )
    hint = hint_for(PACK.find("sum_of_evens"), code)
    assert "your function returns None" in hint.hint
    assert "prints its answer (line 6) instead of returning it, so it returns None." in hint.hint
    assert "print only shows a value on the screen" in hint.explanation


def test_a_path_without_return_is_not_called_printing() -> None:
    code = "def largest(numbers):\n    best = numbers[0]\n    for n in numbers:\n        if n > best:\n            return n\n"
    hint = hint_for(PACK.find("largest"), code)
    assert "reaches its end without a return" in hint.hint and "prints" not in hint.hint


def test_text_that_looks_like_a_list() -> None:
    code = PACK.find("running_total").solution.replace("return totals", "return str(totals)")  # type: ignore[union-attr]
    hint = hint_for(PACK.find("running_total"), code)
    assert "returns '[1, 3, 6, 10]'" in hint.hint
    assert (
        "Your function returns text that looks like a list ('[1, 3, 6, 10]'), not the list itself."
        in hint.hint
    )
    assert "A value in quotes is a string" in hint.explanation


def test_a_number_where_text_is_expected() -> None:
    code = PACK.find("fizzbuzz").solution.replace("return str(n)", "return n")  # type: ignore[union-attr]
    hint = hint_for(PACK.find("fizzbuzz"), code)
    assert "returns the number 7 where the test expects the text '7'" in hint.hint


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            "def average(numbers):\n    return sum(numbers) // len(numbers)\n",
            "whole-number division (//) on line 2",
        ),
        ("def average(numbers):\n    return int(sum(numbers) / len(numbers))\n", "the int() on line 2"),
    ],
    ids=["floor-division", "int"],
)
def test_whole_number_division_where_the_answer_has_a_fraction(code: str, words: str) -> None:
    average = exercise("average", TestCase(call="average([1, 2])", expected="1.5"))
    hint = hint_for(average, code)
    assert "returns 1 where the test expects 1.5" in hint.hint and words in hint.hint
    assert "Python has two divisions" in hint.explanation


def test_division_that_keeps_a_fraction_where_a_whole_number_is_expected() -> None:
    middle = exercise("middle", TestCase(call="middle(7)", expected="3"))
    hint = hint_for(middle, "def middle(n):\n    return n / 2\n")
    assert "the / on line 2 keeps the fraction" in hint.hint


def test_unreachable_branch_because_of_the_order_of_conditions() -> None:
    hint = hint_for(PACK.find("fizzbuzz"), PACK.find("fizzbuzz").starter)  # % 15 checked after % 3
    assert "The branch on line 6 can never run" in hint.hint and "line 2" in hint.hint
    assert "runs only the first one that is true" in hint.explanation
    letters = (
        "def grade_letter(score):\n    if score >= 60:\n        return 'D'\n    if score >= 90:\n"
        "        return 'A'\n    if score >= 80:\n        return 'B'\n    return 'F'\n"
    )
    assert [(d.line, d.earlier_line) for d in dead_branches(letters)] == [(4, 2), (6, 2)]
    assert "The branch on line 4 can never run" in hint_for(PACK.find("grade_letter"), letters).hint


def test_conditions_in_a_sensible_order_are_not_flagged() -> None:
    for item in PACK.exercises:
        assert dead_branches(item.solution or "") == [], item.id
    assert (
        dead_branches(
            "def f(n):\n    if n % 3 == 0:\n        return 1\n    elif n % 5 == 0:\n        return 2\n"
        )
        == []
    )
    assert (
        dead_branches("def f(n):\n    if n > 5:\n        print(n)\n    if n > 9:\n        return 2\n") == []
    )


def test_correct_student_programs_have_no_dead_branch() -> None:
    path = DATASETS / "refactory.programs.jsonl"
    if not path.is_file():
        pytest.skip("the shared datasets are not beside the project")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    correct = [r["code"] for r in rows if r["label"] == "correct"]
    assert len(correct) > 1000 and [c for c in correct if dead_branches(c)] == []


def test_a_list_changed_while_the_loop_walks_through_it() -> None:
    code = "def unique(items):\n    for x in items:\n        if items.count(x) > 1:\n            items.remove(x)\n    return items\n"
    hint = hint_for(PACK.find("unique"), code)
    assert "changes the list items on line 4 while the loop on line 2 walks through it" in hint.hint
    assert "removing an item moves the next one into its place" in hint.explanation


def test_a_mutated_argument_when_the_test_checks_it() -> None:
    check = "data = [3, 1, 2]\nsmallest_first(data)\nassert data == [3, 1, 2], 'the list was changed'"
    smallest = exercise("smallest_first", TestCase(code=check))
    code = "def smallest_first(numbers):\n    numbers.sort()\n    return numbers\n"
    report = run(smallest, code)
    mistake = find_mistake(code, report.first_failure)  # type: ignore[arg-type]
    assert mistake is not None and mistake.kind == "mutated-argument" and "(line 2)" in mistake.sentence
    assert "changes the list or dictionary it was given" in hint_for(smallest, code).hint


def test_a_correct_looking_failure_gets_no_invented_mistake() -> None:
    code = PACK.find("sum_of_evens").starter  # an off-by-one condition: none of the mistakes above
    report = run(PACK.find("sum_of_evens"), code)
    assert find_mistake(code, report.first_failure) is None  # type: ignore[arg-type]


INDENTED = "def average(numbers):\n    total = 0\n    for n in numbers:\n    total += n  # add up every number\n    return total / len(numbers)\n"


def test_indentation_errors_name_the_line_not_a_column_past_its_end() -> None:
    hint = hint_for(PACK.find("sum_of_evens"), INDENTED)
    assert "at line 4," in hint.hint and "column" not in hint.hint
    assert "line 4 should start further right than line 3" in hint.hint
    assert "missing colon, bracket or quote" not in hint.hint
    assert "reads the whole file before it runs any of it" in hint.explanation


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("def f(x)\n    return x\n", "A colon (:) is missing at the end of line 1."),
        ("def f(x):\n    return (x + 1\n", "at line 2, column 12,"),
        ("def f(x):\n    if x = 1:\n        return 2\n", "a comparison needs =="),
        ("def f(x):\n    return x\n  y = 2\n", "Line 3 is indented by an amount no line above it uses"),
        ('x = "abc\n', "has no closing quote"),
    ],
)
def test_syntax_errors_in_beginner_words(code: str, words: str) -> None:
    hint = HintPipeline(NoModel()).run(PACK.find("fizzbuzz"), code)  # type: ignore[arg-type]
    assert words in hint.hint, hint.hint
    problem_line = int(hint.hint.split("at line ")[1].split(",")[0])
    column = hint.hint.split("column ")[1].split(",")[0] if "column " in hint.hint else None
    if column is not None:  # a column is given only where it points into the line
        assert int(column) <= len(code.splitlines()[problem_line - 1])


def test_every_bundled_starter_gets_an_explanation_that_is_not_the_hint() -> None:
    for item in PACK.exercises:
        hint = HintPipeline(NoModel(), NO_REPAIRS).run(item, item.starter)  # type: ignore[arg-type]
        if hint.status == "hint":
            assert_explanation_adds_something(hint.hint, hint.explanation)


def test_no_explanation_text_is_refused_by_the_leak_guard() -> None:
    """The guard drops an explanation that looks like code; every fixed text must pass it, or it is never seen."""
    from tutor.feedback import explain, syntax

    texts = [*explain._BY_CHANGE.values(), *explain._BY_EXCEPTION.values(), explain.TIMEOUT, explain.COMPARED]
    for text in [*texts, syntax.WHY]:
        assert not [r for r in check_hint(text, None, "", ()).reasons if r.startswith("contains")], text


def test_a_model_explanation_that_repeats_its_hint_is_replaced_by_the_why() -> None:
    from tutor.feedback.explain import distinct_explanation

    code = "def unique(items):\n    for x in items:\n        if items.count(x) > 1:\n            items.remove(x)\n    return items\n"
    failure = run(PACK.find("unique"), code).first_failure
    assert failure is not None
    hint = "Look at line 4: what happens to the loop when an item is removed?"
    same = distinct_explanation(
        "Look at line 4: what happens to the loop when an item is removed.", hint, failure, code, None
    )
    assert "removing an item moves the next one into its place" in same
    own = "The loop visits positions, and a removal shifts them."
    assert distinct_explanation(own, hint, failure, code, None) == own  # a model's own why is kept
