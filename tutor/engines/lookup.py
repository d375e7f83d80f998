"""Prompt-lookup speculative decoding for the native engine, without llama-cpp-python's ``logits_all`` cost.

A repair candidate mostly copies the learner's program from the prompt, so the next few tokens can be guessed by
finding the last generated tokens earlier in the prompt and taking what followed them there (llama-cpp-python's
``LlamaPromptLookupDecoding``). The model then checks the whole guess in one batch: every position is sampled as
in ordinary decoding and the guess is kept up to the first token that differs. The output would be the one
ordinary decoding gives if llama.cpp computed a token's logits the same in a batch as alone; for Gemma 3 it does
not (measured: logits move by up to ~2 once rows share a batch, with an f16 or f32 KV cache, flash attention on or
off), so even at temperature 0 the text can take another turn. The pipeline leaves it off (``tutor bench repairs``).

llama-cpp-python turns ``logits_all`` on whenever a draft model is set: then every prompt token gets a row of
logits (262k floats each for Gemma 3, so a 400-token prompt costs gigaflops and 400 MB of copies) and the
``Llama`` allocates an ``n_ctx`` x vocabulary score table (4 GB for Gemma at 4096 tokens). ``LookupLlama``
instead asks llama.cpp for logits only where ``Llama.generate`` samples: the last token of a batch, or every
token of a short batch (a sampled token and its draft) while a draft model is set for the current call. Without
a draft model it evaluates exactly as ``Llama`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import llama_cpp
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

# The n-gram matched against the prompt (llama-cpp-python's default is 2; 3 matches code lines less loosely).
DRAFT_NGRAM = 3


def draft_model(draft_tokens: int) -> LlamaPromptLookupDecoding | None:
    """The draft model for a call that asked for ``draft_tokens`` guessed tokens (0: none)."""
    if draft_tokens <= 0:
        return None
    return LlamaPromptLookupDecoding(max_ngram_size=DRAFT_NGRAM, num_pred_tokens=draft_tokens)


class LookupLlama(llama_cpp.Llama):
    """A ``Llama`` whose ``draft_model`` may be set per call, with logits computed only where they are sampled."""

    def eval(self, tokens: Sequence[int]) -> None:
        draft = self.draft_model
        span = int(getattr(draft, "num_pred_tokens", 0)) + 1 if draft is not None else 0
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        for start in range(0, len(tokens), self.n_batch):
            batch = list(tokens[start : start + self.n_batch])
            n_past = self.n_tokens
            # Llama.generate samples the last position of a batch, and every position of a sampled token + draft
            self._batch.set_batch(batch=batch, n_past=n_past, logits_all=0 < len(batch) <= span)
            self._ctx.decode(self._batch)
            self.input_ids[n_past : n_past + len(batch)] = batch
            self.n_tokens += len(batch)
            self._requires_eval = False


def load(model_path: str, **kwargs: Any) -> LookupLlama:
    """A ``LookupLlama`` with no draft model: ``logits_all`` stays off, as in a plain ``Llama``."""
    return LookupLlama(model_path=model_path, logits_all=False, **kwargs)
