"""Blind labelling (issue 23): the questions (distinct hints, shuffled, no system name), the per-labeller store,
resume, export and import, through the core and through the real ``tutor bench label`` command."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import astuple
from pathlib import Path

from tests.bench.quality.label_helpers import SHARED, SYSTEMS, make_run, run_rows
from tests.conftest import venv_tutor
from tutor.eval.label_rules import RULES, rules_text
from tutor.eval.labels import (
    LabelSession,
    LabelStore,
    build_questions,
    export_labels,
    hint_sha256,
    import_labels,
    load_lookup,
    read_label_file,
)
from tutor.paths import resources_dir

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}


def label(run: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*venv_tutor(), "bench", "label", str(run), *extra],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def test_questions_are_distinct_hints_shuffled_with_no_system_name() -> None:
    lookup = load_lookup()
    questions = build_questions(run_rows(), lookup)
    assert len(questions) == 5  # six rows, SHARED written by both systems on the first item: asked once
    assert sum(q.hint == SHARED for q in questions) == 1
    assert [q.key for q in build_questions(run_rows(), lookup)] == [q.key for q in questions]  # seeded
    assert {q.key for q in build_questions(run_rows(), lookup, seed=1)} == {q.key for q in questions}
    assert all(s not in str(astuple(q)) for q in questions for s in SYSTEMS)
    assert len(build_questions(run_rows(), lookup, split="test")) == 3
    assert len(build_questions(run_rows(), lookup, split="dev")) == 2
    assert len(build_questions(run_rows(), lookup, limit=2)) == 2


def test_session_stores_resumes_and_counts(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    questions = build_questions(run_rows(), load_lookup())
    session = LabelSession(questions, LabelStore(run, "ann"))
    assert session.position() == "1 of 5"
    first = session.current()
    record = session.answer(dict(YES, HConceal=False), "gives the fix away")
    assert record["HGood"] is False and record["hint_sha256"] == hint_sha256(first.hint)  # type: ignore[union-attr]
    resumed = LabelSession(questions, LabelStore(run, "ann"))
    assert resumed.position() == "2 of 5" and resumed.current() == questions[1]
    assert LabelSession(questions, LabelStore(run, "bob")).position() == "1 of 5"  # per labeller
    stored = read_label_file(run / "labels" / "ann.jsonl")
    assert [(r["labeller"], r["comment"], r["labels"]["HConceal"]) for r in stored] == [
        ("ann", "gives the fix away", False)
    ]


def test_terminal_flow_stores_resumes_without_a_system_name(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    first = label(run, "?\ny\ny\nn\ny\ngives it away\nq\n", "--labeller", "ann", "--teacher")
    assert first.returncode == 0, first.stderr
    assert "Hint 1 of 5" in first.stdout and "Reference fix:" in first.stdout and "stopped" in first.stdout
    assert first.stdout.count(RULES["HConceal"][:40]) >= 2  # printed at the start, and again for "?"
    assert rules_text().splitlines()[1] in first.stdout
    stored = read_label_file(run / "labels" / "ann.jsonl")
    assert len(stored) == 1 and stored[0]["labels"] == dict(YES, HConceal=False) and not stored[0]["HGood"]
    assert stored[0]["comment"] == "gives it away"
    second = label(run, "y\ny\ny\ny\n\ns\n", "--labeller", "ann")  # one more, a skip, then end of input
    assert second.returncode == 0, second.stderr
    assert "Hint 2 of 5" in second.stdout and "Hint 1 of 5" not in second.stdout
    assert "Reference fix:" not in second.stdout  # teachers only (--teacher)
    after = read_label_file(run / "labels" / "ann.jsonl")
    assert len(after) == 2 and after[1]["HGood"] and after[0]["hint"] != after[1]["hint"]
    for result in (first, second):
        assert not any(s in result.stdout + result.stderr for s in SYSTEMS)


def test_export_and_import_pool_labels_without_duplicates(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    questions = build_questions(run_rows(), load_lookup())
    for name, count in (("ann", 2), ("bob", 3)):
        session = LabelSession(questions, LabelStore(run, name))
        for _ in range(count):
            session.answer(YES)
    pooled = tmp_path / "department.jsonl"
    result = label(run, "", "--export", str(pooled))
    assert result.returncode == 0 and "5 labels written" in result.stdout, result.stderr
    rows = [json.loads(line) for line in pooled.read_text().splitlines()]
    assert sorted(r["labeller"] for r in rows) == ["ann", "ann", "bob", "bob", "bob"]
    assert {"item", "hint", "labels", "HGood", "labeller", "comment", "hint_sha256"} <= set(rows[0])
    other = make_run(tmp_path / "other")
    result = label(other, "", "--import", str(pooled))
    assert result.returncode == 0 and "5 added, 0 duplicates, 0 conflicts" in result.stdout, result.stderr
    conflicting = tmp_path / "conflict.jsonl"
    conflicting.write_text(json.dumps(dict(rows[0], labels=dict(YES, HCorrect=False))) + "\n")
    counts = import_labels(other, [pooled, conflicting])
    assert counts == {"added": 0, "duplicates": 5, "conflicts": 0}  # the file's first copy wins the dedupe
    assert import_labels(other, [conflicting]) == {"added": 0, "duplicates": 0, "conflicts": 1}
    assert export_labels(other, tmp_path / "again.jsonl") == 5
    assert LabelSession(questions, LabelStore(other, "bob")).position() == "4 of 5"  # imported: resumes


def test_reads_the_team_hand_label_files() -> None:
    path = resources_dir() / "eval" / "judge-labels.dev.jsonl"
    records = read_label_file(path)
    original = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len(records) == len(original) == 46
    assert {r["labeller"] for r in records} == {"judge-labels"}
    assert [r["HGood"] for r in records] == [o["HGood"] for o in original]
    assert records[0]["comment"] == original[0]["reason"] and "system" not in records[0]


def test_the_rules_are_those_of_the_hand_labels() -> None:
    """label_rules.py and resources/eval/judge-labels.md say the same, word for word."""
    text = (resources_dir() / "eval" / "judge-labels.md").read_text(encoding="utf-8")
    for criterion, rule in RULES.items():
        start = text.index(f"- **{criterion}**: ") + len(f"- **{criterion}**: ")
        written = " ".join(text[start : text.index("\n- **", start)].split())
        assert written[0].upper() + written[1:] == " ".join(rule.split())  # a sentence in the app
