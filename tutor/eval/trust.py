"""What each hint judge can be trusted for: its agreement with people, measured on labelled test-split hints and
shown next to every number it produces (the benchmark's HGood, the arena's leaderboard).

The judge checks write it with ``--record`` (``python -m tutor.bench.quality.judge_check LABELS --record``,
``python -m tutor.arena.check LABELS --record``) into ``resources/eval/judge-trust.json``: one entry per kind
(``quality``, ``arena``), judge model and judge version, with the labels it was measured on. A judge (or a
judge version) with no entry is reported as not measured: its numbers are then unverified.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tutor.eval.human import inter_rater
from tutor.eval.sets import eval_dir
from tutor.jsonl import atomic_write_text

TRUST_NAME = "judge-trust.json"
# Landis & Koch: below 0.2 "slight" (no use), below 0.4 "fair" (a rough screen), from 0.4 "moderate" and better
SLIGHT_KAPPA = 0.2
USEFUL_KAPPA = 0.4


def trust_path() -> Path:
    return eval_dir() / TRUST_NAME


def read_trust(path: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The recorded measurements (empty when there are none, or the file cannot be read)."""
    try:
        found = json.loads((path or trust_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def find(kind: str, judge: str, version: int, path: Path | None = None) -> dict[str, Any] | None:
    """The entry for this judge and version, or None when it was never measured."""
    for entry in read_trust(path).get(kind, []):
        if entry.get("judge") == judge and entry.get("version") == version:
            return entry
    return None


def quality_entry(
    result: dict[str, Any], labels: Path, people: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """An entry from ``judge_check``'s result: accuracy and kappa per criterion and for HGood (frozen
    thresholds); with people's labels, also the readers' own agreement (the ceiling)."""
    frozen = result["frozen"]
    figures = {
        name: {k: frozen[name][k] for k in ("n", "accuracy", "kappa")}
        for name in frozen
        if isinstance(frozen[name], dict) and "kappa" in frozen[name]
    }
    entry = {"judge": result["judge"], "version": result["judge_version"], "n": frozen["n"], **figures}
    return _stamped(entry, labels, people)


def arena_entry(result: dict[str, Any], labels: Path, people: list[dict[str, Any]] | None) -> dict[str, Any]:
    """An entry from the arena check's result: the calibrated verdicts' agreement, consistency and bias."""
    found = result["calibrated"]
    entry = {
        "judge": result["judge"],
        "version": result["prompt_version"],
        "n": result["n"],
        "accuracy": found["agreement"]["accuracy"],
        "kappa": found["agreement"]["kappa"],
        "consistency": found["consistency"],
        "position_bias": found["position_bias"],
    }
    return _stamped(entry, labels, people)


def _stamped(entry: dict[str, Any], labels: Path, people: list[dict[str, Any]] | None) -> dict[str, Any]:
    entry["labels"] = labels.name
    entry["measured"] = time.strftime("%Y-%m-%d")
    if people:
        entry["people_kappa_hgood"] = inter_rater(people)["mean_kappa"]["HGood"]
    return entry


def record(kind: str, entry: dict[str, Any], path: Path | None = None) -> Path:
    """Keep ``entry`` (replacing the one for the same judge and version)."""
    target = path or trust_path()
    found = read_trust(target)
    kept = [
        e
        for e in found.get(kind, [])
        if (e.get("judge"), e.get("version")) != (entry["judge"], entry["version"])
    ]
    found[kind] = [*kept, entry]
    atomic_write_text(target, json.dumps(found, indent=2, sort_keys=True) + "\n")
    return target


def trust_line(kind: str, judge: str, version: int, path: Path | None = None) -> str:
    """One sentence for a report: how far this judge's numbers can be trusted."""
    entry = find(kind, judge, version, path)
    what = {"quality": "HGood", "arena": "preferences"}[kind]
    if entry is None:
        return (
            f"the {kind} judge {judge} (v{version}) has not been measured against people's labels: "
            f"its {what} numbers are unverified"
        )
    kappa = entry["HGood"]["kappa"] if kind == "quality" else entry["kappa"]
    accuracy = entry["HGood"]["accuracy"] if kind == "quality" else entry["accuracy"]
    verdict = _verdict(kappa)
    ceiling = entry.get("people_kappa_hgood")
    people = f"; people agree with each other at kappa {ceiling:.2f}" if ceiling is not None else ""
    shown = "n/a" if kappa is None else f"{kappa:.2f}"
    return (
        f"the {kind} judge {judge} (v{version}) agrees with people on {what} at kappa {shown} (accuracy "
        f"{accuracy:.0%} on {entry['n']} {'hints' if kind == 'quality' else 'pairs'} people labelled, "
        f"{entry['labels']}){people}: {verdict}"
    )


def _verdict(kappa: float | None) -> str:
    """What a judge with this agreement can be used for (Landis & Koch's bands)."""
    if kappa is None or kappa < SLIGHT_KAPPA:
        return "no better than chance at telling good hints from bad; base no decision on its numbers"
    if kappa < USEFUL_KAPPA:
        return "a rough screen only; not a stand-in for people"
    return "usable as a stand-in for people"
