"""The base model of a fine-tune, read from its own GGUF file and nothing else.

``resolve_base`` turns what the user typed (``default``, a local store id, a catalog id, a file name or a
``.gguf`` path) into a file; ``read_base`` reads what training and export need from its metadata (chat template,
BOS/EOS text, license, sha256); ``load_hf_model`` loads it dequantized into transformers with every download
turned off; ``llama_tokenizer`` is llama.cpp's own tokenizer for it, so training sees the token ids inference sees.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import gguf

from tutor.models.catalog import entries_for_file, find_entry
from tutor.models.checksum import sha256_of
from tutor.models.default_model import DefaultModelError, ensure_base_model, ensure_default_model
from tutor.models.gguf_header import GGUFError, read_header
from tutor.models.store import ModelStore, StoreError


class TrainError(RuntimeError):
    """A training or export problem to report in one line."""


@dataclass(frozen=True)
class BaseModel:
    path: Path
    id: str  # what the user asked for ("default", a store id) or the file name
    name: str
    architecture: str
    chat_template: str | None
    bos: str
    eos: str
    license: str
    eos_id: int = 0  # the padding id of training batches

    @cached_property
    def sha256(self) -> str:
        return sha256_of(self.path)

    def card(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.path.name, "name": self.name, "sha256": self.sha256}


def resolve_base(requested: str) -> tuple[str, Path]:
    """(id, path) of the base GGUF: a path, ``default`` (the embedded model), a store id or a catalog id."""
    path = Path(requested).expanduser()
    if requested.endswith(".gguf") and path.is_file():
        return path.name, path.resolve()
    if requested == "default":
        try:
            return "default", ensure_default_model()
        except DefaultModelError as exc:
            raise TrainError(str(exc)) from None
    entry = find_entry(requested)
    if entry is not None and entry.source == "package":  # the embedded base (gemma3-270m-q4km)
        try:
            return requested, ensure_base_model()
        except DefaultModelError as exc:
            raise TrainError(str(exc)) from None
    store = ModelStore()
    for model in store.list():
        if requested in (model.id, model.path.name, model.path.stem) or (
            entry is not None and model.path.name == entry.file
        ):
            return requested, model.path
    if requested.endswith(".gguf"):
        raise TrainError(f"base model file not found: {requested}")
    try:
        return requested, store.find(requested).path
    except StoreError:
        raise TrainError(
            f"no base model {requested!r} here: give a .gguf path, `default` or an id from `tutor models list`"
        ) from None


def _catalog_license(path: Path) -> str:
    """The license the catalog gives a file that does not name its own (the Qwen releases' GGUFs do not)."""
    return next((e.license for e in entries_for_file(path.name)), "")


def read_base(requested: str) -> BaseModel:
    model_id, path = resolve_base(requested)
    try:
        fields = read_header(path).metadata  # the scalar and text keys (tutor.models.gguf_header)
        reader = gguf.GGUFReader(path)  # the token list, an array the header reader does not keep
    except (GGUFError, ValueError, OSError) as exc:
        raise TrainError(f"{path.name} is not a readable GGUF file ({exc})") from None
    tokens = reader.get_field("tokenizer.ggml.tokens")

    def token(key: str) -> str:
        index = fields.get(key)
        return str(tokens.contents(int(index))) if tokens is not None and index is not None else ""

    return BaseModel(
        path=path,
        id=model_id,
        name=str(fields.get("general.name") or path.stem),
        architecture=str(fields.get("general.architecture") or ""),
        chat_template=fields.get("tokenizer.chat_template") or None,
        bos=token("tokenizer.ggml.bos_token_id"),
        eos=token("tokenizer.ggml.eos_token_id"),
        license=str(fields.get("general.license") or _catalog_license(path)),
        eos_id=int(fields.get("tokenizer.ggml.eos_token_id") or 0),
    )


def offline() -> None:
    """No download, ever: the hub libraries read these when first imported (and ``local_files_only`` below)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def load_hf_model(path: Path, dtype: Any = None) -> Any:
    """The base as a transformers model (float32 unless ``dtype``), dequantized from its GGUF, ready to train or
    save. Eager attention: on a CPU, SDPA's backward pass was 2-3x slower for Gemma 3 (and Gemma asks for eager
    attention in training)."""
    offline()
    import torch
    from transformers import AutoModelForCausalLM

    try:
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(path.parent),
            gguf_file=path.name,
            dtype=dtype or torch.float32,
            attn_implementation="eager",
            local_files_only=True,
        )
    except (ValueError, OSError, RuntimeError, KeyError) as exc:
        raise TrainError(f"transformers cannot load {path.name} ({exc})") from None
    # loaded through a "quantizer" that dequantizes; without dropping its marks the model refuses to train/save
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    return model


def llama_tokenizer(path: Path) -> Any:
    """llama.cpp's tokenizer for this GGUF (vocabulary only): the exact ids the engines feed the model."""
    from llama_cpp import Llama

    from tutor.engines import cpu_backend  # heavy: llama_cpp

    cpu_backend.ensure_loaded()
    return Llama(str(path), vocab_only=True, verbose=False)
