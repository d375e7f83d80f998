"""``tutor train prefer`` (DPO with trl): the bundled preference pairs and their checks, the whole-task dev split,
the llama.cpp token ids that replace trl's tokenizing. One real DPO step from an SFT adapter is in
``test_smoke.py`` (it reuses that module's trained adapter)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.eval.splits import split_of
from tutor.train.authored import load_targets
from tutor.train.base_model import TrainError, llama_tokenizer, read_base
from tutor.train.examples import Example, render
from tutor.train.prefer import PAIR_FIELDS, read_pairs, split_by_task, token_rows
from tutor.train.prefer_cli import default_pairs


def _bundled() -> list[dict[str, object]]:
    return read_pairs(default_pairs())


def test_the_bundled_pairs_prefer_the_authored_target_over_a_real_rejected_answer() -> None:
    rows = _bundled()
    targets = load_targets()
    assert len(rows) >= 500  # issue 24 asks for at least 500
    for row in rows:
        target = targets[str(row["key"])]
        assert row["chosen"] == f"Explanation: {target.explanation}\nHint: {target.hint}\n"
        assert row["rejected"] != row["chosen"] and row["why"]  # every rejected text says why it is worse
        assert split_of(str(row["task"])) != "test"


def test_a_test_split_task_or_a_missing_field_is_refused(tmp_path: Path) -> None:
    row = dict(_bundled()[0])
    path = tmp_path / "pairs.jsonl"
    test_task = next(
        t for t in ("refactory/q2", "refactory/q3", "refactory/q4", "refactory/q5") if split_of(t) == "test"
    )
    path.write_text(json.dumps(dict(row, task=test_task)) + "\n")
    with pytest.raises(TrainError, match="test-split task"):
        read_pairs(path)
    path.write_text(json.dumps({k: v for k, v in row.items() if k != "context"}) + "\n")
    with pytest.raises(TrainError, match="lacks context"):
        read_pairs(path)
    path.write_text("{not json\n")
    with pytest.raises(TrainError, match="cannot read"):
        read_pairs(path)
    assert set(PAIR_FIELDS) <= set(row)


def test_the_dev_pairs_are_whole_tasks() -> None:
    rows = _bundled()
    train, dev = split_by_task(rows, 0.1, 0)
    assert len(train) + len(dev) == len(rows) and 0.1 * len(rows) <= len(dev) < 0.3 * len(rows)
    assert not {r["task"] for r in train} & {r["task"] for r in dev}
    assert split_by_task(rows, 0.1, 0) == (train, dev)


def test_token_ids_are_the_sft_prompt_then_each_answer(default_model: Path) -> None:
    base = read_base(str(default_model))
    tokenizer = llama_tokenizer(base.path)
    row = _bundled()[0]
    (found,) = token_rows([row], base, tokenizer, 4096)
    example = Example(
        "hint",
        "",
        str(row["task"]),
        str(row["context"]),
        str(row["chosen"]),
        str(row["fixed"]),
        str(row["change"]),
    )
    prompt, completion = render(example, base.chat_template, bos=base.bos, eos=base.eos)
    assert found["prompt_ids"] == list(tokenizer.tokenize(prompt.encode(), add_bos=True, special=True))
    assert found["chosen_ids"] == list(tokenizer.tokenize(completion.encode(), add_bos=False, special=True))
    assert found["rejected_ids"] != found["chosen_ids"]
    assert token_rows([row], base, tokenizer, len(found["prompt_ids"])) == []  # too long: left out
