"""The dataset: deduplicated, split by task, and a data card whose counts and hashes match the files."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from tutor.train.assembly import build_examples, deduplicate, split_by_task
from tutor.train.card import read_jsonl
from tutor.train.data_cli import main
from tutor.train.dataset import data_hash
from tutor.train.examples import Example

from .data_support import evens_pair, sum_of_evens


def test_the_same_pair_twice_gives_each_example_once() -> None:
    pair = evens_pair()
    examples, _, _ = build_examples([pair, pair], {pair.task: sum_of_evens()})
    assert len(examples) == 4
    kept, removed = deduplicate(examples)
    assert removed == 2 and sorted(e.kind for e in kept) == ["hint", "repair"]
    assert len({e.id for e in kept}) == 2


def test_dev_holds_whole_tasks_and_never_the_big_one() -> None:
    examples = [Example("repair", "s", "big", f"c{i}", "a") for i in range(80)]
    examples += [Example("repair", "s", f"t{t}", f"c{t}-{i}", "a") for t in range(10) for i in range(2)]
    train, dev, tasks = split_by_task(examples, 0.1, seed=5)
    assert len(dev) == 10 and len(tasks) == 5 and "big" not in tasks
    assert not {e.task for e in train} & set(tasks) and len(train) + len(dev) == 100
    assert split_by_task(examples, 0.1, seed=5)[2] == tasks  # seeded


def test_the_card_counts_and_hashes_match_the_files(tmp_path: Path) -> None:
    out = tmp_path / "data"
    args = [
        "--out",
        str(out),
        "--teacher",
        "none",
        "--targets",
        "none",
        "--max-per-source",
        "3",
        "--seed",
        "11",
    ]
    assert main([*args, "--json"]) == 0
    card = json.loads((out / "card.json").read_text())
    train, dev = read_jsonl(out / "train.jsonl"), read_jsonl(out / "dev.jsonl")
    for name, examples in (("train", train), ("dev", dev)):
        counted: dict[str, dict[str, int]] = {}
        for e in examples:
            counted.setdefault(e.source, {"repair": 0, "hint": 0})[e.kind] += 1
        assert card[name]["by_source"] == counted
        assert card[name]["examples"] == len(examples)
        assert (
            card["files"][f"{name}.jsonl"]["sha256"]
            == hashlib.sha256((out / f"{name}.jsonl").read_bytes()).hexdigest()
        )
    every = train + dev
    assert len({e.id for e in every}) == len(every)
    # the trainer records this data under the card's hash, whether it reads the card or hashes the files itself
    assert data_hash(out) == card["data_sha256"]
    (out / "card.json").unlink()
    assert data_hash(out) == card["data_sha256"]
    assert not {e.task for e in train} & {e.task for e in dev} and card["dev_tasks"] == sorted(
        {e.task for e in dev}
    )
    assert sum(card["pairs"].values()) * 2 >= len(every) and card["hint_answers"] == sum(
        e.kind == "hint" for e in every
    )
    assert card["teacher"]["model"] is None and set(card["train"]["hint_targets"]) == {"analysis"}
    assert "seed 11" in (out / "card.md").read_text() and card["command"].startswith("tutor train data ")
    row = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]


def test_bad_options_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--teacher", "none", "--max-per-source", "0"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["--out", str(tmp_path), "--teacher", str(tmp_path / "missing.gguf")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.strip().count("\n") == 0


def test_data_registers_under_a_train_command_with_or_without_the_common_options() -> None:
    from tutor.train.data_cli import add_parser, command

    for with_common in (True, False):
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--json", action="store_true")
        parser = argparse.ArgumentParser(prog="tutor")
        train = parser.add_subparsers(dest="command").add_parser("train").add_subparsers(dest="step")
        add_parser(train, common if with_common else None)
        args = parser.parse_args(["train", "data", "--teacher", "none", "--json", "--max-per-source", "5"])
        assert args.func is command and args.json and args.max_per_source == 5 and args.teacher == "none"
