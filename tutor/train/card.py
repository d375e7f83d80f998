"""Writing the dataset: ``train.jsonl``, ``dev.jsonl`` and its data card (``card.json`` and ``card.md``).

The card says what is in the files and how they were made: counts per split, source, kind, target and mutation
kind, the teacher and how many of its answers were kept, the sha256 of each file (and of both together, the
data hash a model card cites), the seed, the command line, and the license of each source used.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tutor.train.assembly import Built, answer_fits_grammar
from tutor.train.examples import Example
from tutor.train.sources import LICENSES, Pair

FILES = ("train.jsonl", "dev.jsonl")


def write_jsonl(path: Path, examples: Iterable[Example]) -> None:
    text = "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in examples)
    temp = path.with_suffix(".partial")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def read_jsonl(path: Path) -> list[Example]:
    return [
        Example.from_json(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def counts(examples: list[Example]) -> dict[str, Any]:
    """Counts of a list of examples, the shape the card uses (and tests recount from the files)."""
    by_source: dict[str, dict[str, int]] = {}
    for e in examples:
        by_source.setdefault(e.source, {"repair": 0, "hint": 0})[e.kind] += 1
    targets = Counter(e.target_source for e in examples if e.kind == "hint")
    return {
        "examples": len(examples),
        "by_kind": dict(Counter(e.kind for e in examples)),
        "by_source": dict(sorted(by_source.items())),
        "hint_targets": dict(sorted(targets.items())),
        "tasks": len({e.task for e in examples}),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_dataset(out: Path, built: Built, pairs: list[Pair], meta: dict[str, Any]) -> dict[str, Any]:
    """Write the two files and the card; returns the card."""
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", built.train)
    write_jsonl(out / "dev.jsonl", built.dev)
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((out / name).read_bytes())
    every = built.train + built.dev
    hints = [e for e in every if e.kind == "hint"]
    sources = sorted({p.source for p in pairs})
    card = {
        **meta,
        "files": {name: {"sha256": sha256(out / name)} for name in FILES},
        "data_sha256": digest.hexdigest(),
        "train": counts(built.train),
        "dev": counts(built.dev),
        "dev_tasks": built.dev_tasks,
        "pairs": dict(sorted(Counter(p.source for p in pairs).items())),
        "mutation_kinds": dict(
            Counter(p.kind for p in pairs if p.source.startswith("mutant:")).most_common()
        ),
        "first_failure_status": dict(Counter(p.failure.status for p in pairs)),
        "duplicates_removed": built.duplicates,
        "teacher": built.teacher.to_json(),
        "hint_answers_in_grammar": sum(answer_fits_grammar(e) for e in hints),
        "hint_answers": len(hints),
        "analysis_targets_guard_ok": built.analysis_guard_ok,
        "licenses": {s: LICENSES[s.split(":")[-1]] for s in sources},
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (out / "card.md").write_text(markdown(card), encoding="utf-8")
    return card


def markdown(card: dict[str, Any]) -> str:
    teacher = card["teacher"]
    lines = [
        "# Training data card: hint model (tutor train data)",
        "",
        f"- Made: {card.get('created', '?')} with `{card.get('command', '?')}` (seed {card.get('seed')}, "
        f"{card.get('wall_s', '?')} s).",
        f"- Data sha256 (train.jsonl then dev.jsonl): `{card['data_sha256']}`.",
        f"- Examples: {card['train']['examples']} train, {card['dev']['examples']} dev "
        f"({card['dev']['tasks']} held-out tasks: {', '.join(card['dev_tasks'][:12])}"
        f"{' ...' if len(card['dev_tasks']) > 12 else ''}); {card['duplicates_removed']} duplicates removed.",
        "- Only dev-split tasks of the benchmark; every example passed `refuse_test_items`.",
        "",
        "| source | pairs | train repair | train hint | dev repair | dev hint | license |",
        "|---|---|---|---|---|---|---|",
    ]
    for source, pairs in card["pairs"].items():
        train = card["train"]["by_source"].get(source, {})
        dev = card["dev"]["by_source"].get(source, {})
        lines.append(
            f"| {source} | {pairs} | {train.get('repair', 0)} | {train.get('hint', 0)} | {dev.get('repair', 0)} "
            f"| {dev.get('hint', 0)} | {card['licenses'].get(source, '')} |"
        )
    lines += [
        "",
        f"Mutation kinds kept: {', '.join(f'{k} {v}' for k, v in card['mutation_kinds'].items()) or 'none'}.",
        "",
        "## Hint targets",
        f"- Authored by the team (resources/train/hint-targets.md): {teacher.get('authored', 0)} pairs "
        f"({teacher.get('authored_no_fix', 0)} also without the fix); {teacher.get('authored_refused', 0)} "
        "refused by the teacher checks.",
        f"- Teacher: {teacher['model'] or 'none'}; answers {teacher['answers']} "
        f"({teacher['asked']} asked, {teacher['cached']} from the cache), accepted {teacher['accepted']} "
        f"(rate {teacher['acceptance_rate']}; {teacher['accepted_by_guard_and_facts']} passed the guard and the "
        f"analysis facts before the Socratic check), seconds per answer {teacher['seconds_per_answer_median']} "
        f"(median).",
        f"- Rejections: {', '.join(f'{k} {v}' for k, v in teacher['rejections'].items()) or 'none'}.",
        f"- Targets: {', '.join(f'{k} {v}' for k, v in card['train']['hint_targets'].items())} (train).",
        f"- {card['hint_answers_in_grammar']} of {card['hint_answers']} hint answers fit the hint grammar; "
        f"{card['analysis_targets_guard_ok']} analysis targets pass the guard as a model's hint would.",
        "",
    ]
    if card.get("notes"):
        lines += ["## Notes", *[f"- {n}" for n in card["notes"]], ""]
    return "\n".join(lines)
