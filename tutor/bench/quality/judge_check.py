"""Re-check the hint judges against hand labels: ``python -m tutor.bench.quality.judge_check LABELS``.

LABELS is a JSON Lines file of either kind, told apart by its rows:
- quality labels (``resources/eval/judge-labels.{dev,test}.jsonl``): ``{"item", "system", "hint", "labels":
  {HCorrect, HInformative, HConceal, HComprehensible: bool}, "reason"}``; the benchmark's judge
  (``tutor.bench.quality.judge``) gives P(yes) per criterion, decided by its frozen thresholds, and the command
  prints accuracy and Cohen's kappa per criterion and for HGood (= all four);
- pairwise preferences (``arena-labels.{dev,test}.jsonl``): ``{"item", "hint_a", "hint_b", "preference":
  A|B|tie}``; the arena judge (``tutor.arena.judge``) judges each pair in both orders, and the command prints
  agreement, consistency and position bias of the raw verdicts and of the calibrated ones
  (``tutor.arena.calibration``), the position prior, and the seconds per battle.
``--fit`` (dev labels only) also fits the thresholds or the margin and shows the in-sample figures with them;
the frozen values in the code are what was fitted that way. ``--scores FILE`` keeps the judge's outputs, so a
second run (e.g. with ``--fit``) asks the model nothing again. Items are looked up in the bundled sets by key.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.eval.agreement import agreement, fit_threshold
from tutor.bench.quality.judge import CRITERIA, JUDGE_VERSION, THRESHOLDS, decide
from tutor.eval.items import Item
from tutor.eval.sets import load_set
from tutor.exercises import Exercise

Scorer = Callable[[Item, Exercise, dict[str, Any] | None, str], dict[str, float]]


class CheckError(Exception):
    """A problem to report in one line (exit 2)."""


def read_labels(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The rows of a label file and its kind, ``quality`` or ``arena``; a malformed file is one CheckError."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read the labels ({exc})") from None
    if not rows:
        raise CheckError(f"{path}: no labels")
    kind = "quality" if "labels" in rows[0] else "arena"
    needed = ("item", "hint", "labels") if kind == "quality" else ("item", "hint_a", "hint_b", "preference")
    for number, row in enumerate(rows, start=1):
        missing = [k for k in needed if k not in row]
        if missing:
            raise CheckError(f"{path}: line {number} lacks {', '.join(missing)}")
        if kind == "quality" and set(row["labels"]) != set(CRITERIA):
            raise CheckError(f"{path}: line {number}: labels must be exactly {', '.join(CRITERIA)}")
        if kind == "arena" and row["preference"] not in ("A", "B", "tie"):
            raise CheckError(f"{path}: line {number}: preference must be A, B or tie")
    return kind, rows


def lookup(rows: list[dict[str, Any]]) -> tuple[dict[str, Item], dict[str, Exercise]]:
    items, exercises = load_set("all")
    known = {i.key: i for i in items}
    unknown = sorted({r["item"] for r in rows} - set(known))
    if unknown:
        raise CheckError(f"unknown item {unknown[0]} (not in the bundled sets, or its code changed)")
    return known, exercises


def failing_test(item: Item, exercise: Exercise) -> dict[str, Any] | None:
    """The first failing test, in the shape the hint pipeline records (what the benchmark gives its judge)."""
    from tutor.runner import run

    failure = run(exercise, item.code).first_failure
    if failure is None:
        return None
    return {
        "call": failure.call,
        "status": failure.status,
        "expected": failure.expected,
        "got": failure.got,
        "message": failure.message,
        "line": failure.line,
    }


class ScoreFile:
    """Judge outputs kept between runs, keyed by judge, kind and the exact texts judged."""

    def __init__(self, path: Path | None) -> None:
        self.path, self.known = path, {}
        if path and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self.known[entry["key"]] = entry["value"]

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.known:
            self.known[key] = make()
            if self.path:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(
                        json.dumps({"key": key, "value": self.known[key]}, ensure_ascii=False) + "\n"
                    )
        return self.known[key]


def quality_scores(
    rows: list[dict[str, Any]], scorer: Scorer, scores: ScoreFile, name: str
) -> list[dict[str, float]]:
    """P(yes) per criterion for every labelled hint (rows of one item one after another: prefix reuse)."""
    items, exercises = lookup(rows)
    found = []
    for row in rows:
        item = items[row["item"]]
        exercise = exercises[item.task]
        key = json.dumps([name, f"quality-v{JUDGE_VERSION}", row["item"], row["hint"]])

        def make(i: Item = item, e: Exercise = exercise, h: str = row["hint"]) -> dict[str, float]:
            return scorer(i, e, failing_test(i, e), h)

        found.append(scores.get(key, make))
    return found


def quality_report(
    rows: list[dict[str, Any]], probabilities: list[dict[str, float]], thresholds: dict[str, float]
) -> dict[str, Any]:
    return _report(rows, [decide(p, thresholds) for p in probabilities], thresholds)


def _report(rows: list[dict[str, Any]], decided: list[dict[str, bool]], thresholds: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"n": len(rows), "thresholds": thresholds}
    for name in CRITERIA:
        report[name] = agreement([d[name] for d in decided], [r["labels"][name] for r in rows]).to_json()
    report["HGood"] = agreement(
        [all(d.values()) for d in decided], [all(r["labels"].values()) for r in rows]
    ).to_json()
    return report


def fit_thresholds(rows: list[dict[str, Any]], probabilities: list[dict[str, float]]) -> dict[str, float]:
    return {
        name: round(fit_threshold([p[name] for p in probabilities], [r["labels"][name] for r in rows]), 4)
        for name in CRITERIA
    }


def leave_one_out(rows: list[dict[str, Any]], probabilities: list[dict[str, float]]) -> dict[str, Any]:
    """Each label decided by thresholds fitted on all the other labels: an estimate of the fit's accuracy on
    unseen hints, free of the in-sample optimism of ``fitted_in_sample``."""
    decided = []
    for index in range(len(rows)):
        rest = [i for i in range(len(rows)) if i != index]
        limits = fit_thresholds([rows[i] for i in rest], [probabilities[i] for i in rest])
        decided.append(decide(probabilities[index], limits))
    return _report(rows, decided, "refitted without each label")


def check_quality(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    from tutor.bench.quality.judge import Judge, choose_judge
    from tutor.eval.systems import open_source

    system = choose_judge(args.judge or "auto")
    if system is None or system.is_analysis:
        raise CheckError("the judge must be a model")
    loaded: list[Judge] = []

    def scorer(item: Item, exercise: Exercise, failing: dict[str, Any] | None, hint: str) -> dict[str, float]:
        if not loaded:
            loaded.append(Judge(system, open_source(system, args.threads)))
        return loaded[0].probabilities(exercise, item.code, item.fix, failing, hint)[0]

    probabilities = quality_scores(rows, scorer, ScoreFile(args.scores), system.name)
    result = {"kind": "quality", "judge": system.name, "judge_version": JUDGE_VERSION}
    result["frozen"] = quality_report(rows, probabilities, THRESHOLDS)
    if args.fit:
        result["fitted_in_sample"] = quality_report(rows, probabilities, fit_thresholds(rows, probabilities))
        result["fitted_leave_one_out"] = leave_one_out(rows, probabilities)
    result["rows"] = [
        {"item": r["item"], "hint": r["hint"][:80], "p_yes": {k: round(v, 3) for k, v in p.items()}}
        for r, p in zip(rows, probabilities, strict=True)
    ]
    return result


def quality_text(result: dict[str, Any]) -> str:
    lines = [
        f"judge {result['judge']} (v{result['judge_version']}) on {result['frozen']['n']} labelled hints"
    ]
    for title in ("frozen", "fitted_in_sample", "fitted_leave_one_out"):
        if title not in result:
            continue
        report = result[title]
        lines.append(f"{title}: thresholds {report['thresholds']}")
        for name in (*CRITERIA, "HGood"):
            found = report[name]
            kappa = "n/a" if found["kappa"] is None else f"{found['kappa']:+.2f}"
            lines.append(
                f"  {name:<16} accuracy {found['accuracy']:.0%}  kappa {kappa}  judge/label {found['confusion']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.bench.quality.judge_check", description=__doc__)
    parser.add_argument("labels", help="a judge-labels or arena-labels JSONL file")
    parser.add_argument("--judge", default="", help="the judge model (default: the largest installed here)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--fit", action="store_true", help="also fit thresholds/margin (dev labels only)")
    parser.add_argument(
        "--scores", type=Path, default=None, help="keep the judge's outputs in this JSONL file"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        kind, rows = read_labels(Path(args.labels))
        if kind == "quality":
            result = check_quality(rows, args)
            text = quality_text(result)
        else:
            from tutor.arena.check import arena_text, check_arena

            result = check_arena(rows, args)
            text = arena_text(result)
    except CheckError as exc:
        print(f"judge_check: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
