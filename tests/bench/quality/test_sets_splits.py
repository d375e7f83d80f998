"""The bundled evaluation sets are real (each bug fails a test, each fix passes all) and the dev/test splits are
disjoint by task, with the gate that training calls refusing test items."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tutor.eval.sets import SET_NAMES, load_set, sample
from tutor.eval.splits import TestItemLeak, dev_items, load_splits, refuse_test_items, split_of
from tutor.exercises import load_bundled
from tutor.runner import run


def test_basics_has_three_verified_bugs_per_exercise() -> None:
    items, exercises = load_set("basics")
    counts = Counter(i.task for i in items)
    pack = load_bundled()
    assert set(counts) == set(exercises) and len(counts) == 16  # the 16 first exercises, as published
    assert set(counts) <= {e.id for e in pack.exercises}
    assert min(counts.values()) >= 3
    assert len({i.kind for i in items}) >= 6  # off-by-one, wrong comparison, missing case, wrong return, ...
    for item in items:
        exercise = exercises[item.task]
        assert (
            item.fix.strip() == (pack.find(item.task).solution or "").strip()
        )  # the minimal fix is the reference solution
        assert not run(exercise, item.code).passed, item.name
        assert run(exercise, item.fix).passed, item.name


def test_course_has_three_verified_bugs_per_new_exercise() -> None:
    items, exercises = load_set("course")
    counts = Counter(i.task for i in items)
    pack = load_bundled()
    new = {e.id for e in pack.exercises} - set(load_set("basics")[1])
    assert set(counts) == new and len(new) >= 120
    assert min(counts.values()) >= 3
    assert {e.unit for e in pack.exercises if e.id in new} >= {u.id for u in pack.units}
    for item in random.Random(7).sample(items, 40):  # all of them are checked when the set is built
        exercise = exercises[item.task]
        assert item.fix.strip() == (pack.find(item.task).solution or "").strip()
        assert not run(exercise, item.code).passed, item.name
        assert run(exercise, item.fix).passed, item.name


@pytest.mark.parametrize("name, expected", [("quixbugs", 31), ("refactory", 180)])
def test_dataset_sets_are_verified(name: str, expected: int) -> None:
    items, exercises = load_set(name)
    assert len(items) == expected
    for item in random.Random(1).sample(items, 8):
        assert not run(exercises[item.task], item.code).passed, item.name
        assert run(exercises[item.task], item.fix).passed, item.name


def test_splits_are_disjoint_by_task_and_cover_every_item() -> None:
    splits = load_splits()
    assert set(splits) == set(SET_NAMES)
    for name, parts in splits.items():
        assert not set(parts["dev"]) & set(parts["test"]), name
        assert parts["dev"] and parts["test"], name
        items, _ = load_set(name)
        assert {i.task for i in items} <= set(parts["dev"]) | set(parts["test"]), name
    assert (
        split_of("refactory/q2") == "test" and split_of("refactory/q1") == "dev" and split_of("nope") is None
    )


def test_training_gate_refuses_test_items() -> None:
    dev = dev_items()
    assert dev and refuse_test_items(dev) == len(dev)
    items, _ = load_set("all")
    test_item = next(i for i in items if split_of(i.task) == "test")
    with pytest.raises(TestItemLeak, match="test task"):
        refuse_test_items([*dev[:3], test_item])
    # the same program under another name and reformatted is still caught
    disguised = {
        "task": "my/own",
        "name": "x",
        "code": "\n\n" + test_item.fix.replace("    ", "  ") + "\n# copied\n",
    }
    with pytest.raises(TestItemLeak, match="fix of a test item|code of a test item"):
        refuse_test_items([disguised], code_fields=("code",))


def test_sample_is_seeded_and_per_set() -> None:
    items, _ = load_set("all")
    first, again, other = sample(items, 5, 1), sample(items, 5, 1), sample(items, 5, 2)
    assert first == again and first != other
    assert Counter(i.set for i in first) == {"basics": 5, "quixbugs": 5, "refactory": 5, "course": 5}
