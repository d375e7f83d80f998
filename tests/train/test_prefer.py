"""``tutor train prefer`` (DPO with trl): the bundled preference pairs and their checks, the whole-task dev split,
the llama.cpp token ids that replace trl's tokenizing, and one real DPO step on the default model (slow)."""

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
    assert len(rows) >= 300
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


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_one_dpo_step_writes_an_adapter_export_takes(default_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("trl")
    from safetensors.numpy import load_file

    from tutor.cli import main
    from tutor.train.export import locate_adapter

    rows = sorted(_bundled(), key=lambda r: len(str(r["context"])))[:2]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "dpo"
    args = ["train", "prefer", "--base", str(default_model), "--pairs", str(pairs), "--out", str(out)]
    args += [
        "--max-steps",
        "1",
        "--batch-size",
        "2",
        "--accumulation",
        "1",
        "--dev-share",
        "0",
        "--threads",
        "2",
    ]
    args += ["--lr", "1e-3", "--json"]
    assert main(args) == 0
    summary = json.loads((out / "train.json").read_text())
    assert summary["stage"] == "dpo" and summary["steps"] == 1 and summary["data"]["train_pairs"] == 2
    assert abs(summary["metrics"]["train_loss"] - 0.6931) < 0.01  # DPO starts at log 2: policy == reference
    adapter, found = locate_adapter(out)
    assert found["stage"] == "dpo"
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    # LoRA's B starts at zero; one step moved it
    assert any(abs(v).max() > 0 for k, v in weights.items() if "lora_B" in k)
