"""The result of one grading run (``GradeRun``): what ``grader.grade`` makes and the reports
(``report``, ``report_html``) read. Its own module, so the reports need not import the grader that calls them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.grading.feedback import Group
from tutor.grading.nearest import Nearest
from tutor.grading.score import Grade, summary
from tutor.grading.similarity import SimilarPair


@dataclass
class GradeRun:
    grades: list[Grade]
    groups: list[Group]
    pairs: list[SimilarPair]
    nearest: dict[str, Nearest]
    timings: dict[str, float]
    warnings: list[str]
    files: dict[str, str] = field(default_factory=dict)
    model: str = ""
    cached: int = 0  # submissions whose run came from the resume cache

    def summary(self) -> dict[str, Any]:
        timed = [g.seconds for g in self.groups if g.seconds > 0]
        per_group = (
            {
                "groups": len(timed),
                "mean_s": round(sum(timed) / len(timed), 2),
                "max_s": round(max(timed), 2),
                "model_text_groups": sum(g.source == "model" for g in self.groups),
            }
            if timed
            else None
        )
        return dict(
            summary(self.grades),
            groups=len(self.groups),
            similar_pairs=len(self.pairs),
            model_feedback=per_group,
            timings={k: round(v, 3) for k, v in self.timings.items()},
            files=self.files,
            warnings=self.warnings,
            model=self.model or None,
            cached=self.cached,
        )
