"""The exercise the pack tests plant (``tests/test_packs.py``, ``tests/ui/test_pack_import.py``): ``double``, with
two visible tests and one hidden one, the hidden one last."""

from __future__ import annotations

DOUBLE = """id = "@id"
title = "@title"
unit = "@unit"
concepts = ["@concept"]
entry = "double"
description = "Write `double(number)`: twice the number."
starter = "def double(number):\\n    pass\\n"
solution = "def double(number):\\n    return number * 2\\n"

[[tests]]
call = "double(2)"
expected = "4"

[[tests]]
call = "double(-1)"
expected = "-2"

[[tests]]
call = "double(50)"
expected = "100"
hidden = true
"""


def double_exercise(
    exercise_id: str = "w1_double",
    *,
    unit: str = "basics",
    title: str = "Double",
    concept: str = "Arithmetic",
) -> str:
    """The exercise's TOML with these fields."""
    fields = {"@id": exercise_id, "@title": title, "@unit": unit, "@concept": concept}
    text = DOUBLE
    for mark, value in fields.items():
        text = text.replace(mark, value)
    return text
