"""``tutor train prefer``: preference tuning (DPO, trl's ``DPOTrainer``) of a ``tutor train lora`` adapter on pairs
of hints for one prompt: the team's authored hint preferred over a model's real rejected answer
(``resources/train/preferences.jsonl``, each rejected text with why it is worse).

- Prompts are the pipeline's own hint prompts, rebuilt from each pair's prompt parts (``context``, ``fixed``,
  ``change``: the fields of ``tutor.train.examples.Example``) and rendered with the base's chat template, as
  ``tutor train lora`` renders them; token ids come from llama.cpp, exactly as the engines tokenize (trl's own
  tokenizing step is given these ids instead).
- The policy starts from the SFT adapter (``--sft RUN``) and trl keeps a frozen copy of it as the reference, so the
  DPO loss measures the move away from the SFT model, not from the base. Without ``--sft`` a fresh LoRA is
  trained on the base (the reference is then the base).
- A whole-task dev share of the pairs is held out: its DPO loss and reward accuracy (how often the chosen answer
  gains more than the rejected one) are measured at every ``--eval-every`` steps and at the end.
- ``OUT/adapter`` has the trained adapter in the same form as ``tutor train lora``'s, and ``OUT/train.json`` the
  summary the model card reads, so ``tutor train export --adapter OUT`` takes it unchanged. Checkpoints every
  ``--save-every`` steps; ``--resume`` continues from the newest.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tutor.eval.splits import split_of
from tutor.jsonl import JsonlError, read_jsonl
from tutor.train.base_model import BaseModel, TrainError, llama_tokenizer, load_hf_model, read_base
from tutor.train.examples import Example, render
from tutor.train.precision import choose_precision

PAIR_FIELDS = ("key", "task", "chosen", "rejected", "context", "fixed", "change")


@dataclass
class PreferConfig:
    base: str
    out: Path
    pairs: Path
    sft: Path | None = None  # a `tutor train lora` output folder (or its adapter folder)
    beta: float = 0.1
    lr: float = 2e-5
    epochs: float = 1.0
    max_steps: int = 0  # 0: as many as the epochs take
    batch_size: int = 2
    accumulation: int = 4
    rank: int = 16  # without --sft only (the SFT adapter keeps its own)
    max_length: int = 1024
    dev_share: float = 0.1
    seed: int = 0
    threads: int = 0
    precision: str = "auto"
    save_every: int = 50
    eval_every: int = 25
    resume: bool = False
    command: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """The preference pairs; a malformed file, a missing field or a test-split task is a ``TrainError``."""
    try:
        rows = read_jsonl(path, "preference pair")
    except (OSError, JsonlError) as exc:
        raise TrainError(f"{path}: cannot read the preference pairs ({exc})") from None
    for number, row in enumerate(rows, start=1):
        missing = [k for k in PAIR_FIELDS if k not in row]
        if missing:
            raise TrainError(f"{path}: line {number} lacks {', '.join(missing)}")
        if split_of(row["task"]) == "test":
            raise TrainError(f"{path}: line {number} is from {row['task']}, a test-split task")
    if not rows:
        raise TrainError(f"{path}: no preference pairs")
    return rows


def split_by_task(rows: list[dict[str, Any]], share: float, seed: int) -> tuple[list[Any], list[Any]]:
    """(train, dev): whole tasks held out, about ``share`` of the pairs, chosen with ``seed``."""
    tasks = sorted({r["task"] for r in rows})
    random.Random(seed).shuffle(tasks)
    dev_tasks: set[str] = set()
    for task in tasks:
        if sum(r["task"] in dev_tasks for r in rows) >= share * len(rows):
            break
        dev_tasks.add(task)
    return [r for r in rows if r["task"] not in dev_tasks], [r for r in rows if r["task"] in dev_tasks]


def token_rows(rows: list[dict[str, Any]], base: BaseModel, tokenizer: Any, max_length: int) -> list[Any]:
    """trl's tokenized form (``prompt_ids``, ``chosen_ids``, ``rejected_ids``) of each pair, rendered as
    ``tutor train lora`` renders an example and tokenized by llama.cpp; a pair longer than ``max_length`` is left
    out."""

    def ids(text: str, bos: bool) -> list[int]:
        return list(tokenizer.tokenize(text.encode("utf-8"), add_bos=bos, special=True))

    out = []
    for row in rows:
        parts = (row.get("source", ""), row["task"], row["context"])
        rendered = [
            render(
                Example("hint", *parts, answer, row["fixed"], row["change"]),
                base.chat_template,
                base.bos,
                base.eos,
            )
            for answer in (row["chosen"], row["rejected"])
        ]
        prompt_ids = ids(rendered[0][0], True)
        chosen, rejected = ids(rendered[0][1], False), ids(rendered[1][1], False)
        if len(prompt_ids) + max(len(chosen), len(rejected)) <= max_length:
            out.append({"prompt_ids": prompt_ids, "chosen_ids": chosen, "rejected_ids": rejected})
    return out


def _trainer_class() -> Any:
    from trl import DPOTrainer  # heavy: trl, torch

    class LlamaIdsDPOTrainer(DPOTrainer):
        """trl's DPO with the datasets already tokenized by llama.cpp (the engines' exact ids)."""

        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            return dataset

    return LlamaIdsDPOTrainer


def _hf_tokenizer(base: BaseModel) -> Any:
    """The base's tokenizer as transformers reads it from the GGUF: trl needs one for its pad token only."""
    from transformers import AutoTokenizer  # heavy: transformers

    return AutoTokenizer.from_pretrained(
        str(base.path.parent), gguf_file=base.path.name, local_files_only=True
    )


def _policy(config: PreferConfig, base: BaseModel, dtype: Any) -> tuple[Any, Any]:
    """(the model to train, a peft config when a fresh LoRA is wanted)."""
    from peft import LoraConfig, PeftModel  # heavy: peft, torch

    model = load_hf_model(base.path, dtype)
    if config.sft is None:
        targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        return model, LoraConfig(
            r=config.rank, lora_alpha=2 * config.rank, target_modules=targets, task_type="CAUSAL_LM"
        )
    adapter = config.sft if (config.sft / "adapter_config.json").is_file() else config.sft / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise TrainError(f"no LoRA adapter in {config.sft} (run `tutor train lora` first)")
    return PeftModel.from_pretrained(model, str(adapter), is_trainable=True), None


def train_preferences(config: PreferConfig) -> dict[str, Any]:
    """Run DPO and write ``OUT/adapter`` and ``OUT/train.json``; returns the summary."""
    import torch  # heavy: torch
    from datasets import Dataset  # heavy: datasets (pyarrow)

    if config.threads > 0:
        torch.set_num_threads(config.threads)
    base = read_base(config.base)
    rows = read_pairs(config.pairs)
    train_rows, dev_rows = split_by_task(rows, config.dev_share, config.seed)
    tokenizer = llama_tokenizer(base.path)
    train_set = token_rows(train_rows, base, tokenizer, config.max_length)
    dev_set = token_rows(dev_rows, base, tokenizer, config.max_length)
    if not train_set:
        raise TrainError("no preference pair fits --max-length")
    precision = choose_precision(config.precision)
    model, peft_config = _policy(config, base, precision.autocast)
    config.out.mkdir(parents=True, exist_ok=True)
    args = _dpo_args(config, precision, bool(dev_set))
    trainer = _trainer_class()(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_set),
        eval_dataset=Dataset.from_list(dev_set) if dev_set else None,
        processing_class=_hf_tokenizer(base),
        peft_config=peft_config,
    )
    resume = config.resume and any(config.out.glob("checkpoint-*"))
    before = _dev_metrics(trainer, "before") if dev_set and not resume else {}
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    seconds = time.perf_counter() - started
    after = _dev_metrics(trainer, "after") if dev_set else {}
    adapter = config.out / "adapter"
    shutil.rmtree(adapter, ignore_errors=True)
    trainer.model.save_pretrained(str(adapter), selected_adapters=["default"])
    summary = _summary(config, base, result, seconds, len(train_set), len(dev_set), precision)
    summary["metrics"].update(dev_before=before, dev_after=after)
    (config.out / "train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _dpo_args(config: PreferConfig, precision: Any, with_dev: bool) -> Any:
    """trl's ``DPOConfig`` for this run (CPU or CUDA as ``precision`` says)."""
    import torch  # heavy: torch
    from trl import DPOConfig  # heavy: trl

    return DPOConfig(
        output_dir=str(config.out),
        beta=config.beta,
        learning_rate=config.lr,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.accumulation,
        max_length=config.max_length,
        seed=config.seed,
        logging_steps=1,
        save_steps=config.save_every,
        save_total_limit=2,
        eval_strategy="steps" if with_dev else "no",
        eval_steps=config.eval_every,
        report_to=[],
        use_cpu=precision.device == "cpu",
        bf16=precision.autocast == torch.bfloat16,
        dataloader_num_workers=0,
        gradient_checkpointing=False,  # small models: memory is not short, and recomputing costs a third more
    )


def _dev_metrics(trainer: Any, prefix: str) -> dict[str, float]:
    """The dev pairs' DPO loss and reward accuracy (``PREFIX_rewards/accuracies``) now."""
    return {k: round(float(v), 5) for k, v in trainer.evaluate(metric_key_prefix=prefix).items()}


def _summary(
    config: PreferConfig,
    base: BaseModel,
    result: Any,
    seconds: float,
    n_train: int,
    n_dev: int,
    precision: Any,
) -> dict[str, Any]:
    pairs_sha = hashlib.sha256(config.pairs.read_bytes()).hexdigest()
    return {
        "stage": "dpo",
        "base": base.card(),
        "base_license": base.license,
        "sft": str(config.sft) if config.sft else None,
        "data": {"pairs": str(config.pairs), "sha256": pairs_sha, "train_pairs": n_train, "dev_pairs": n_dev},
        "config": config.to_json(),
        "steps": result.global_step,
        "metrics": {"train_loss": round(float(result.training_loss), 5)},
        "speed": {"seconds": round(seconds, 1), "steps_per_s": round(result.global_step / seconds, 4)},
        "precision": precision.describe(),
    }
