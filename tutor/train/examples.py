"""One training example, in the exact shape the hint pipeline asks the model, and its rendering to text.

An example is one of the pipeline's two model calls with the answer we want:

- ``repair``: task, learner code, first failing test (the shared context) -> the whole corrected program;
- ``hint``: the same plus the validated fix and where the change is -> ``Explanation: ...`` / ``Hint: ...``.

Prompts are built by ``tutor.feedback.prompts`` (the functions the pipeline itself calls), so training sees
byte for byte what inference sends: chat models get messages through their chat template, base models with no
template (the default Gemma 270M) get the completion-style prompt with the worked example in front. The JSONL
form keeps the chat messages too (system, user, assistant), the common format of fine-tuning data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tutor.engines.base import Prompt
from tutor.engines.prompting import render_prompt
from tutor.feedback import prompts

Kind = Literal["repair", "hint"]


@dataclass(frozen=True)
class Example:
    kind: Kind
    source: str  # where the bug/fix pair comes from: "refactory", "quixbugs", "mutant:humaneval", ...
    task: str  # task id of the program (checked against the benchmark's test split)
    context: str  # prompts.shared_context(exercise, code, failure)
    answer: str  # repair: the corrected program; hint: "Explanation: ...\nHint: ...\n"
    fixed: str | None = None  # hint only: the validated fix the pipeline shows the model
    change: str = ""  # hint only: analysis.describe_change(code, fixed)
    target_source: str = ""  # hint only: "teacher:<model>" or "analysis"

    @property
    def id(self) -> str:
        """Content hash: two examples with the same prompt and answer are duplicates."""
        text = json.dumps([self.kind, self.context, self.fixed, self.change, self.answer])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def prompt(self, chat: bool) -> Prompt:
        if self.kind == "repair":
            return prompts.repair_prompt(self.context, chat)
        return prompts.hint_prompt(self.context, self.fixed, self.change, chat)

    def completion(self, chat: bool) -> str:
        """The answer as the model writes it after the prompt (a repair prompt already opens the code fence)."""
        if self.kind == "hint":
            return self.answer if self.answer.endswith("\n") else self.answer + "\n"
        return f"{self.answer.rstrip()}\n```\n{prompts.FIXED_CLOSE}"

    def messages(self) -> list[dict[str, str]]:
        """Chat form: system, user, assistant (a prefilled assistant turn joined with its continuation)."""
        chat_prompt = self.prompt(chat=True)
        assert isinstance(chat_prompt, list)
        turns = [{"role": m["role"], "content": m["content"]} for m in chat_prompt]
        prefill = turns.pop()["content"] if turns[-1]["role"] == "assistant" else ""
        return [*turns, {"role": "assistant", "content": prefill + self.completion(chat=True)}]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self), "messages": self.messages()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Example:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


def render(example: Example, chat_template: str | None, bos: str = "", eos: str = "") -> tuple[str, str]:
    """(prompt text, completion text) for a model with this chat template (None: a base model).

    The prompt is rendered by the same ``render_prompt`` the engines use; the loss belongs on the completion only.
    """
    chat = chat_template is not None
    prompt_text = render_prompt(example.prompt(chat), chat_template, bos=bos, eos=eos)
    completion = example.completion(chat)
    return prompt_text, completion + (eos if chat else "")
