"""``python -m tutor.grading.bench``: the grader's wall time on the Refactory datasets (all 2,926 submissions of
the three tasks), no model, fresh output folders, printing each stage's time. Restrict the cores from outside
(``taskset -c 0,1``) to measure "on 2 cores"."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from tutor.exercises import load_tasks
from tutor.grading.batch import default_workers
from tutor.grading.grader import GradeRequest, grade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.grading.bench")
    parser.add_argument(
        "--datasets", default=str(Path(__file__).resolve().parents[3] / "shared" / "datasets")
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(args.datasets)
    programs = folder / "refactory.programs.jsonl"
    if not programs.is_file():
        print(f"bench: error: {programs} not found (use --datasets DIR)", file=sys.stderr)
        return 2
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    figures: dict[str, object] = {"cores": cores, "workers": args.workers or default_workers(), "tasks": {}}
    started = time.perf_counter()
    total = 0
    with tempfile.TemporaryDirectory(prefix="tutor-grade-bench-") as out:
        for exercise in load_tasks(folder / "refactory.tasks.jsonl").exercises:
            clock = time.perf_counter()
            run = grade(GradeRequest(programs, exercise, Path(out) / exercise.entry, workers=args.workers))
            wall = time.perf_counter() - clock
            total += len(run.grades)
            figures["tasks"][exercise.id] = {  # type: ignore[index]
                "submissions": len(run.grades),
                "wall_s": round(wall, 2),
                "groups": len(run.groups),
                "stages_s": {k: round(v, 2) for k, v in run.timings.items()},
            }
    figures["submissions"] = total
    figures["wall_s"] = round(time.perf_counter() - started, 2)
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in used)
    figures["cpu_s"] = round(cpu, 2)
    figures["cpu_s_per_core"] = round(cpu / max(cores or 1, 1), 2)  # the wall time on idle cores, at best
    figures["load_average"] = os.getloadavg()
    figures["ms_per_submission"] = round(1000 * float(figures["wall_s"]) / max(total, 1), 1)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for task, data in figures["tasks"].items():  # type: ignore[attr-defined]
            print(
                f"{task}: {data['submissions']} submissions in {data['wall_s']} s, {data['groups']} groups, "
                f"stages {data['stages_s']}"
            )
        print(
            f"all: {total} submissions in {figures['wall_s']} s on {cores} cores "
            f"({figures['ms_per_submission']} ms each, no model); CPU {figures['cpu_s']} s = "
            f"{figures['cpu_s_per_core']} s per core; load average {figures['load_average']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
