"""`tutor grade` against a hostile class: a submission that switches off the harness's in-process guard and tries
to rewrite other students' grades (the resume cache, overrides.csv), read the grader's command line, or pass
without solving, changes nothing; and without an OS sandbox grading refuses unless the teacher allows it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the OS sandbox is Linux's")

HONEST = "def is_palindrome(text):\n    letters = text.replace(' ', '').lower()\n    return letters == letters[::-1]\n"


def attacker(out: Path) -> str:
    return f"""import __main__ as harness, os, sqlite3
for blocklist in ('BLOCKED_EVENTS', 'BLOCKED_MODULES', 'WRITE_EVENTS'):
    getattr(harness, blocklist, {{}}).clear()
harness.os.path.realpath = lambda p: harness.os.getcwd()
found = []
for pid in os.listdir('/proc'):
    try:
        found.append(open(f'/proc/{{pid}}/cmdline', 'rb').read())
    except OSError:
        pass
print('SEEN', found)
try:
    with open({str(out / "overrides.csv")!r}, 'a') as f:
        f.write('honest,total,0,forged\\nattacker,total,2000,forged\\n')
except OSError as exc:
    print('overrides', exc)
try:
    db = sqlite3.connect({str(out / ".grade-cache.sqlite")!r})
    db.execute("UPDATE outcome SET data = replace(data, 'pass', 'fail')")
    db.commit()
except Exception as exc:
    print('cache', exc)
def is_palindrome(text):
    grader = [line for line in found if b'grade' in line]  # the grader's command line names the output folder
    return repr((grader, len(found))) if text == 'python' else True  # into the grader's report
"""


def tutor_grade(
    folder: Path, out: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ui.cli", "grade", str(folder), "-e", "palindrome", "--no-model", "--out", str(out),
               "--json", *extra]  # fmt: skip
    environment = dict(env or os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def percents(out: Path) -> dict[str, str]:
    with (out / "grades.csv").open(newline="") as file:  # one header row, then one row per student
        return {row["student"]: row["percent"] for row in csv.DictReader(file)}


def test_a_hostile_submission_changes_no_grade(tmp_path: Path) -> None:
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "honest.py").write_text(HONEST)
    (folder / "attacker.py").write_text(attacker(out))
    for _ in range(2):  # the second run reads the resume cache the attacker aimed at
        result = tutor_grade(folder, out)
        assert result.returncode == 0, result.stderr
        overrides = (out / "overrides.csv").read_text()
        assert "forged" not in overrides
        grades = percents(out)
        assert float(grades["honest"]) == 100.0
        assert float(grades["attacker"]) < 100.0  # the 'python' test fails
    results = "".join(p.read_text() for p in (out / "results").glob("*.json"))
    assert "returns '([], " in results  # the attacker's report of the grader's command line: nothing seen
    assert "ui.cli" not in results and str(out) not in results.replace(str(out / "results"), "")


def test_without_a_sandbox_grading_refuses_unless_allowed(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "honest.py").write_text(HONEST)
    env = dict(os.environ, TUTOR_BWRAP="/nonexistent/bwrap")
    refused = tutor_grade(folder, tmp_path / "out1", env=env)
    assert refused.returncode == 2 and "--allow-unsandboxed" in refused.stderr
    assert not (tmp_path / "out1" / "grades.csv").exists()
    allowed = tutor_grade(folder, tmp_path / "out2", "--allow-unsandboxed", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert float(percents(tmp_path / "out2")["honest"]) == 100.0
