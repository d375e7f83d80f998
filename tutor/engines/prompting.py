"""Prompt text for a model, shared by every engine: messages through the model's chat template, or our plain
paragraph format for base models that have none (the default Gemma 270M base has no template)."""

from __future__ import annotations

from typing import Any, cast

from tutor.engines.base import Message, Prompt


def plain_prompt(messages: list[Message]) -> str:
    """Our prompt format for base models with no chat template: the turns as plain paragraphs."""
    parts = [m["content"].strip() for m in messages if m["role"] != "assistant"]
    return "\n\n".join(parts) + "\n\n"


def render_prompt(prompt: Prompt, template: str | None, bos: str = "", eos: str = "") -> str:
    """Text for a model: as is; messages through the model's chat template; else through ``plain_prompt``.

    A final ``assistant`` message is a prefill: the answer starts with its text and the model continues it
    (so a repair answer opens its code fence in the prompt, and the fence's closing ``` can stop generation).
    """
    if isinstance(prompt, str):
        return prompt
    messages = list(prompt)
    prefill = messages.pop()["content"] if messages and messages[-1]["role"] == "assistant" else ""
    if template:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        return str(formatter(messages=cast(Any, messages)).prompt) + prefill
    return plain_prompt(messages) + prefill
