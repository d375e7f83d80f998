"""``tools/bench_paired.py systems ROWS --labels``: paired differences of people's HGood between two systems, on
a hand-worked example (only items whose hints are labelled for both systems count)."""

from __future__ import annotations

import json
from pathlib import Path

from tools.bench_paired import load, systems_table, with_people
from tutor.eval.labels import make_label
from tutor.jsonl import write_jsonl

YES = {"HCorrect": True, "HInformative": True, "HConceal": True, "HComprehensible": True}
NO = dict(YES, HInformative=False)


def test_people_hgood_is_paired_on_the_items_both_have_labels(tmp_path: Path) -> None:
    rows, labels = [], []
    # items 0-2: A good, B not; item 3: both good; item 4: B's hint unlabelled (left out of the pair)
    for n in range(5):
        for system, good in (("A", True), ("B", n == 3)):
            hint = f"{system} hint {n}"
            rows.append(
                {
                    "system": system,
                    "item": f"i{n}",
                    "hint": hint,
                    "rpass": good,
                    "localization": good,
                    "model_share": False,
                }
            )
            if not (system == "B" and n == 4):
                labels.append(make_label(f"i{n}", hint, YES if good else NO, "ann"))
    rows_file, labels_file = tmp_path / "rows.jsonl", tmp_path / "labels.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_jsonl(labels_file, labels)
    by = with_people(load(rows_file), [labels_file])
    (line,) = systems_table(by, [("A", "B")], ["human"])
    assert line.startswith("A - B (n=5): human +0.75 [")  # 3 of 4 labelled pairs differ by 1, one by 0
    assert line.endswith("(n 4)")
