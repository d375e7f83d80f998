"""The team's authored hint targets: what ships passes its own rules, no test-split task can get in, and a build
uses a target (with and without the fix) only when the teacher checks accept it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tutor.eval.splits import split_of, test_tasks
from tutor.train.assembly import build_examples
from tutor.train.authored import AuthoredError, AuthoredTarget, load_targets, pair_key
from tutor.train.data_cli import main
from tutor.train.teacher import ANSWER_SHAPE

from .data_support import evens_pair, sum_of_evens

GOOD = AuthoredTarget(
    key="",
    task="",
    source="mutant:basics",
    explanation="The check on line 4 keeps the odd numbers, so the total adds up the wrong ones.",
    hint="When your loop reaches the number 2, does the check on line 4 let it into the total?",
    writer="team:writer-test",
)


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _row(target: AuthoredTarget, **changes: str) -> dict[str, str]:
    return {**target.__dict__, **changes}


def test_the_bundled_targets_are_many_authored_dev_only_and_in_the_answer_shape() -> None:
    targets = load_targets()
    assert len(targets) >= 1500
    assert all(split_of(t.task) != "test" for t in targets.values())
    # HumanEval is in no benchmark split; every other task is a dev task
    assert all(split_of(t.task) == "dev" for t in targets.values() if not t.task.startswith("humaneval/"))
    assert all(t.writer.startswith("team:") for t in targets.values())
    assert all(ANSWER_SHAPE.fullmatch(t.answer) for t in targets.values())
    assert all(t.hint.endswith("?") for t in targets.values())
    sources = Counter(t.source for t in targets.values())
    assert {"refactory", "quixbugs", "course", "mutant:course", "mutant:humaneval"} <= set(sources)
    hints = Counter(t.hint for t in targets.values())
    assert hints.most_common(1)[0][1] <= 3  # written for each program, not a template


def test_a_target_of_a_test_task_or_a_repeated_pair_is_refused(tmp_path: Path) -> None:
    test_task = sorted(test_tasks())[0]
    with pytest.raises(AuthoredError, match=f"test task {test_task}"):
        load_targets(_write(tmp_path / "t.jsonl", [_row(GOOD, key="a", task=test_task)]))
    dev_task = "refactory/q1"
    twice = [_row(GOOD, key="a", task=dev_task), _row(GOOD, key="a", task=dev_task)]
    with pytest.raises(AuthoredError, match="repeats the pair a"):
        load_targets(_write(tmp_path / "t2.jsonl", twice))
    with pytest.raises(AuthoredError, match="has no 'hint'"):
        load_targets(
            _write(
                tmp_path / "t3.jsonl",
                [{k: v for k, v in _row(GOOD, key="b", task=dev_task).items() if k != "hint"}],
            )
        )


def test_an_authored_target_makes_hint_examples_with_and_without_the_fix() -> None:
    pair = evens_pair()
    key = pair_key(pair.task, pair.code, pair.fix)
    target = AuthoredTarget(**{**GOOD.__dict__, "key": key, "task": pair.task})
    examples, stats, _ = build_examples([pair], {pair.task: sum_of_evens()}, authored={key: target})
    hints = [e for e in examples if e.kind == "hint"]
    assert [e.target_source for e in hints] == ["authored:team:writer-test"] * 2
    assert [e.answer for e in hints] == [target.answer] * 2
    assert hints[0].fixed == pair.fix and hints[1].fixed is None and hints[1].change == ""
    assert (stats.authored, stats.authored_no_fix, stats.authored_refused) == (1, 1, 0)


def test_a_target_the_teacher_checks_refuse_is_not_used() -> None:
    pair = evens_pair()
    key = pair_key(pair.task, pair.code, pair.fix)
    leaking = AuthoredTarget(
        **{**GOOD.__dict__, "key": key, "task": pair.task, "hint": "Change line 4 so that even numbers pass."}
    )
    examples, stats, _ = build_examples([pair], {pair.task: sum_of_evens()}, authored={key: leaking})
    hints = [e for e in examples if e.kind == "hint"]
    assert [e.target_source for e in hints] == ["analysis"]
    assert stats.authored_refused == 1 and stats.authored == 0


def test_a_build_uses_the_bundled_targets_by_default(tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert (
        main(["--out", str(out), "--teacher", "none", "--max-per-source", "3", "--seed", "11", "--json"]) == 0
    )
    card = json.loads((out / "card.json").read_text())
    every = [
        json.loads(line)
        for name in ("train", "dev")
        for line in (out / f"{name}.jsonl").read_text().splitlines()
    ]
    authored = [e for e in every if e["kind"] == "hint" and e["target_source"].startswith("authored:team:")]
    assert card["teacher"]["authored"] >= 3 and len(authored) >= card["teacher"]["authored"]
    assert any(e["fixed"] is None for e in authored) and any(e["fixed"] for e in authored)
    targets = load_targets()
    assert {e["answer"] for e in authored} <= {t.answer for t in targets.values()}
    assert "Authored by the team" in (out / "card.md").read_text()
