"""People first: the benchmark's HGood from human labels where they exist, the judge elsewhere, never mixed
silently (``tutor bench quality ... --labels FILE...``).

- **Majority labels**: each (item, hint text) labelled by several people gets, per criterion, "yes" when more
  than half of them said yes (a tie is "no": a hint is credited only when most readers agree it meets the
  rule), and HGood = all four majority criteria. Ties are counted.
- **Inter-rater agreement**: Cohen's kappa per criterion for every pair of labellers on the hints both
  labelled, and the mean over the pairs: the ceiling any judge can reach.
- **Per system**: ``n_human`` hints with a human label, ``n_judge`` judged only, ``n_none`` neither; HGood of the
  human-labelled ones, of the judged rest, and of the two pooled (``hgood_mixed``, always with its counts);
  ``hgood_human`` with its 95% bootstrap interval only when *every* hint of the system is human-labelled.
- **Judge agreement**: accuracy and Cohen's kappa of the judge against the majority labels, per criterion and
  for HGood, on the distinct hints that have both.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

from tutor.eval.agreement import agreement
from tutor.eval.label_rules import CRITERIA
from tutor.eval.labels import hint_sha256
from tutor.eval.stats import cohen_kappa, mean_interval, rounded

ALL = (*CRITERIA, "HGood")
MAJORITY_RULE = "yes when more than half the labellers say yes (a tie is no); HGood = all four"

Key = tuple[str, str]


def row_key(row: dict[str, Any]) -> Key:
    """(item, sha256 of the hint text): how a benchmark row meets its labels."""
    return row["item"], hint_sha256((row.get("hint") or "").strip())


def _by_hint(records: Iterable[dict[str, Any]]) -> dict[Key, list[dict[str, Any]]]:
    grouped: dict[Key, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault((record["item"], record["hint_sha256"]), []).append(record)
    return grouped


def majority(records: Iterable[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """The majority label of every labelled hint: ``{"labels", "HGood", "n", "ties"}``."""
    found: dict[Key, dict[str, Any]] = {}
    for key, group in _by_hint(records).items():
        labels, ties = {}, []
        for criterion in CRITERIA:
            yes = sum(bool(r["labels"][criterion]) for r in group)
            labels[criterion] = yes * 2 > len(group)
            if yes * 2 == len(group):
                ties.append(criterion)
        found[key] = {"labels": labels, "HGood": all(labels.values()), "n": len(group), "ties": ties}
    return found


def _value(record: dict[str, Any], criterion: str) -> bool:
    return bool(record["HGood"] if criterion == "HGood" else record["labels"][criterion])


def inter_rater(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Cohen's kappa per criterion for every pair of labellers (on the hints both labelled) and the mean."""
    by_labeller: dict[str, dict[Key, dict[str, Any]]] = {}
    for record in records:
        by_labeller.setdefault(record["labeller"], {})[(record["item"], record["hint_sha256"])] = record
    pairs: list[dict[str, Any]] = []
    for first, second in combinations(sorted(by_labeller), 2):
        common = sorted(set(by_labeller[first]) & set(by_labeller[second]))
        if not common:
            continue
        kappas = {}
        for criterion in ALL:
            a = [str(_value(by_labeller[first][k], criterion)) for k in common]
            b = [str(_value(by_labeller[second][k], criterion)) for k in common]
            kappas[criterion] = rounded(cohen_kappa(a, b))
        pairs.append({"labellers": [first, second], "n": len(common), "kappa": kappas})
    mean: dict[str, float | None] = {}
    for criterion in ALL:
        defined = [p["kappa"][criterion] for p in pairs if p["kappa"][criterion] is not None]
        mean[criterion] = rounded(sum(defined) / len(defined)) if defined else None
    return {"labellers": sorted(by_labeller), "pairs": pairs, "mean_kappa": mean}


def system_human(
    rows: list[dict[str, Any]], human: dict[Key, dict[str, Any]], seed: int = 0
) -> dict[str, Any]:
    """One system's HGood, human where labelled and the judge elsewhere, each counted."""
    human_values, judge_values, none = [], [], 0
    for row in rows:
        label = human.get(row_key(row))
        if label is not None:
            human_values.append(float(label["HGood"]))
        elif row.get("judge"):
            judge_values.append(float(bool(row["judge"]["HGood"])))
        else:
            none += 1
    complete = bool(rows) and len(human_values) == len(rows)
    mean, low, high = mean_interval(human_values, seed) if complete else (None, None, None)
    return {
        "n": len(rows),
        "n_human": len(human_values),
        "n_judge": len(judge_values),
        "n_none": none,
        "hgood_of_human_labelled": rounded(mean_interval(human_values)[0]),
        "hgood_of_judged_rest": rounded(mean_interval(judge_values)[0]),
        "hgood_mixed": rounded(mean_interval(human_values + judge_values)[0]),
        "hgood_human": rounded(mean),
        "hgood_human_95": [rounded(low), rounded(high)] if complete else None,
    }


def judge_agreement(rows: list[dict[str, Any]], human: dict[Key, dict[str, Any]]) -> dict[str, Any]:
    """The judge against the majority labels on the distinct hints that have both, per criterion."""
    pairs: dict[Key, tuple[dict[str, Any], dict[str, Any]]] = {}
    for row in rows:
        key = row_key(row)
        if row.get("judge") and key in human:
            pairs.setdefault(key, (row["judge"], human[key]))
    found = {}
    for criterion in ALL:
        judged = [bool(j[criterion]) for j, _ in pairs.values()]
        labelled = [_value(h, criterion) for _, h in pairs.values()]
        found[criterion] = agreement(judged, labelled).to_json()
    return {"n": len(pairs), "criteria": found}


def human_section(
    rows: list[dict[str, Any]], records: list[dict[str, Any]], systems: list[str], seed: int = 0
) -> dict[str, Any]:
    """The report's ``human`` section (separate from the judge's ``hgood``)."""
    human = majority(records)
    return {
        "labels": len(records),
        "labellers": sorted({r["labeller"] for r in records}),
        "hints_labelled": len(human),
        "hints_with_ties": sum(bool(h["ties"]) for h in human.values()),
        "majority_rule": MAJORITY_RULE,
        "systems": {s: system_human([r for r in rows if r["system"] == s], human, seed) for s in systems},
        "judge_agreement": judge_agreement(rows, human),
        "inter_rater": inter_rater(records),
    }


def human_table(section: dict[str, Any]) -> list[str]:
    """The text lines of the human section (the command's table and the HTML report)."""

    def f(value: Any) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        f"human labels: {section['labels']} from {len(section['labellers'])} labeller(s), "
        f"{section['hints_labelled']} distinct hints ({section['hints_with_ties']} with a tie; majority: "
        f"{section['majority_rule']})",
        f"{'system':<38} {'n':>4} {'human':>6} {'judge':>6} {'none':>5} {'HGood human-labelled':>21} "
        f"{'HGood judged rest':>18} {'HGood mixed':>12} {'HGood human (95% CI)':>22}",
    ]
    for name, s in section["systems"].items():
        interval = s["hgood_human_95"]
        human = f"{f(s['hgood_human'])} [{f(interval[0])}, {f(interval[1])}]" if interval else "- (not all)"
        lines.append(
            f"{name:<38} {s['n']:>4} {s['n_human']:>6} {s['n_judge']:>6} {s['n_none']:>5} "
            f"{f(s['hgood_of_human_labelled']):>21} {f(s['hgood_of_judged_rest']):>18} "
            f"{f(s['hgood_mixed']):>12} {human:>22}"
        )
    agree = section["judge_agreement"]
    lines.append(f"judge against the people on {agree['n']} hints (accuracy / kappa):")
    lines.append("  " + ", ".join(f"{c} {_pair(agree['criteria'][c])}" for c in ALL))
    rater = section["inter_rater"]
    if rater["pairs"]:
        lines.append(f"inter-rater kappa (mean of {len(rater['pairs'])} pair(s)):")
        lines.append("  " + ", ".join(f"{c} {f(rater['mean_kappa'][c])}" for c in ALL))
    return lines


def _pair(found: dict[str, Any]) -> str:
    accuracy, kappa = found["accuracy"], found["kappa"]
    return f"{'-' if accuracy is None else f'{accuracy:.0%}'} / {'-' if kappa is None else f'{kappa:.2f}'}"
