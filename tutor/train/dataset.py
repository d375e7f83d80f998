"""Training examples as token ids: prompt ids (no loss) then completion ids (the loss), grouped into batches.

Prompt and completion are rendered by ``tutor.train.examples.render`` with the base model's own chat template and
BOS/EOS, and tokenized separately with llama.cpp's tokenizer the way the engines do (prompt with BOS and special
tokens; the model then writes the completion after it). Batches hold at most ``batch_tokens`` tokens, padding
included, from examples of similar length.

``cached_tokens`` keeps the ids beside the data (``DATA/tokens/<base sha256>-<max length>/NAME.jsonl``, stamped with
the sha256 of the examples file), so a second run skips llama.cpp, and a machine without llama.cpp (a GPU box) can
train on a data folder tokenized elsewhere. ``balance`` caps how many examples one task gives (the Refactory dev
set is one task with over a thousand programs): a balanced selection is cached under its own name.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.train.base_model import BaseModel, TrainError
from tutor.train.examples import Example, render

IGNORE = -100  # label of a token that carries no loss


@dataclass(frozen=True)
class Tokenized:
    ids: list[int]
    prompt_len: int  # the first prompt_len ids carry no loss

    @property
    def completion_tokens(self) -> int:
        return len(self.ids) - self.prompt_len


def read_examples(path: Path) -> list[Example]:
    """Examples of a JSONL file; a broken line is an error naming the file and line."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            examples.append(Example.from_json(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            raise TrainError(f"{path}:{number}: not a training example ({exc})") from None
    return examples


def data_files(folder: Path) -> tuple[Path, Path | None]:
    """``train.jsonl`` (required) and ``dev.jsonl`` (optional) of a data folder."""
    train = folder / "train.jsonl"
    if not train.is_file():
        raise TrainError(f"no train.jsonl in {folder} (make one with `tutor train data`)")
    dev = folder / "dev.jsonl"
    return train, dev if dev.is_file() else None


def data_hash(folder: Path) -> str:
    """The data card's hash when there is one, else the same hash computed here: the sha256 of train.jsonl's bytes
    followed by dev.jsonl's (``tutor.train.card``)."""
    for name in ("card.json", "data_card.json", "datacard.json"):
        card = folder / name
        if card.is_file():
            try:
                fields = json.loads(card.read_text(encoding="utf-8"))
                value = fields.get("data_sha256") or fields.get("sha256")
            except (ValueError, AttributeError):
                value = None
            if isinstance(value, str) and value:
                return value
    digest = hashlib.sha256()
    for path in [p for p in data_files(folder) if p is not None]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def tokenize(examples: list[Example], base: BaseModel, tokenizer: Any, max_length: int) -> list[Tokenized]:
    """Token ids of each example; an example longer than ``max_length`` is left out (counted by the caller)."""
    out = []
    for example in examples:
        prompt, completion = render(example, base.chat_template, bos=base.bos, eos=base.eos)
        prompt_ids = tokenizer.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        completion_ids = tokenizer.tokenize(completion.encode("utf-8"), add_bos=False, special=True)
        if 0 < len(prompt_ids) + len(completion_ids) <= max_length and completion_ids:
            out.append(Tokenized(list(prompt_ids) + list(completion_ids), len(prompt_ids)))
    return out


def balance(examples: list[Example], max_per_task: int, seed: int) -> list[Example]:
    """At most ``max_per_task`` examples of each (task, kind), drawn with ``seed``; the file's order is kept.
    ``max_per_task`` 0 keeps every example."""
    if max_per_task <= 0:
        return examples
    groups: dict[tuple[str, str], list[int]] = {}
    for index, example in enumerate(examples):
        groups.setdefault((example.task, example.kind), []).append(index)
    rng = random.Random(seed)
    kept: set[int] = set()
    for key in sorted(groups):
        members = groups[key]
        kept.update(members if len(members) <= max_per_task else rng.sample(members, max_per_task))
    return [example for index, example in enumerate(examples) if index in kept]


def cached_tokens(
    examples_file: Path,
    base: BaseModel,
    max_length: int,
    tokenizer: Callable[[], Any],
    max_per_task: int = 0,
    seed: int = 0,
) -> tuple[list[Tokenized], int]:
    """(token ids of the file's examples, ``balance``d when ``max_per_task`` is set, and how many were left out
    as too long), from the cache beside the data when it was made from the same file for the same base, length
    and balance; else tokenized with ``tokenizer()`` (llama.cpp's, made only when needed) and cached when the
    folder is writable."""
    source = hashlib.sha256(examples_file.read_bytes()).hexdigest()
    name = examples_file.name
    if max_per_task > 0:
        name = f"{examples_file.stem}.per-task-{max_per_task}-seed-{seed}{examples_file.suffix}"
    cache = examples_file.parent / "tokens" / f"{base.sha256[:16]}-{max_length}" / name
    found = _read_cache(cache, source)
    if found is not None:
        return found
    examples = balance(read_examples(examples_file), max_per_task, seed)
    items = tokenize(examples, base, tokenizer(), max_length)
    skipped = len(examples) - len(items)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"source_sha256": source, "skipped": skipped})]
        lines += [json.dumps({"ids": item.ids, "prompt_len": item.prompt_len}) for item in items]
        cache.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError:
        pass  # a read-only data folder: tokenize again next time
    return items, skipped


def _read_cache(cache: Path, source: str) -> tuple[list[Tokenized], int] | None:
    try:
        lines = cache.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0])
        if header.get("source_sha256") != source:
            return None
        return [Tokenized(**json.loads(line)) for line in lines[1:] if line.strip()], int(header["skipped"])
    except (OSError, IndexError, ValueError, TypeError, KeyError):
        return None


def batches(items: list[Tokenized], batch_tokens: int, seed: int) -> list[list[int]]:
    """Indices of ``items`` in batches of similar length, at most ``batch_tokens`` padded tokens each (one
    example per batch when it alone is longer); the order of batches is shuffled with ``seed``."""
    order = sorted(range(len(items)), key=lambda i: (len(items[i].ids), i))
    groups: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = len(items[index].ids)  # sorted ascending: the newest is the longest
        if current and longest * (len(current) + 1) > batch_tokens:
            groups.append(current)
            current = []
        current.append(index)
    if current:
        groups.append(current)
    random.Random(seed).shuffle(groups)
    return groups


def collate(items: list[Tokenized], pad_id: int) -> dict[str, Any]:
    """``input_ids``, ``attention_mask`` and ``labels`` tensors (right padding; -100 on prompt and padding)."""
    import torch

    width = max(len(item.ids) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.ids)
        ids[row, :n] = torch.tensor(item.ids)
        mask[row, :n] = 1
        labels[row, item.prompt_len : n] = torch.tensor(item.ids[item.prompt_len :])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def epoch_batches(
    items: list[Tokenized], batch_tokens: int, seed: int, epoch: int
) -> Iterator[list[Tokenized]]:
    for group in batches(items, batch_tokens, seed * 1000 + epoch):
        yield [items[i] for i in group]
