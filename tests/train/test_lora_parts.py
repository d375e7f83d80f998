"""The parts of `tutor train lora/export` that need no model weights: token ids and loss masks, batches, the data
hash, precision choice, the converter cache, the GGUF card metadata, the card, and the CLI's one-line errors."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import gguf
import numpy as np
import pytest

from tutor.cli import main
from tutor.train import converter, precision
from tutor.train.base_model import TrainError, llama_tokenizer, read_base
from tutor.train.dataset import (
    IGNORE,
    Tokenized,
    balance,
    batches,
    cached_tokens,
    data_hash,
    read_examples,
    tokenize,
)
from tutor.train.examples import Example, render
from tutor.train.gguf_meta import add_strings, read_strings, tokenizer_fields
from tutor.train.model_card import build_card, markdown

DATA = Path(__file__).parent / "data"


def test_prompt_tokens_carry_no_loss_and_completion_tokens_do(default_model: Path) -> None:
    torch = pytest.importorskip("torch")
    from tutor.train.dataset import collate

    base = read_base(str(default_model))
    assert base.chat_template is None and base.bos == "<bos>"  # the Gemma 270M base: plain prompts
    tokenizer = llama_tokenizer(default_model)
    examples = read_examples(DATA / "train.jsonl")
    items = tokenize(examples, base, tokenizer, max_length=4096)
    assert len(items) == len(examples)
    prompt, completion = render(examples[0], None)
    # the prompt is tokenized as the engines do it (BOS, special tokens), the completion after it
    assert items[0].ids[: items[0].prompt_len] == tokenizer.tokenize(
        prompt.encode(), add_bos=True, special=True
    )
    assert tokenizer.detokenize(items[0].ids[items[0].prompt_len :]).decode() == completion
    batch = collate(items[:2], pad_id=0)
    for row, item in enumerate(items[:2]):
        labels = batch["labels"][row]
        assert (labels[: item.prompt_len] == IGNORE).all()
        assert labels[item.prompt_len : len(item.ids)].tolist() == item.ids[item.prompt_len :]
        assert (labels[len(item.ids) :] == IGNORE).all()
        assert batch["attention_mask"][row].sum() == len(item.ids)
    assert batch["input_ids"].dtype == torch.long
    # too long: left out
    assert len(tokenize(examples, base, tokenizer, max_length=100)) == 0


def test_token_ids_are_cached_beside_the_data_and_remade_when_it_changes(
    default_model: Path, tmp_path: Path
) -> None:
    base = read_base(str(default_model))
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    calls: list[int] = []

    def tokenizer() -> object:
        calls.append(1)
        return llama_tokenizer(default_model)

    fresh, skipped = cached_tokens(data / "train.jsonl", base, 1024, tokenizer)
    assert calls == [1] and fresh
    again, skipped_again = cached_tokens(data / "train.jsonl", base, 1024, tokenizer)
    assert calls == [1], "a second run reads the cache, without llama.cpp"
    assert again == fresh and skipped_again == skipped
    assert skipped == len(read_examples(data / "train.jsonl")) - len(fresh)
    # another length is another cache; a changed examples file is tokenized again
    cached_tokens(data / "train.jsonl", base, 4096, tokenizer)
    assert calls == [1, 1]
    lines = (data / "train.jsonl").read_text().splitlines()
    (data / "train.jsonl").write_text("\n".join(lines[:2]) + "\n")
    fewer, _ = cached_tokens(data / "train.jsonl", base, 1024, tokenizer)
    assert calls == [1, 1, 1] and len(fewer) <= 2


def test_balance_caps_each_task_and_kind_and_keeps_the_order() -> None:
    examples = [Example("hint", "refactory", "q1", f"c{i}", "a") for i in range(10)]
    examples += [Example("repair", "refactory", "q1", f"r{i}", "a") for i in range(4)]
    examples += [Example("hint", "course", "t2", "only", "a")]
    kept = balance(examples, 3, seed=5)
    assert [e.kind for e in kept].count("hint") == 3 + 1 and [e.kind for e in kept].count("repair") == 3
    assert [examples.index(e) for e in kept] == sorted(examples.index(e) for e in kept)  # the file's order
    assert kept == balance(examples, 3, seed=5) and any(balance(examples, 3, s) != kept for s in range(6, 10))
    assert balance(examples, 0, seed=5) == examples  # 0: every example
    assert balance(examples, 10, seed=5) == examples


def test_a_balanced_selection_is_cached_under_its_own_name(default_model: Path, tmp_path: Path) -> None:
    base = read_base(str(default_model))
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    lines = (data / "train.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    more = [json.dumps({**first, "context": first["context"] + "\n" * n}) for n in (1, 2, 3)]  # one task, 4x
    (data / "train.jsonl").write_text("\n".join(lines + more) + "\n")
    every, _ = cached_tokens(data / "train.jsonl", base, 4096, lambda: llama_tokenizer(default_model))
    some, _ = cached_tokens(data / "train.jsonl", base, 4096, lambda: llama_tokenizer(default_model), 1, 0)
    assert len(every) == len(lines) + 3 and len(some) == len(lines)  # the task's 4 examples: 1 kept
    names = sorted(p.name for p in (data / "tokens").rglob("*.jsonl"))
    assert names == ["train.jsonl", "train.per-task-1-seed-0.jsonl"]
    again, _ = cached_tokens(data / "train.jsonl", base, 4096, lambda: pytest.fail("tokenized twice"), 1, 0)
    assert again == some


def test_batches_cover_every_example_once_within_the_token_budget() -> None:
    items = [Tokenized(list(range(n)), 1) for n in (50, 300, 120, 120, 700, 80, 1500, 30)]
    groups = batches(items, batch_tokens=400, seed=1)
    assert sorted(i for g in groups for i in g) == list(range(len(items)))
    for group in groups:
        width = max(len(items[i].ids) for i in group)
        assert len(group) == 1 or width * len(group) <= 400
    assert groups == batches(items, 400, seed=1)
    assert any(batches(items, 400, seed=s) != groups for s in range(2, 6))  # the seed shuffles


def test_data_hash_follows_the_data_and_prefers_the_data_card(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "d")
    first = data_hash(tmp_path / "d")
    with (tmp_path / "d" / "dev.jsonl").open("a") as handle:
        handle.write("\n")
    assert data_hash(tmp_path / "d") != first
    folder = tmp_path / "d"
    # the same definition as the data card's (tutor.train.card): train.jsonl's bytes, then dev.jsonl's
    together = (folder / "train.jsonl").read_bytes() + (folder / "dev.jsonl").read_bytes()
    assert data_hash(folder) == hashlib.sha256(together).hexdigest()
    (folder / "card.json").write_text(json.dumps({"data_sha256": "abc123", "files": {}}))
    assert data_hash(folder) == "abc123"
    (folder / "card.json").write_text(json.dumps({"sha256": "def456"}))  # a card written by another tool
    assert data_hash(folder) == "def456"
    with pytest.raises(TrainError, match="no train.jsonl"):
        data_hash(tmp_path)


def test_precision_follows_the_cpu_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "avx512f"})
    assert precision.choose_precision().autocast is None
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx512f", "amx_bf16"})
    assert precision.choose_precision().autocast == torch.bfloat16
    assert precision.choose_precision("fp32").autocast is None


def _sdist(path: Path, version: str) -> None:
    files = {
        "convert_hf_to_gguf.py": b"print('converter')\n",
        "convert_lora_to_gguf.py": b"print('lora converter')\n",
        "conversion/__init__.py": b"",
        "gguf-py/gguf/__init__.py": b"",
        "ggml/src/big.c": b"int x;",  # not needed: left out
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"llama_cpp_python-{version}/vendor/llama.cpp/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_converter_is_unpacked_from_the_sdist_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUTOR_LLAMA_CPP_SRC", raising=False)
    monkeypatch.setattr(converter, "cache_roots", lambda: [tmp_path / "cache"])
    with pytest.raises(TrainError, match="--fetch"):
        converter.require_converter()
    version = converter.llama_cpp_version()
    _sdist(tmp_path / "sdist.tar.gz", version)
    assert converter.main(["--sdist", str(tmp_path / "sdist.tar.gz")]) == 0
    script = converter.require_converter()
    assert script == tmp_path / "cache" / f"llama.cpp-{version}" / "convert_hf_to_gguf.py"
    assert (script.parent / "convert_lora_to_gguf.py").is_file()  # tutor train export --adapter-out
    assert (script.parent / "conversion" / "__init__.py").is_file()
    assert (script.parent / "gguf-py" / "gguf" / "__init__.py").is_file()
    assert not (script.parent / "ggml").exists()


def _gguf(path: Path, tokens: list[str], model: str, extra: dict[str, str]) -> None:
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_name("test")
    writer.add_tokenizer_model(model)
    writer.add_token_list(tokens)
    writer.add_token_types([1] * len(tokens))
    if model == "llama":
        writer.add_token_scores([float(-i) for i in range(len(tokens))])
        writer.add_bos_token_id(1)
    else:
        writer.add_token_merges(["a b"])
    for key, value in extra.items():
        writer.add_string(key, value)
    writer.add_tensor("weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_card_is_added_and_everything_else_copied(tmp_path: Path) -> None:
    tokens = ["<pad>", "<bos>", "a", "b", "▁ab"]
    _gguf(tmp_path / "base.gguf", tokens, "llama", {"tutor.card": "old"})
    add_strings(tmp_path / "base.gguf", tmp_path / "out.gguf", {"tutor.card": "{}"})
    assert tokenizer_fields(tmp_path / "out.gguf") == tokenizer_fields(tmp_path / "base.gguf")
    assert read_strings(tmp_path / "out.gguf", ["tutor.card", "general.name", "missing"]) == {
        "tutor.card": "{}",
        "general.name": "test",
    }
    reader = gguf.GGUFReader(tmp_path / "out.gguf")
    assert reader.get_field("general.architecture").contents() == "llama"
    assert np.array_equal(reader.tensors[0].data, np.arange(12, dtype=np.float32).reshape(3, 4))


def test_base_license_comes_from_the_file_else_from_the_catalog(tmp_path: Path) -> None:
    tokens = ["<pad>", "<bos>", "a", "b", "▁ab"]
    qwen = tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"  # the catalog's file name; no general.license
    _gguf(qwen, tokens, "llama", {})
    assert read_base(str(qwen)).license == "apache-2.0"
    _gguf(tmp_path / "own.gguf", tokens, "llama", {"general.license": "mit"})
    assert read_base(str(tmp_path / "own.gguf")).license == "mit"
    _gguf(tmp_path / "unknown.gguf", tokens, "llama", {})
    assert read_base(str(tmp_path / "unknown.gguf")).license == ""


def test_card_names_base_data_steps_seed_and_metrics() -> None:
    summary = {
        "config": {
            "seed": 7,
            "epochs": 2.0,
            "rank": 16,
            "command": ["tutor", "train", "lora", "--seed", "7"],
        },
        "data": {"sha256": "d" * 64, "train_examples": 10, "dev_examples": 2},
        "steps": 40,
        "epochs_done": 2.0,
        "metrics": {"train_loss": 0.5, "dev_loss": 0.7, "best_dev_loss": 0.6},
    }
    card = build_card(
        "m", {"name": "Base", "file": "b.gguf", "sha256": "b" * 64}, "gemma", summary, ["tutor"]
    )
    assert (card["seed"], card["steps"], card["license"]) == (7, 40, "gemma")
    assert card["train_command"] == "tutor train lora --seed 7"
    text = markdown(card)
    assert "b" * 64 in text and "d" * 64 in text and "0.6" in text


def test_cli_errors_are_one_line(
    tmp_path: Path, default_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["train", "lora", "--base", str(default_model), "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no train.jsonl" in err
    assert main(["train", "lora", "--base", "nothing-here", "--data", str(DATA), "--out", str(tmp_path)]) == 2
    assert "no base model 'nothing-here'" in capsys.readouterr().err
    assert main(["train", "export", "--adapter", str(tmp_path), "--out", str(tmp_path / "m.gguf")]) == 2
    assert "no LoRA adapter" in capsys.readouterr().err


def test_the_recorded_command_keeps_zero_values_and_drops_unset_ones() -> None:
    """`--seed 0` is a seed, not "unset": the model card's command must reproduce the run as given."""
    from tutor.train.cli import LORA_FLAGS, add_parser
    from tutor.train.cli_shared import command_line

    parser = argparse.ArgumentParser(prog="tutor")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["train", "lora", "--base", "b.gguf", "--data", "d", "--out", "o", "--seed", "0"]
    )
    line = command_line(["train", "lora"], args, LORA_FLAGS)
    assert " --seed 0 " in f" {' '.join(line)} " and " --max-steps 0 " in f" {' '.join(line)} "
    assert "--resume" not in line and "--threads" in line  # a switch left off; 0 = torch's choice, recorded
