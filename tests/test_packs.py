"""Teachers' packs: each ``tutor pack check`` rule fails on a pack planted to break it, build and import round
trip, a refused import changes nothing, malformed ``pack.toml``, and the site policy's pinned packs."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tutor.exercises import bundled_pack_dir, load_pack
from tutor.packs import build_pack, check_pack, import_pack, load_course, new_pack
from tutor.policy import Policy, parse_policy
from tutor.runner import Limits

from .conftest import venv_tutor
from .packs_helpers import double_exercise as good

PACK_TOML = """name = "Week one"
[[units]]
id = "basics"
title = "First steps"
summary = "Doubling."
"""


def make_pack(folder: Path, *exercises: str, pack_toml: str = PACK_TOML) -> Path:
    (folder / "01-basics").mkdir(parents=True)
    (folder / "pack.toml").write_text(pack_toml, encoding="utf-8")
    for number, text in enumerate(exercises, start=1):
        (folder / "01-basics" / f"{number:02}_ex.toml").write_text(text, encoding="utf-8")
    return folder


def test_a_good_pack_passes_with_a_summary(tmp_path: Path) -> None:
    check = check_pack(make_pack(tmp_path / "p", good()))
    assert check.ok, check.problems
    assert "Ready to share" in check.summary() and "'Week one'" in check.summary()


def test_malformed_pack_toml_is_a_problem_with_its_line_never_a_crash(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "p", good(), pack_toml='name = "x"\n[[units]]\nid = "basics"\ntitle = \n')
    check = check_pack(pack)
    assert not check.ok
    assert any("pack.toml, line 4" in p and "not valid TOML" in p for p in check.problems), check.problems
    result = load_pack(pack)  # the loader itself reports it the same way
    assert result.errors[0].line == 4


def test_a_unit_pack_toml_does_not_list_is_refused_with_the_line(tmp_path: Path) -> None:
    check = check_pack(make_pack(tmp_path / "p", good().replace('unit = "basics"', 'unit = "loops"')))
    (problem,) = check.problems
    assert "01_ex.toml, line 3" in problem and "'loops' is not a unit of pack.toml (basics)" in problem


def test_a_field_error_names_the_line_of_the_test(tmp_path: Path) -> None:
    text = good().replace('expected = "-2"', "expected = -2")
    (problem,) = check_pack(make_pack(tmp_path / "p", text)).problems
    assert "line 16" in problem and "tests[2].expected" in problem


def test_a_reference_that_fails_a_test(tmp_path: Path) -> None:
    text = good().replace('expected = "100"', 'expected = "101"')
    (problem,) = check_pack(make_pack(tmp_path / "p", text)).problems
    assert "the solution fails test 3: Expected 101, got 100." in problem and "01_ex.toml, line 18" in problem


def test_a_test_that_gives_different_results_on_three_runs(tmp_path: Path) -> None:
    solution = "seen = []\\ndef double(number):\\n    seen.append(number)\\n    return number * 2 if seen.count(50) < 2 else 0\\n"
    text = good().replace(
        'solution = "def double(number):\\n    return number * 2\\n"', f'solution = "{solution}"'
    )
    problems = check_pack(make_pack(tmp_path / "p", text)).problems
    assert any("test 3 gives different results on three runs" in p for p in problems), problems


def test_a_test_over_the_time_limit(tmp_path: Path) -> None:
    text = good().replace('call = "double(50)"', 'call = "[double(50) for _ in iter(int, 1)]"')
    problems = check_pack(make_pack(tmp_path / "p", text), limits=Limits(per_test_s=0.5, total_s=4)).problems
    assert any("test 3 runs over the time limit (0.5 s)" in p for p in problems), problems


def test_a_starter_that_already_passes(tmp_path: Path) -> None:
    text = good().replace(
        'starter = "def double(number):\\n    pass\\n"',
        'starter = "def double(number):\\n    return number + number\\n"',
    )
    (problem,) = check_pack(make_pack(tmp_path / "p", text)).problems
    assert "the starter passes every test" in problem


def test_an_exercise_without_hidden_tests(tmp_path: Path) -> None:
    (problem,) = check_pack(make_pack(tmp_path / "p", good().replace("hidden = true\n", ""))).problems
    assert "has no hidden test" in problem


def test_a_description_that_shows_the_reference(tmp_path: Path) -> None:
    text = good().replace("twice the number.", "twice the number, e.g. `return number * 2`.")
    (problem,) = check_pack(make_pack(tmp_path / "p", text)).problems
    assert "the description shows the reference's line 'return number * 2'" in problem


def test_an_empty_folder_is_not_a_pack(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    check = check_pack(tmp_path / "empty")
    assert not check.ok and "no exercise files" in check.summary()


def test_the_template_passes_its_own_check(tmp_path: Path) -> None:
    written = new_pack(tmp_path / "week1", "Week one")
    assert len(written) == 5
    check = check_pack(tmp_path / "week1")
    assert check.ok, check.problems
    assert check.exercises == 3
    with pytest.raises(FileExistsError):
        new_pack(tmp_path / "week1")


def test_build_and_import_round_trip(tmp_path: Path) -> None:
    built = build_pack(make_pack(tmp_path / "week1", good()), tmp_path / "out" / "week1.tutorpack")
    packs = tmp_path / "packs"
    check = import_pack(built, packs)
    assert check.ok, check.problems
    course = load_course(Policy(), packs_dir=packs)
    assert course.find("w1_double") is not None and course.find("greeting") is not None
    assert [u.id for u in course.units][-1] == "basics"  # the pack's unit after the bundled course's
    again = import_pack(built, packs)  # a second import replaces the first copy
    assert again.ok and [p.name for p in packs.iterdir()] == ["week1"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_refused_import_changes_nothing(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    assert import_pack(make_pack(tmp_path / "ok", good()), packs).ok
    before = _snapshot(packs)
    broken = make_pack(tmp_path / "ok2", good().replace('expected = "4"', 'expected = "5"'))
    check = import_pack(broken, packs)
    assert not check.ok and any("the solution fails test 1" in p for p in check.problems)
    assert str(tmp_path / "ok2") in check.problems[0]  # the teacher's path, not the staging folder
    assert _snapshot(packs) == before


def test_an_import_that_reuses_a_course_id_is_refused(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    check = import_pack(make_pack(tmp_path / "p", good("greeting")), packs, taken=load_course(Policy()))
    assert not check.ok and "'greeting' is already used" in check.problems[-1]
    assert not packs.exists()


def test_a_tampered_built_file_is_refused(tmp_path: Path) -> None:
    built = build_pack(make_pack(tmp_path / "week1", good()), tmp_path / "week1.tutorpack")
    tampered = tmp_path / "tampered.tutorpack"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, data.replace(b"number * 2", b"number * 3"))
    check = import_pack(tampered, tmp_path / "packs")
    assert not check.ok and "does not match its sha256" in check.problems[0]
    (tmp_path / "junk.tutorpack").write_bytes(b"not a zip")
    assert (
        "is not a built pack file" in import_pack(tmp_path / "junk.tutorpack", tmp_path / "packs").problems[0]
    )
    assert not (tmp_path / "packs").exists()


def test_policy_pins_packs_and_hides_the_bundled_course(tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "srv" / "week1", good())
    built = build_pack(make_pack(tmp_path / "week2", good("w2_double")), tmp_path / "srv" / "week2.tutorpack")
    path = tmp_path / "policy.toml"
    path.write_text(
        f'[course]\npacks = ["{folder}", "{built}"]\nhide_bundled_course = true\n', encoding="utf-8"
    )
    policy = parse_policy(path)
    course = load_course(policy, packs_dir=tmp_path / "none")
    assert [e.id for e in course.exercises] == ["w1_double", "w2_double"] and course.errors == []
    shown = load_course(Policy(pinned_packs=[folder]), packs_dir=tmp_path / "none")
    assert shown.find("greeting") is not None and shown.find("w1_double") is not None


def test_policy_refuses_an_unknown_course_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[course]\nhide_bundled = true\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: unknown key course.hide_bundled"):
        parse_policy(path)


def test_a_pinned_pack_that_cannot_be_read_leaves_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bad.tutorpack").write_bytes(b"nope")
    course = load_course(Policy(pinned_packs=[tmp_path / "bad.tutorpack"]), packs_dir=tmp_path / "none")
    assert course.find("greeting") is not None
    assert "the pinned pack cannot be read" in str(course.errors[0])


def test_the_bundled_course_passes_pack_check() -> None:
    check = check_pack(bundled_pack_dir())
    assert check.ok, check.summary()


def test_a_field_error_in_bad_toml_names_its_line(tmp_path: Path) -> None:
    text = good().replace('expected = "-2"', 'expected = "-2\n')
    (problem,) = check_pack(make_pack(tmp_path / "p", text)).problems
    assert "01_ex.toml, line 16: exercise '01_ex': not valid TOML" in problem


def test_the_pack_commands_and_their_exit_codes(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parent.parent)  # this tree's tutor, from another working folder
    env = {**os.environ, "TUTOR_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": root}

    def tutor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*venv_tutor(), "pack", *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
        )

    assert tutor("new", "week1").returncode == 0
    checked = tutor("check", "week1")
    assert checked.returncode == 0 and "Ready to share" in checked.stdout
    built = tutor("build", "week1", "-o", "week1.tutorpack")
    assert built.returncode == 0 and (tmp_path / "week1.tutorpack").is_file()
    assert tutor("check", "week1.tutorpack").returncode == 0
    imported = tutor("import", "week1.tutorpack")
    assert imported.returncode == 0 and (tmp_path / "data" / "packs" / "week1").is_dir()
    again = tutor("import", "week1.tutorpack")  # its ids are now taken by itself: still a plain update
    assert again.returncode == 0, again.stdout
    (tmp_path / "week1" / "01-basics" / "01_double.toml").write_text("id = [", encoding="utf-8")
    broken = tutor("check", "week1")
    assert (
        broken.returncode == 1 and "01_double.toml, line 1" in broken.stdout and "Not ready" in broken.stdout
    )
    assert tutor("check", "nowhere").returncode == 2
