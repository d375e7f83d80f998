"""``tutor bench sandbox``: test feedback for a 10-test exercise with and without the OS sandbox, side by side.

Modes, interleaved round by round so a busy machine slows them alike: "plain child" (the harness as a plain
child process: what runs where no sandbox can start), "OS sandbox" (bubblewrap, seccomp, the parent's verdicts),
and with ``--before REF`` the runner of an earlier commit (its ``tutor/runner`` taken from git into a temporary
package: the in-process audit hook and verdicts inside the child), e.g. ``--before 07a5b12``. Each round runs a
program that passes all 10 tests and one that fails 3 of them. Prints median and 90th percentile per mode and the
ratios to the first mode.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tutor.exercises import TestCase
from tutor.runner import run_tests, sandbox_status
from tutor.runner.isolation import ENV_BWRAP

ROOT = Path(__file__).resolve().parents[2]
TESTS = [TestCase(call=f"fizzbuzz({n})", expected=repr(_)) for n, _ in [
    (1, "1"), (3, "Fizz"), (5, "Buzz"), (15, "FizzBuzz"), (7, "7"), (9, "Fizz"), (10, "Buzz"), (30, "FizzBuzz"),
    (45, "FizzBuzz"), (98, "98"),
]]  # fmt: skip
PASSING = (
    "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n        return 'Fizz'\n"
    "    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)\n"
)
FAILING = PASSING.replace("n % 15 == 0", "n % 16 == 0")
Runner = Callable[[str], Any]


@contextlib.contextmanager
def _sandbox(on: bool) -> Iterator[None]:
    old = os.environ.get(ENV_BWRAP)
    if not on:
        os.environ[ENV_BWRAP] = "/nonexistent/bwrap"
    sandbox_status.cache_clear()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV_BWRAP, None)
        else:
            os.environ[ENV_BWRAP] = old
        sandbox_status.cache_clear()


def _current(sandboxed: bool) -> Runner:
    def run(code: str) -> Any:
        with _sandbox(sandboxed):
            return run_tests(code, TESTS, entry="fizzbuzz")

    return run


def _before(ref: str, folder: Path) -> Runner:
    """The runner of commit ``ref``, imported from a copy of its files under another package name."""
    package = folder / "runner_before"
    package.mkdir()
    for name in ("__init__.py", "child.py", "report.py", "sandbox.py"):
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{ref}:tutor/runner/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (package / name).write_text(text.replace("tutor.runner", "runner_before"))
    sys.path.insert(0, str(folder))
    module = importlib.import_module("runner_before")
    return lambda code: module.run_tests(code, TESTS, entry="fizzbuzz")


def _measure(modes: dict[str, Runner], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in modes}
    for name, run in modes.items():  # warm-up, and a check that each mode judges alike
        passed, failed = run(PASSING), run(FAILING)
        assert passed.passed and failed.passed_count == 7, (name, passed.tests, failed.tests)
    for _ in range(rounds):
        for name, run in modes.items():
            for code in (PASSING, FAILING):
                started = time.perf_counter()
                run(code)
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tutor bench sandbox", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--before", metavar="REF", help="also time the runner of this git commit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with _sandbox(True):
        state = sandbox_status()
    if not state.available:
        print(f"bench sandbox: error: {state.reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tutor-bench-sandbox-") as folder:
        modes: dict[str, Runner] = {}
        if args.before:
            modes[f"before ({args.before})"] = _before(args.before, Path(folder))
        modes["plain child"] = _current(False)
        modes["OS sandbox"] = _current(True)
        times = _measure(modes, args.rounds)
    base = statistics.median(next(iter(times.values())))
    figures = {
        name: {
            "median_ms": round(statistics.median(values), 1),
            "p90_ms": round(statistics.quantiles(values, n=10)[-1], 1),
            "ratio": round(statistics.median(values) / base, 2),
        }
        for name, values in times.items()
    }
    if args.json:
        print(json.dumps({"tests": len(TESTS), "runs_per_mode": 2 * args.rounds, "modes": figures}, indent=2))
        return 0
    print(f"test feedback for a {len(TESTS)}-test exercise, {2 * args.rounds} runs per mode, interleaved")
    print(f"{'mode':<22} {'median ms':>10} {'p90 ms':>8} {'ratio':>6}")
    for name, row in figures.items():
        print(f"{name:<22} {row['median_ms']:>10} {row['p90_ms']:>8} {row['ratio']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
