"""The learner's path: course order by unit, each exercise's state, the next exercise, unit progress, resetting
progress (with a backup), and the ``tutor exercises --unit``, ``next`` and ``show`` commands."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

from tutor.course import next_exercise, select, unit_progress
from tutor.exercises import load_bundled, load_pack
from tutor.progress import ProgressStore

from .conftest import venv_tutor

COURSE = load_bundled()


def tutor(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUTOR_DATA_DIR": str(data)}
    return subprocess.run(
        [*venv_tutor(), *args], capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )


def test_the_course_is_in_unit_order_then_file_order() -> None:
    order = {u.id: n for n, u in enumerate(COURSE.units)}
    positions = [order[e.unit] for e in COURSE.exercises]
    assert positions == sorted(positions) and COURSE.errors == []
    strings = [e.id for e in COURSE.exercises if e.unit == "strings"]
    # 02a_/02b_ come after 02_ (same difficulty, written later), 07c_ after 07_
    assert (
        strings.index("greeting") == 2 and strings[3] == "count_vowels" and strings.index("palindrome") == 9
    )
    assert COURSE.unit_of("factorial").title == "Recursion"  # type: ignore[union-attr]


def test_the_first_sixteen_keep_their_ids_and_gain_units_concepts_and_kinds() -> None:
    first = [e for e in COURSE.exercises if re.match(r"\d\d[a-z]_", Path(e.source).name)]
    assert len(first) == 16
    assert all(e.unit and e.concepts and e.topic == e.concepts[0] for e in first)
    assert {e.kind for e in first} == {"fix", "write"}
    assert all("This program has a bug" in e.description for e in first if e.kind == "fix")


def test_a_pack_without_pack_toml_takes_its_units_from_the_exercises(tmp_path: Path) -> None:
    for name, unit in (("a.toml", "loops"), ("b.toml", "strings"), ("c.toml", "loops")):
        (tmp_path / name).write_text(
            f'id = "{name[0]}"\nentry = "f"\nunit = "{unit}"\ntopic = "Old Topic"\n'
            '[[tests]]\ncall = "f()"\nexpected = "1"\n',
            encoding="utf-8",
        )
    result = load_pack(tmp_path)
    assert [u.id for u in result.units] == ["loops", "strings"]
    assert [e.id for e in result.exercises] == ["a", "c", "b"]
    assert result.find("a").concepts == ("old topic",)  # type: ignore[union-attr]


def test_states_next_exercise_and_unit_progress(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.db")
    first, second, third = COURSE.exercises[:3]
    store.record_run(first.id, 5, 5)
    store.record_run(second.id, 1, 5)
    states = store.all()
    assert [states[e.id].state for e in (first, second)] == ["passed", "attempted"]
    assert store.of(third.id).state == "not started"
    assert next_exercise(COURSE.exercises, states, None) == second
    assert next_exercise(COURSE.exercises, states, second.id) == third
    last = COURSE.exercises[-1]
    assert next_exercise(COURSE.exercises, states, last.id) == second  # wraps round to the first not passed
    rows = {
        unit.id: (passed, total)
        for unit, passed, total in unit_progress(COURSE.units, COURSE.exercises, states)
    }
    assert rows[first.unit][0] == 1 and rows["recursion"][0] == 0
    assert sum(total for _, total in rows.values()) == len(COURSE.exercises)
    everything = {e.id: store.of(first.id) for e in COURSE.exercises}
    assert next_exercise(COURSE.exercises, everything, None) is None


def test_select_by_unit_and_concept() -> None:
    assert {e.id for e in select(COURSE.exercises, unit="recursion")} >= {"factorial", "digit_sum"}
    assert all("recursion" in e.concepts for e in select(COURSE.exercises, concept="RECURS"))
    assert select(COURSE.exercises, unit="recursion", concept="sorting") == []


def test_reset_all_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "progress.db"
    store = ProgressStore(path)
    store.record_run("greeting", 3, 3)
    backup = store.reset_all()
    assert store.all() == {} and store.of("greeting").state == "not started"
    assert backup is not None and backup.parent == tmp_path and backup.name.startswith("progress.db.backup-")
    kept = (
        sqlite3.connect(backup).execute("SELECT COUNT(*) FROM events WHERE exercise = 'greeting'").fetchone()
    )
    assert kept == (2,)  # the run and the pass
    store.record_run("greeting", 1, 3)
    assert store.of("greeting").state == "attempted"


def test_cli_exercises_by_unit_with_progress(tmp_path: Path) -> None:
    ProgressStore(tmp_path / "progress.db").record_run("factorial", 4, 4)
    result = tutor("exercises", "--unit", "recursion", data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Recursion (recursion): 1/13 passed"
    assert "factorial" in result.stdout and "passed" in result.stdout and "greeting" not in result.stdout
    data = json.loads(tutor("exercises", "--unit", "recursion", "--json", data=tmp_path).stdout)
    states = {e["id"]: e["state"] for e in data["exercises"]}
    assert len(states) == 13 and {"factorial", "digit_sum", "add_up"} <= set(states)
    assert states.pop("factorial") == "passed" and set(states.values()) == {"not started"}
    bad = tutor("exercises", "--unit", "nope", data=tmp_path)
    assert bad.returncode == 2 and "no unit 'nope'" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_next_and_show(tmp_path: Path) -> None:
    first = COURSE.exercises[0]
    result = tutor("next", data=tmp_path)
    assert result.returncode == 0 and f"({first.id})" in result.stdout
    assert f"tutor show {first.id} --starter > {first.id}.py" in result.stdout
    ProgressStore(tmp_path / "progress.db").record_run(first.id, 1, 1)
    assert f"({COURSE.exercises[1].id})" in tutor("next", data=tmp_path).stdout
    shown = tutor("show", "greeting", data=tmp_path)
    assert "This program has a bug" in shown.stdout and 'return "Hello " + name' in shown.stdout
    assert "Bo" not in shown.stdout  # hidden tests are never shown
    starter = tutor("show", "greeting", "--starter", data=tmp_path)
    assert starter.stdout == COURSE.find("greeting").starter  # type: ignore[union-attr]
    assert tutor("show", "nope", data=tmp_path).returncode == 2
