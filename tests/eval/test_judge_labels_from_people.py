"""People's labels (``tutor bench label``'s rows) read by the judge checks: majority labels for the quality judge,
the preferences they imply for the arena judge, and a seeded sample — on a hand-worked example."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.errors import UsageError
from tutor.eval.judge_labels import CheckConfig, derived_pairs, majority_rows, read_labels_of, sampled
from tutor.eval.labels import make_label
from tutor.eval.sets import load_set
from tutor.jsonl import write_jsonl

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}
VAGUE = dict(YES, HInformative=False)


def _items() -> tuple[str, str]:
    items, _ = load_set("refactory")
    return items[0].key, items[1].key


def _records() -> list[dict[str, object]]:
    """Item 1: hint G good by both readers, hint V vague by both, hint S split (one yes, one no: a tie is no).
    Item 2: only a good hint, so it implies no pair."""
    one, two = _items()
    return [
        make_label(one, "G: which line returns early?", YES, "ann"),
        make_label(one, "G: which line returns early?", YES, "bob"),
        make_label(one, "V: work through it by hand.", VAGUE, "ann"),
        make_label(one, "V: work through it by hand.", VAGUE, "bob"),
        make_label(one, "S: does line 3 run for an empty list?", YES, "ann"),
        make_label(one, "S: does line 3 run for an empty list?", VAGUE, "bob"),
        make_label(two, "Only one hint here: which case stops the loop?", YES, "ann"),
    ]


def test_majority_rows_give_each_hint_once_with_the_majority_label() -> None:
    rows = {r["hint"][0]: r for r in majority_rows(_records())}  # type: ignore[arg-type]
    assert sorted(rows) == ["G", "O", "S", "V"]
    assert rows["G"]["labels"] == YES and rows["V"]["labels"] == VAGUE
    assert rows["S"]["labels"]["HInformative"] is False  # one yes, one no: a tie is no


def test_derived_pairs_prefer_the_good_hint_and_alternate_its_position() -> None:
    pairs = derived_pairs(_records())  # type: ignore[arg-type]
    # item 1: G good; V and S not (S by the tie) -> two pairs; item 2 has no "not good" hint -> none
    assert len(pairs) == 2
    winners = [p["hint_a"] if p["preference"] == "A" else p["hint_b"] for p in pairs]
    assert all(w.startswith("G") for w in winners)
    assert [p["preference"] for p in pairs] == ["A", "B"]


def test_people_labels_are_read_as_either_kind(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    write_jsonl(path, _records())
    quality = read_labels_of(path, "quality", "other")
    arena = read_labels_of(path, "arena", "other")
    assert len(quality) == 4 and len(arena) == 2
    write_jsonl(path, _records()[-1:])  # one good hint alone implies no preference
    with pytest.raises(UsageError, match="imply no arena labels"):
        read_labels_of(path, "arena", "other")


def test_a_seeded_sample_keeps_the_file_order_and_repeats() -> None:
    rows = [{"n": n} for n in range(20)]
    first = sampled(rows, CheckConfig(sample=5, seed=3))
    assert len(first) == 5 and first == sorted(first, key=lambda r: r["n"])
    assert first == sampled(rows, CheckConfig(sample=5, seed=3))
    assert first != sampled(rows, CheckConfig(sample=5, seed=4))
    assert sampled(rows, CheckConfig()) == rows
