"""`tutor models recommend` weighs the hint time this machine would give, not only its memory."""

from __future__ import annotations

from tutor.models.catalog import find_entry, load_catalog, recommend
from tutor.models.speed import Reference, estimate_tok_s, hint_seconds

ENTRIES = load_catalog()
GEMMA = find_entry("gemma3-270m-q4km", ENTRIES)
assert GEMMA is not None
# the default model's rate measured on the 2-core build machine (docs: ~41 tok/s)
SLOW_MACHINE = Reference(41.0, 253_000_000)
FAST_MACHINE = Reference(400.0, 253_000_000)


def test_speed_estimate_scales_with_file_size() -> None:
    qwen05, qwen15 = (
        find_entry("qwen2.5-coder-0.5b-instruct-q4km", ENTRIES),
        find_entry("qwen2.5-coder-1.5b-instruct-q4km", ENTRIES),
    )
    assert qwen05 and qwen15
    # measured on that machine: Qwen 0.5B ~22 tok/s, 1.5B ~11 tok/s
    assert 17 < estimate_tok_s(qwen05, SLOW_MACHINE) < 26
    assert 8 < estimate_tok_s(qwen15, SLOW_MACHINE) < 13
    assert hint_seconds(qwen15, SLOW_MACHINE) > hint_seconds(qwen05, SLOW_MACHINE)


def test_two_slow_cores_do_not_get_an_8b_model() -> None:
    memory_only = recommend(22.0, ENTRIES)
    assert memory_only.id == "llama-3.1-8b-instruct-q4km"  # what memory alone would pick
    timed = recommend(22.0, ENTRIES, lambda e: hint_seconds(e, SLOW_MACHINE), budget_s=30)
    assert timed.billions < 1.5 and hint_seconds(timed, SLOW_MACHINE) <= 30
    # the 0.5B size; of the two 0.5B models the shipped fine-tune, not its untuned base
    assert timed.id == "qwen05-tutor-sft-v3"


def test_a_fast_machine_gets_the_largest_model_that_fits() -> None:
    assert (
        recommend(22.0, ENTRIES, lambda e: hint_seconds(e, FAST_MACHINE), budget_s=30).id
        == "llama-3.1-8b-instruct-q4km"
    )
    small_memory = recommend(4.0, ENTRIES, lambda e: hint_seconds(e, FAST_MACHINE), budget_s=30)
    assert small_memory.ram_gb <= 4.0 * 0.6


def test_when_nothing_is_fast_enough_the_fastest_that_fits() -> None:
    crawling = Reference(2.0, 253_000_000)
    assert recommend(22.0, ENTRIES, lambda e: hint_seconds(e, crawling), budget_s=30).id == "gemma3-270m-q4km"
