"""The team's reference hints (``resources/eval/references.test.jsonl``): one for every test-split item and for
no other, each hint one or two sentences, and neither hint nor explanation leaks the fix (the product's guard)."""

from __future__ import annotations

import json
import re

from tutor.bench.quality.references import read_references
from tutor.eval.sets import eval_dir, load_set
from tutor.eval.splits import split_of
from tutor.feedback.guard import check_hint

PATH = eval_dir() / "references.test.jsonl"


def test_one_reference_for_every_test_item_and_no_other() -> None:
    items, _ = load_set("all")
    keys = [
        json.loads(line)["item"] for line in PATH.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assert len(keys) == len(set(keys))
    assert set(keys) == {i.key for i in items if split_of(i.task) == "test"}
    assert len(read_references(PATH)) == len(keys)  # the benchmark's reader takes the file as it is


def test_reference_hints_follow_the_house_rules() -> None:
    items = {i.key: i for i in load_set("all")[0]}
    for line in PATH.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        item = items[row["item"]]
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", row["hint"].strip()) if s]
        assert 1 <= len(sentences) <= 2, row["item"]
        assert row["author"].startswith("team") and row["explanation"].strip(), row["item"]
        for text in (row["hint"], row["explanation"]):
            leaks = [r for r in check_hint(text, item.fix, item.code).reasons if r.startswith("contains")]
            assert not leaks, (row["item"], leaks)
