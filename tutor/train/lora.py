"""``tutor train lora``: a LoRA adapter for a base loaded from its own GGUF, with the loss on the answers only.

LoRA (peft) on every attention and MLP projection; bf16 autocast on CPUs with bf16 instructions (AVX512-BF16 or
AMX), float32 on others, CUDA when present. A tqdm bar shows tokens/s and the ETA; every ``save_every`` steps and
at the end a checkpoint (adapter, optimizer, scheduler, step) is written and ``resume`` continues from the newest;
the dev loss is measured every ``eval_every`` steps and training stops after ``patience`` evaluations without a
better one. ``OUT/log.jsonl`` has one line per step (and per evaluation), ``OUT/adapter`` the adapter to export
(the one with the best dev loss when there is a dev set), ``OUT/train.json`` the summary the model card uses.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tutor.train import checkpoints
from tutor.train.base_model import BaseModel, TrainError, llama_tokenizer, load_hf_model, read_base
from tutor.train.dataset import (
    IGNORE,
    Tokenized,
    batches,
    cached_tokens,
    collate,
    data_files,
    data_hash,
    epoch_batches,
)
from tutor.train.precision import Precision, choose_precision

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainConfig:
    base: str
    data: Path
    out: Path
    epochs: float = 1.0
    max_steps: int = 0  # 0: as many as the epochs take
    lr: float = 2e-4
    rank: int = 16
    alpha: int = 0  # 0: twice the rank
    dropout: float = 0.05
    batch_tokens: int = 1024
    max_length: int = 1024
    seed: int = 0
    threads: int = 0  # 0: torch's default
    precision: str = "auto"  # auto | bf16 | fp32
    save_every: int = 100
    eval_every: int = 50
    patience: int = 3
    dev_limit: int = 200
    max_per_task: int = 0  # 0: every training example; else at most this many of one task and kind
    resume: bool = False
    progress: bool = True
    command: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items() if k != "progress"}


@dataclass
class Loop:
    """What the loop carries from step to step (and through a checkpoint)."""

    step: int = 0
    tokens: int = 0
    seconds: float = 0.0
    best_dev: float | None = None
    best_step: int = 0
    bad_evals: int = 0
    stopped_early: bool = False
    last_losses: list[float] = field(default_factory=list)
    dev_losses: list[list[float]] = field(default_factory=list)  # [step, loss]


def completion_loss(model: Any, batch: dict[str, Any], precision: Precision) -> Any:
    """Mean cross-entropy over the completion tokens. Logits are computed only at the positions that predict
    one (``logits_to_keep`` as a mask): with a 262k-token vocabulary the output layer over the whole prompt would
    cost more than the rest of the model."""
    import torch

    labels = batch["labels"]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE  # position t predicts token t + 1
    with torch.autocast(precision.device, dtype=precision.autocast, enabled=precision.autocast is not None):
        logits = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=keep
        ).logits
    targets = labels[:, 1:][keep[:, :-1]]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets)


def _lazy(make: Callable[[], Any]) -> Callable[[], Any]:
    """``make()`` called once, on first use (llama.cpp's tokenizer is needed only when the token cache misses)."""
    made: list[Any] = []

    def get() -> Any:
        if not made:
            made.append(make())
        return made[0]

    return get


def _log(out: Path, record: dict[str, Any]) -> None:
    with (out / "log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _peak_rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)  # Linux: KiB


class Trainer:
    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        config.alpha = config.alpha or 2 * config.rank
        self.base: BaseModel = read_base(config.base)
        train_path, dev_path = data_files(config.data)
        self.pad_id = self.base.eos_id
        tokenizer = _lazy(lambda: llama_tokenizer(self.base.path))
        self.train_items, self.skipped = cached_tokens(
            train_path, self.base, config.max_length, tokenizer, config.max_per_task, config.seed
        )
        dev, dev_skipped = (
            cached_tokens(dev_path, self.base, config.max_length, tokenizer) if dev_path else ([], 0)
        )
        self.dev_items = dev[: config.dev_limit]
        if dev_skipped and not self.dev_items:
            print(
                f"warning: no dev example fits in --max-length {config.max_length}: no early stop",
                file=sys.stderr,
            )
        if not self.train_items:
            raise TrainError(f"no training example fits in --max-length {config.max_length} tokens")
        self.steps_per_epoch = len(batches(self.train_items, config.batch_tokens, 0))
        total = math.ceil(self.steps_per_epoch * config.epochs)
        self.total_steps = min(total, config.max_steps) if config.max_steps > 0 else total

    # -- setup ----------------------------------------------------------------------------------------------
    def _build(self) -> tuple[Any, Any, Any, Precision]:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import get_cosine_schedule_with_warmup

        cfg = self.config
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        precision = choose_precision(cfg.precision)
        # frozen weights in bf16 when computing in bf16: autocast re-casting float32 weights at every op was
        # 4-5x slower on a CPU (the LoRA weights stay float32)
        model = load_hf_model(self.base.path, precision.autocast)
        lora = LoraConfig(
            r=cfg.rank,
            lora_alpha=cfg.alpha,
            lora_dropout=cfg.dropout,
            target_modules=TARGET_MODULES,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora).to(precision.device)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=0.0)
        warmup = min(10, self.total_steps // 10)
        scheduler = get_cosine_schedule_with_warmup(optimizer, warmup, max(self.total_steps, 1))
        return model, optimizer, scheduler, precision

    # -- steps ----------------------------------------------------------------------------------------------
    def _loss(self, model: Any, items: list[Tokenized], precision: Precision) -> Any:

        batch = {k: v.to(precision.device) for k, v in collate(items, self.pad_id).items()}
        return completion_loss(model, batch, precision)

    def dev_loss(self, model: Any, precision: Precision) -> float | None:
        """Token-weighted mean loss on the dev examples' completions."""
        import torch

        if not self.dev_items:
            return None
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for items in epoch_batches(self.dev_items, self.config.batch_tokens, 0, 0):
                tokens = sum(item.completion_tokens for item in items)
                total += float(self._loss(model, items, precision)) * tokens
                count += tokens
        model.train()
        return total / count

    def _evaluate(self, model: Any, precision: Precision, loop: Loop) -> None:
        loss = self.dev_loss(model, precision)
        if loss is None:
            return
        loop.dev_losses.append([loop.step, loss])
        _log(self.config.out, {"step": loop.step, "dev_loss": round(loss, 5)})
        if loop.best_dev is None or loss < loop.best_dev:
            loop.best_dev, loop.best_step, loop.bad_evals = loss, loop.step, 0
            shutil.rmtree(self.config.out / "best", ignore_errors=True)
            model.save_pretrained(self.config.out / "best")
        else:
            loop.bad_evals += 1
            loop.stopped_early = loop.bad_evals >= self.config.patience

    def run(self) -> dict[str, Any]:
        import torch
        from tqdm import tqdm

        cfg = self.config
        cfg.out.mkdir(parents=True, exist_ok=True)
        found = checkpoints.latest(cfg.out)
        if found is not None and not cfg.resume:
            raise TrainError(
                f"{cfg.out} already has {found.name}: add --resume, or choose a new --out folder"
            )
        model, optimizer, scheduler, precision = self._build()
        loop = Loop()
        if cfg.resume and found is not None:
            loop = Loop(**checkpoints.load(found, model, optimizer, scheduler))
            print(f"resuming from {found.name}", file=sys.stderr)
        model.train()
        bar = tqdm(
            total=self.total_steps, initial=loop.step, unit="step", disable=not cfg.progress, file=sys.stderr
        )
        epoch = loop.step // self.steps_per_epoch
        while loop.step < self.total_steps and not loop.stopped_early:
            for index, items in enumerate(epoch_batches(self.train_items, cfg.batch_tokens, cfg.seed, epoch)):
                if epoch * self.steps_per_epoch + index < loop.step:
                    continue  # done before the checkpoint we resumed from
                if loop.step >= self.total_steps or loop.stopped_early:
                    break
                self._step(model, optimizer, scheduler, precision, items, loop, bar)
                if cfg.eval_every > 0 and loop.step % cfg.eval_every == 0:
                    self._evaluate(model, precision, loop)
                if cfg.save_every > 0 and loop.step % cfg.save_every == 0:
                    checkpoints.save(cfg.out, model, optimizer, scheduler, asdict(loop))
            epoch += 1
        bar.close()
        if not loop.dev_losses or loop.dev_losses[-1][0] != loop.step:
            self._evaluate(model, precision, loop)
        checkpoints.save(cfg.out, model, optimizer, scheduler, asdict(loop))
        return self._finish(model, loop, precision, torch.__version__)

    def _step(
        self,
        model: Any,
        optimizer: Any,
        scheduler: Any,
        precision: Precision,
        items: list[Tokenized],
        loop: Loop,
        bar: Any,
    ) -> None:
        import torch

        started = time.perf_counter()
        loss = self._loss(model, items, precision)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - started
        tokens = sum(len(item.ids) for item in items)
        loop.step += 1
        loop.tokens += tokens
        loop.seconds += seconds
        value = float(loss.detach())
        loop.last_losses = [*loop.last_losses, value][-20:]
        record = {
            "step": loop.step,
            "loss": round(value, 5),
            "lr": scheduler.get_last_lr()[0],
            "tokens": tokens,
            "tok_s": round(tokens / seconds, 1),
        }
        _log(self.config.out, record)
        bar.set_postfix(loss=f"{value:.3f}", tok_s=f"{loop.tokens / loop.seconds:.0f}")
        bar.update(1)

    def _finish(self, model: Any, loop: Loop, precision: Precision, torch_version: str) -> dict[str, Any]:
        cfg = self.config
        adapter = cfg.out / "adapter"
        shutil.rmtree(adapter, ignore_errors=True)
        if (cfg.out / "best").is_dir():
            shutil.copytree(cfg.out / "best", adapter)
        else:
            model.save_pretrained(adapter)
        summary = {
            "base": self.base.card(),
            "base_license": self.base.license,
            "data": {
                "folder": str(cfg.data.resolve()),
                "sha256": data_hash(cfg.data),
                "train_examples": len(self.train_items),
                "dev_examples": len(self.dev_items),
                "skipped_too_long": self.skipped,
            },
            "config": cfg.to_json(),
            "steps": loop.step,
            "steps_per_epoch": self.steps_per_epoch,
            "epochs_done": round(loop.step / self.steps_per_epoch, 3),
            "adapter_step": loop.best_step if (cfg.out / "best").is_dir() else loop.step,
            "stopped_early": loop.stopped_early,
            "metrics": {
                "train_loss": round(sum(loop.last_losses) / len(loop.last_losses), 5)
                if loop.last_losses
                else None,
                "dev_loss": round(loop.dev_losses[-1][1], 5) if loop.dev_losses else None,
                "best_dev_loss": round(loop.best_dev, 5) if loop.best_dev is not None else None,
            },
            "speed": {
                "tokens": loop.tokens,
                "seconds": round(loop.seconds, 1),
                "tok_s": round(loop.tokens / loop.seconds, 1) if loop.seconds else None,
                "peak_rss_gb": _peak_rss_gb(),
            },
            "precision": precision.describe(),
            "torch": torch_version,
        }
        (cfg.out / "train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        return summary


def train(config: TrainConfig) -> dict[str, Any]:
    return Trainer(config).run()
