"""Teacher votes: stored in the progress database (with a migration from the old schema), exported, imported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tutor.arena.votes import VoteFileError, code_sha, export_votes, import_votes, read_votes
from tutor.progress import ProgressStore, Vote


def _vote(choice: str = "A", exercise: str = "sum_list") -> Vote:
    return Vote(
        exercise=exercise,
        code_sha=code_sha("def f(): pass\n"),
        system_a="analysis",
        system_b="default",
        vote=choice,
        hint_a="Look at line 2.",
        hint_b="Which value does the loop start from?",
    )


def test_votes_are_stored_and_read_back(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.db")
    store.record_vote(_vote("A"))
    store.record_vote(_vote("both bad"))
    with pytest.raises(ValueError, match="one of"):
        store.record_vote(_vote("C"))
    store.close()
    again = ProgressStore(tmp_path / "progress.db")
    assert [v.vote for v in again.votes()] == ["A", "both bad"]
    assert again.votes()[0].hint_b == "Which value does the loop start from?"


def test_an_old_database_is_migrated_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "progress.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, kind TEXT NOT NULL "
        "CHECK (kind IN ('run', 'hint', 'solved')), passed INTEGER NOT NULL DEFAULT 0, "
        "total INTEGER NOT NULL DEFAULT 0, at REAL NOT NULL);"
        "INSERT INTO events (exercise, kind, at) VALUES ('sum_list', 'hint', 1.0);"
    )
    old.commit()
    old.close()
    store = ProgressStore(path)
    assert store.of("sum_list").hints == 1
    store.record_vote(_vote())
    assert len(store.votes()) == 1
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 1


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_export_then_import_pools_votes_without_duplicates(tmp_path: Path, suffix: str) -> None:
    teacher_one = ProgressStore(tmp_path / "one.db")
    teacher_one.record_vote(_vote("A"))
    teacher_one.record_vote(_vote("tie", exercise="fizzbuzz"))
    teacher_two = ProgressStore(tmp_path / "two.db")
    teacher_two.record_vote(_vote("B"))
    exported = tmp_path / f"votes{suffix}"
    assert export_votes(teacher_one, exported) == 2
    assert import_votes(teacher_two, exported) == (2, 0)
    assert import_votes(teacher_two, exported) == (0, 2)
    pooled = sorted((v.exercise, v.vote, v.id) for v in teacher_two.votes())
    assert [(e, c) for e, c, _ in pooled] == [("fizzbuzz", "tie"), ("sum_list", "A"), ("sum_list", "B")]
    originals = {v.id: v for v in teacher_one.votes()}
    for vote in teacher_two.votes():
        if vote.id in originals:
            assert vote == originals[vote.id]


def test_a_bad_row_is_named_and_nothing_is_stored(tmp_path: Path) -> None:
    rows = [_vote().to_json(), dict(_vote().to_json(), vote="maybe")]
    path = tmp_path / "votes.json"
    path.write_text(json.dumps({"votes": rows}), encoding="utf-8")
    store = ProgressStore(tmp_path / "p.db")
    with pytest.raises(VoteFileError, match="vote 2: vote must be one of"):
        import_votes(store, path)
    assert store.votes() == []
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(VoteFileError, match="not valid JSON"):
        read_votes(path)


def test_compare_hints_is_off_by_default_and_off_in_exam_mode(tmp_path: Path) -> None:
    from tutor.policy import Policy, parse_policy, safe_policy

    assert not Policy().compare_allowed
    path = tmp_path / "policy.toml"
    path.write_text('[arena]\ncompare_hints = true\nsystems = ["analysis", "default"]\n', encoding="utf-8")
    policy = parse_policy(path)
    assert policy.compare_allowed and policy.compare_systems == ["analysis", "default"]
    assert policy.sources["arena.compare_hints"].endswith("line 2")
    path.write_text("[arena]\ncompare_hints = true\n[hints]\nexam_mode = true\n", encoding="utf-8")
    assert not parse_policy(path).compare_allowed
    assert not safe_policy(path, "broken").compare_allowed
    path.write_text('[arena]\ncompare_hints = "yes"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="arena.compare_hints must be true or false"):
        parse_policy(path)
