"""k completions of one prompt as parallel sequences of one llama.cpp batch (the k repair candidates).

llama-cpp-python's ``Llama`` runs one sequence. Here a second llama.cpp context on the same loaded weights holds
up to k sequences in one unified KV cache: the prompt is evaluated once into sequence 0 and shared with the
others (``llama_memory_seq_cp``); every step then decodes one token per live sequence in a single batch, and each
sequence samples from its own row with its own sampler chain, built as ``Llama`` builds it (same settings, its
own seed), so each candidate follows the same rules as a separate ``create_completion`` call (with one sequence
and no draft it gives the same text; with several, llama.cpp's batched arithmetic moves Gemma 3's logits, so the
texts can differ even at temperature 0). A sequence may
also carry a prompt-lookup draft: its rows are checked as ``Llama.generate`` checks them (sample each position,
keep the draft up to the first difference) and its rejected cells are removed.

Text ends as in ``create_completion``: at an end-of-generation token, at the first stop string (in the order
given) found in the text, or after ``max_tokens`` tokens. The prompt of the last call stays in sequence 0, so the
next call with the same prompt (the next hint on the same code) reuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
from llama_cpp import _internals as internals
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
from numpy import array, intc

from tutor.engines.base import GenerationParams
from tutor.engines.lookup import DRAFT_NGRAM


@dataclass
class _Sequence:
    seq_id: int
    params: GenerationParams
    sampler: Any
    pending: int = -1  # sampled, not yet in the KV cache
    pos: int = 0  # where ``pending`` goes
    tokens: list[int] = field(default_factory=list)
    text: bytes = b""
    finish: str = ""

    @property
    def live(self) -> bool:
        return not self.finish


class BatchedCompletions:
    """Runs several completions of one prompt together; not thread-safe (the engine holds its lock)."""

    def __init__(self, llama: Any, n_seq: int) -> None:
        self.llama = llama
        self.n_seq = n_seq
        params = llama_cpp.llama_context_params.from_buffer_copy(llama.context_params)
        params.n_seq_max = n_seq
        params.kv_unified = True  # all sequences see the one shared prompt
        self.ctx = internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self.n_batch = int(params.n_batch)
        self.batch = internals.LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=n_seq, verbose=False)
        self.cached: list[int] = []  # the prompt in sequence 0

    def close(self) -> None:
        self.batch.close()
        self.ctx.close()

    def set_threads(self, threads: int) -> None:
        self.ctx.set_n_threads(threads, threads)

    # -- one call ----------------------------------------------------------------------------------------------
    def run(
        self, prompt: list[int], params: list[GenerationParams], stop: Callable[[], bool]
    ) -> list[_Sequence]:
        """Complete ``prompt`` once per entry of ``params`` (at most ``n_seq``); ``stop()`` ends all early."""
        assert 0 < len(params) <= self.n_seq and prompt
        self._load_prompt(prompt)
        sequences = [_Sequence(i, p, self._sampler(p)) for i, p in enumerate(params)]
        for seq in sequences[1:]:
            self.ctx.kv_cache_seq_cp(0, seq.seq_id, -1, -1)
        for seq in sequences:  # the first token of each comes from the prompt's last row
            self._take(seq, prompt, seq.sampler.sample(self.ctx, -1))
            seq.pos = len(prompt)
        while any(s.live for s in sequences):
            if stop():
                for seq in sequences:
                    seq.finish = seq.finish or "cancelled"
                break
            self._step(prompt, [s for s in sequences if s.live])
        for seq in sequences[1:]:
            self.ctx.kv_cache_seq_rm(seq.seq_id, -1, -1)
        self.ctx.kv_cache_seq_rm(0, len(prompt), -1)
        return sequences

    def _load_prompt(self, prompt: list[int]) -> None:
        for seq_id in range(1, self.n_seq):
            self.ctx.kv_cache_seq_rm(seq_id, -1, -1)
        shared = 0
        for old, new in zip(self.cached, prompt, strict=False):
            if old != new:
                break
            shared += 1
        shared = min(shared, len(prompt) - 1)  # the last prompt token is evaluated again for its logits
        self.ctx.kv_cache_seq_rm(0, shared, -1)
        for start in range(shared, len(prompt), self.n_batch):
            chunk = prompt[start : start + self.n_batch]
            self._fill([(token, start + i, 0, start + i == len(prompt) - 1) for i, token in enumerate(chunk)])
            self.ctx.decode(self.batch)
        self.cached = list(prompt)

    def _step(self, prompt: list[int], live: list[_Sequence]) -> None:
        rows: list[tuple[int, int, int, bool]] = []
        drafts: list[list[int]] = []
        for seq in live:
            draft = self._draft(seq, prompt)
            drafts.append(draft)
            rows += [(token, seq.pos + i, seq.seq_id, True) for i, token in enumerate([seq.pending, *draft])]
        self._fill(rows)
        self.ctx.decode(self.batch)
        row = 0
        for seq, draft in zip(live, drafts, strict=True):
            accepted = 0
            for index in range(len(draft) + 1):
                token = seq.sampler.sample(self.ctx, row + index)
                self._take(seq, prompt, token)
                if not seq.live or index == len(draft) or token != draft[index]:
                    break
                accepted += 1
            row += len(draft) + 1
            seq.pos += accepted + 1
            self.ctx.kv_cache_seq_rm(seq.seq_id, seq.pos, -1)  # the rejected part of the draft

    def _take(self, seq: _Sequence, prompt: list[int], token: int) -> None:
        """Add a sampled token to ``seq`` and end it the way ``create_completion`` would."""
        llama = self.llama
        if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
            seq.finish = "stop"
            return
        seq.tokens.append(token)
        seq.pending = token
        seq.text = llama.detokenize(seq.tokens, prev_tokens=prompt)
        for stop in seq.params.stop:
            marker = stop.encode("utf-8")
            if marker in seq.text:
                seq.text = seq.text[: seq.text.index(marker)]
                seq.finish = "stop"
                return
        if len(seq.tokens) >= seq.params.max_tokens:
            seq.finish = "length"

    def _draft(self, seq: _Sequence, prompt: list[int]) -> list[int]:
        if seq.params.prompt_lookup <= 0:
            return []
        room = max(
            0, min(seq.params.prompt_lookup, self.n_batch // self.n_seq - 1, self.ctx.n_ctx() - seq.pos - 2)
        )
        found = LlamaPromptLookupDecoding.find_candidate_pred_tokens(
            array(prompt + seq.tokens, dtype=intc), DRAFT_NGRAM, room
        )
        return [int(t) for t in found]

    def _fill(self, rows: list[tuple[int, int, int, bool]]) -> None:
        batch = self.batch.batch
        batch.n_tokens = len(rows)
        for i, (token, pos, seq_id, logits) in enumerate(rows):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = logits

    def _sampler(self, params: GenerationParams) -> Any:
        """The chain ``Llama.create_completion`` would build for these settings (its seed included)."""
        llama = self.llama
        saved = llama._seed
        try:
            llama._seed = params.seed if params.seed is not None else saved
            return llama._init_sampler(
                top_k=params.top_k,
                top_p=params.top_p,
                temp=params.temperature,
                repeat_penalty=params.repeat_penalty,
            )
        finally:
            llama._seed = saved
