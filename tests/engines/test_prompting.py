"""Prompt rendering shared by every engine: chat templates, the plain format, and prefilled answers."""

from __future__ import annotations

from tutor.engines.prompting import render_prompt
from tutor.feedback import prompts

# Qwen2.5's chat template, reduced to its message layout (the real one adds tool calls, not used here)
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CONTEXT = "Exercise: Add\nStudent program:\n```python\ndef add(a, b):\n    return a - b\n```\nFailing test: add(1, 2)\n"


def test_a_chat_repair_answer_starts_inside_the_code_fence() -> None:
    text = render_prompt(prompts.repair_prompt(CONTEXT, chat=True), CHATML)
    assert text.endswith("<|im_start|>assistant\n[FIXED]\n```python\n")
    assert text.count("<|im_start|>assistant") == 1  # the prefill is not closed as a finished turn
    # the model's first words are code, so no stop string of the repair call can end it before the program
    assert not any(text.endswith(stop) for stop in prompts.REPAIR_STOPS)


def test_a_base_model_gets_the_same_opening_without_a_template() -> None:
    chat_text = render_prompt(prompts.repair_prompt(CONTEXT, chat=True), None)
    base_text = prompts.repair_prompt(CONTEXT, chat=False)
    assert isinstance(base_text, str)
    assert chat_text.endswith(prompts.REPAIR_PREFILL) and base_text.endswith(prompts.REPAIR_PREFILL)


def test_messages_without_a_prefill_render_as_before() -> None:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    assert render_prompt(messages, CHATML).endswith("<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n")
    assert render_prompt(messages, None) == "S\n\nU\n\n"


def test_a_repair_written_after_the_prefill_parses() -> None:
    answer = "def add(a, b):\n    return a + b\n```\n[/FIXED]"
    assert prompts.parse_repair(prompts.REPAIR_PREFILL + answer) == "def add(a, b):\n    return a + b\n"
