"""``tutor arena leaderboard`` and ``tutor arena votes`` through the real command line entry point."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tutor.arena.battles import Contestant, battle
from tutor.arena.judge import Case, Verdict
from tutor.arena.votes import code_sha
from tutor.cli import main
from tutor.paths import user_data_dir
from tutor.progress import ProgressStore, Vote

CASE = Case(
    task="Sum a list.", code="def total(xs):\n    return 0\n", failing_test="total([1])", fix="return sum(xs)"
)


def write_battles(folder: Path) -> None:
    """Three systems: 'strong' is preferred 80% of the time by a judge that is consistent in both orders."""
    rng = random.Random(1)
    lines = []
    systems = {"strong": 3.0, "middle": 1.0, "weak": 0.3}
    for n in range(40):
        for x, y in (("middle", "strong"), ("strong", "weak"), ("middle", "weak")):
            p = systems[x] / (systems[x] + systems[y])
            label = "A" if rng.random() < p else "B"
            swapped = "B" if label == "A" else "A"
            labels = iter([label, swapped])
            record = battle(
                f"i{n}",
                CASE,
                Contestant(x, "one two three four five"),
                Contestant(y, "six seven eight nine ten"),
                lambda *_, answers=labels: Verdict(next(answers), None, 0.25),
                "judge-model",
                task="t",
            )
            lines.append(json.dumps(record.to_json()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "battles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_leaderboard_json_has_exactly_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_battles(tmp_path / "arena")
    html = tmp_path / "board.html"
    assert (
        main(["arena", "leaderboard", "--out", str(tmp_path / "arena"), "--json", "--html", str(html)]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"systems", "judge"}
    # the three keys, and the calibrated figures beside them (None here: the scripted verdicts have no
    # probabilities, so there is nothing to calibrate)
    assert set(data["judge"]) == {
        "name",
        "consistency",
        "position_bias",
        "consistency_calibrated",
        "position_bias_calibrated",
        "position_prior",
        "trust",
    }
    assert data["judge"]["name"] == "judge-model"
    # a judge never measured against people is said to be so, next to its numbers (tutor.eval.trust)
    assert "judge-model" in data["judge"]["trust"] and "unverified" in data["judge"]["trust"]
    assert data["judge"]["consistency"] == 1.0 and data["judge"]["position_bias"] == 0.0
    assert data["judge"]["consistency_calibrated"] is None
    assert list(data["systems"]) == ["strong", "middle", "weak"]
    for row in data["systems"].values():
        assert set(row) == {"score", "ci", "rank", "wins", "ties", "losses", "battles"}
        assert row["ci"][0] <= row["score"] <= row["ci"][1]
        assert row["wins"] + row["ties"] + row["losses"] == row["battles"] == 80
    assert data["systems"]["strong"]["rank"] == 1
    page = html.read_text(encoding="utf-8")
    assert "data:image/png;base64,iVBOR" in page and "position bias" in page
    assert "has not been measured against people" in page


def test_teacher_votes_feed_the_board_and_the_kappa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_battles(tmp_path / "arena")
    store = ProgressStore(user_data_dir() / "progress.db")
    sha = code_sha(CASE.code)
    store.add_votes([Vote("t", sha, "strong", "weak", "A"), Vote("t", sha, "weak", "middle", "both bad")])
    store.close()
    assert (
        main(["arena", "leaderboard", "--out", str(tmp_path / "arena"), "--votes", "teacher", "--json"]) == 0
    )
    teacher = json.loads(capsys.readouterr().out)["systems"]
    assert (
        teacher["strong"]["wins"] == 1 and teacher["weak"]["ties"] == 1 and teacher["middle"]["battles"] == 1
    )
    assert main(["arena", "leaderboard", "--out", str(tmp_path / "arena")]) == 0
    text = capsys.readouterr().out
    assert "kappa" in text and "length-controlled" in text


def test_votes_commands_and_their_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ProgressStore(user_data_dir() / "progress.db")
    store.record_vote(Vote("t", "abc", "x", "y", "tie"))
    store.close()
    assert main(["arena", "votes", "export", str(tmp_path / "v.csv")]) == 0
    assert main(["arena", "votes", "import", str(tmp_path / "v.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {"imported": 0, "already_there": 1}
    assert main(["arena", "votes", "import", str(tmp_path / "missing.json")]) == 2
    assert main(["arena", "votes", "import", str(tmp_path / "v.txt")]) == 2
    assert main(["arena", "leaderboard", "--out", str(tmp_path / "none"), "--votes", "judge"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(e.startswith("tutor: error: ") for e in errors)
