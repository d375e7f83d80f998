"""The judge and ``tutor arena run`` with the real default model (slow): grammar-constrained verdicts with their
probabilities, the engine's top log-probabilities, and a tiny end-to-end run that resumes from its files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tutor.arena.judge import VERDICTS, Case, Judge
from tutor.cli import main
from tutor.engines.base import GenerationParams

pytestmark = pytest.mark.slow

CASE = Case(
    task="Factorial\nReturn n! for n >= 0.",
    code="def factorial(n):\n    result = 1\n    for i in range(1, n):\n        result *= i\n    return result\n",
    failing_test="factorial(3)\nExpected: 6\nGot: 2",
    fix="def factorial(n):\n    result = 1\n    for i in range(1, n + 1):\n        result *= i\n    return result\n",
)


def test_the_engine_keeps_top_log_probabilities_when_asked(engine) -> None:  # type: ignore[no-untyped-def]
    generation = engine.generate(
        "The capital of France is",
        GenerationParams(max_tokens=4, temperature=0.0, repeat_penalty=1.0, logprobs=5),
    )
    text = generation.collect()
    steps = generation.stats.top_logprobs
    assert len(steps) == generation.stats.completion_tokens >= 1
    assert all(1 <= len(step) <= 5 and all(v <= 0 for v in step.values()) for step in steps)
    first = max(steps[0], key=lambda piece: steps[0][piece])
    assert text.startswith(first)  # greedy: the likeliest piece is the one written
    assert sum(math.exp(v) for v in steps[0].values()) <= 1.0 + 1e-6
    plain = engine.generate("The capital of France is", GenerationParams(max_tokens=2, temperature=0.0))
    plain.collect()
    assert plain.stats.top_logprobs == []


def test_the_judge_answers_a_b_or_tie_with_probabilities(engine) -> None:  # type: ignore[no-untyped-def]
    judge = Judge(engine, "default")
    good = "Which numbers does the loop on line 3 go through for factorial(3), and is the last one included?"
    bad = "Your code is wrong."
    for hint_a, hint_b in ((good, bad), (bad, good)):
        verdict = judge.verdict(CASE, hint_a, hint_b)
        assert verdict.label in VERDICTS and verdict.seconds > 0
        assert verdict.probabilities is not None
        assert set(verdict.probabilities) == set(VERDICTS)
        assert sum(verdict.probabilities.values()) == pytest.approx(1.0)


def test_arena_run_end_to_end_with_the_default_model_and_analysis(
    default_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "arena"
    args = [
        "arena",
        "run",
        "--systems",
        f"analysis,{default_model},k=1",
        "--set",
        "basics",
        "--limit",
        "2",
        "--judge",
        str(default_model),
        "--out",
        str(out),
        "--json",
    ]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["items"], summary["battles"], summary["new_battles"], summary["generated"]) == (
        2,
        2,
        2,
        4,
    )
    records = [json.loads(line) for line in (out / "battles.jsonl").read_text().splitlines()]
    assert len(records) == 2 and len((out / "cache.jsonl").read_text().splitlines()) == 4
    for record in records:
        assert {record["a"], record["b"]} == {"analysis", str(default_model) + ",k=1"}
        assert record["decided_by"] in ("guard", "identical", "judge") and record["judge"] == str(
            default_model
        )
        if record["decided_by"] == "judge":
            assert [o["first"] for o in record["orders"]] == [record["a"], record["b"]]
            assert all(o["verdict"] in VERDICTS for o in record["orders"])
        elif record["decided_by"] == "guard":
            assert bool(record["guard_a"]) != bool(record["guard_b"]) and record["orders"] == []
        else:
            assert record["hint_a"] == record["hint_b"] and record["winner"] == "tie"
    stats = summary["judge"]
    judged = [r for r in records if r["decided_by"] == "judge"]
    assert stats["pairs_judged"] == len(judged)
    assert stats["decided_by_guard"] + stats["identical_hints"] == 2 - len(judged)
    assert main(args) == 0  # resumes: nothing generated or judged again
    again = json.loads(capsys.readouterr().out)
    assert (again["new_battles"], again["generated"], again["from_cache"]) == (0, 0, 4)
    assert main(["arena", "leaderboard", "--out", str(out), "--votes", "judge", "--json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert sum(row["battles"] for row in board["systems"].values()) == 4
