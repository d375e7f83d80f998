"""End to end on the real default model (Gemma 3 270M): a few LoRA steps on a few QuixBugs examples, a resume
from the checkpoint, the export to a GGUF (the base Q4_K_M, changed weights Q8_0) that the native engine loads and generates with, its model card,
its registration in the model store, and a tokenizer identical to the base's.

Needs the ``.[train]`` extra and llama.cpp's converter (``python -m tutor.train.converter --fetch``; install.sh
--test does both). Most of the time goes to loading the model three times.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import gguf
import pytest

from tutor.train.gguf_meta import tokenizer_fields

# the module fixture trains twice and exports (three model loads): ~3-4 min on 2 idle cores, far more on a busy one
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
pytest.importorskip("torch")
pytest.importorskip("peft")

DATA = Path(__file__).parent / "data"
TEXTS = [
    "def mean(xs):\n    return sum(xs) / len(xs)  # average\n",
    "    for i in range(len(items) - 1):\n\tif items[i] > items[i + 1]:\n\t\treturn False",
    "Hint: what does your loop do when the list is empty? Look at line 3.",
    "Exercise: Count the negatives\nStudent program:\n```python\nprint('héllo wörld', 'naïve café')\n```",
    "日本語のテキスト, Ελληνικά, русский, emoji 🙂🐍, tabs\tand  double  spaces",
    "<bos>special tokens in text <eos> <start_of_turn>user\n",
    "x=[1,2,3];y={'a':1}**2//3!=4>=5<=6->7",
    "",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, default_model: Path) -> dict[str, Any]:
    """Train 2 steps, resume to 3, export with --register into a store of its own."""
    from tutor.train.converter import find_converter

    if find_converter() is None:
        pytest.skip("llama.cpp's converter is not fetched (python -m tutor.train.converter --fetch)")
    from tutor.cli import main

    root = tmp_path_factory.mktemp("train")
    data = shutil.copytree(
        DATA, root / "data"
    )  # the token cache is written beside the data, not into the repo
    out, model, adapter = root / "run", root / "export" / "smoke.gguf", root / "export" / "smoke.lora.gguf"
    common = ["--base", str(default_model), "--data", str(data), "--out", str(out), "--threads", "2"]
    common += ["--max-length", "1024", "--save-every", "1", "--eval-every", "2", "--seed", "3"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTOR_DATA_DIR", str(root / "userdata"))
        assert main(["train", "lora", *common, "--max-steps", "2", "--json"]) == 0
        first = json.loads((out / "train.json").read_text())
        log_first = (out / "log.jsonl").read_text().splitlines()
        assert main(["train", "lora", *common, "--max-steps", "3", "--resume", "--json"]) == 0
        exported = main(
            ["train", "export", "--adapter", str(out), "--out", str(model), "--adapter-out", str(adapter)]
            + ["--register", "--json"]
        )
        assert exported == 0
        from tutor.models.store import ModelStore

        registered = ModelStore().find("smoke")
    return {
        "out": out,
        "model": model,
        "adapter": adapter,
        "first": first,
        "log_first": log_first,
        "registered": registered,
    }


def test_training_logs_steps_and_dev_loss_and_writes_an_adapter(run: dict[str, Any]) -> None:
    first = run["first"]
    assert first["steps"] == 2 and first["data"]["train_examples"] >= 4
    records = [json.loads(line) for line in run["log_first"]]
    steps = [r for r in records if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2]
    assert all(math.isfinite(r["loss"]) and r["loss"] > 0 and r["tok_s"] > 0 for r in steps)
    assert [r["step"] for r in records if "dev_loss" in r] == [2]
    assert first["metrics"]["dev_loss"] > 0 and first["speed"]["peak_rss_gb"] > 0
    assert (run["out"] / "adapter" / "adapter_model.safetensors").is_file()


def test_resume_continues_from_the_checkpoint(run: dict[str, Any]) -> None:
    records = [json.loads(line) for line in (run["out"] / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3]  # step 3 only: 1 and 2 were not redone
    summary = json.loads((run["out"] / "train.json").read_text())
    assert summary["steps"] == 3
    assert (run["out"] / "checkpoint-3" / "state.json").is_file()
    assert json.loads((run["out"] / "checkpoint-3" / "state.json").read_text())["step"] == 3


def test_export_is_a_gguf_that_the_native_engine_runs(run: dict[str, Any]) -> None:
    from tutor.engines.base import GenerationParams
    from tutor.engines.native import NativeEngine
    from tutor.models.gguf_header import read_header

    assert (
        read_header(run["model"]).quantization == "Q4_K_M"
    )  # the base's file type; changed weights are Q8_0
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(run["model"]).tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["output_norm.weight"] == "F32"
    engine = NativeEngine(threads=2)
    engine.load(run["model"])
    params = GenerationParams(max_tokens=12, temperature=0.0, seed=1)
    text = engine.generate("def add(a, b):\n    return", params).collect()
    assert text.strip()
    assert engine.info().model_name == "smoke"
    assert run["registered"].path.name == "smoke.gguf" and run["registered"].info is not None


def test_model_card_is_in_the_file_and_beside_it(run: dict[str, Any], default_model: Path) -> None:
    from tutor.models.checksum import sha256_of

    reader = gguf.GGUFReader(run["model"])
    card = json.loads(reader.get_field("tutor.card").contents())
    assert card["base"]["sha256"] == sha256_of(default_model)
    assert card["steps"] == 3 and card["seed"] == 3 and len(card["data"]["sha256"]) == 64
    assert card["license"] == "gemma" and card["metrics"]["dev_loss"] > 0
    assert "tutor train lora" in card["train_command"] and "--resume" in card["train_command"]
    assert "smoke" in reader.get_field("general.description").contents()
    beside = json.loads(run["model"].with_name("smoke.card.json").read_text())
    assert beside == card
    assert run["model"].with_name("smoke.card.md").is_file()
    # the adapter written beside it (and merged from, converted once) carries the same card
    adapter = gguf.GGUFReader(run["adapter"])
    assert json.loads(adapter.get_field("tutor.card").contents()) == card
    assert adapter.get_field("general.type").contents() == "adapter"


def test_tokenizer_is_identical_to_the_base(run: dict[str, Any], default_model: Path) -> None:
    from tutor.train.base_model import llama_tokenizer

    assert tokenizer_fields(run["model"]) == tokenizer_fields(default_model)
    base, tuned = llama_tokenizer(default_model), llama_tokenizer(run["model"])
    for text in TEXTS:
        for special in (True, False):
            ids = base.tokenize(text.encode(), add_bos=True, special=special)
            assert tuned.tokenize(text.encode(), add_bos=True, special=special) == ids, text
            assert tuned.detokenize(ids) == base.detokenize(ids)
    assert os.path.getsize(run["model"]) < 1.2 * os.path.getsize(default_model)


def test_preference_tuning_starts_from_the_sft_adapter(run: dict[str, Any], default_model: Path) -> None:
    """One DPO step (``tutor train prefer``) from the smoke run's adapter: the reference is that adapter, so the
    first loss is log 2 exactly; the step moves the adapter, and the result sits where ``export`` looks."""
    pytest.importorskip("trl")
    from safetensors.numpy import load_file

    from tutor.cli import main
    from tutor.train.export import locate_adapter
    from tutor.train.prefer import read_pairs
    from tutor.train.prefer_cli import default_pairs

    rows = sorted(read_pairs(default_pairs()), key=lambda r: len(str(r["context"])))[:2]
    pairs = run["out"].parent / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = run["out"].parent / "dpo"
    args = ["train", "prefer", "--base", str(default_model), "--sft", str(run["out"]), "--pairs", str(pairs)]
    args += [
        "--out",
        str(out),
        "--max-steps",
        "1",
        "--batch-size",
        "2",
        "--accumulation",
        "1",
        "--lr",
        "1e-3",
    ]
    assert main([*args, "--dev-share", "0", "--threads", "2", "--json"]) == 0
    summary = json.loads((out / "train.json").read_text())
    assert summary["stage"] == "dpo" and summary["steps"] == 1 and summary["data"]["train_pairs"] == 2
    assert abs(summary["metrics"]["train_loss"] - math.log(2)) < 1e-3  # policy == reference (the SFT adapter)
    adapter, found = locate_adapter(out)
    assert found["stage"] == "dpo" and found["sft"] == str(run["out"])
    before = load_file(str(run["out"] / "adapter" / "adapter_model.safetensors"))
    after = load_file(str(adapter / "adapter_model.safetensors"))
    assert set(before) == set(after)  # the same adapter shape: export takes it as it takes lora's
    assert any(abs(after[k] - before[k]).max() > 0 for k in before)
