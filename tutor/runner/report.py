"""The result of running learner code against an exercise's tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "error", "timeout"]


@dataclass
class TestResult:
    """One test's outcome. ``expected`` and ``got`` are reprs, truncated; ``line`` is in the learner's file."""

    __test__ = False  # not a pytest test class

    call: str
    status: Status
    expected: str | None = None
    got: str | None = None
    message: str = ""
    exception: str | None = None
    line: int | None = None
    output: str = ""  # what the code printed during this test (capped; empty for a hidden test)
    hidden: bool = False  # a hidden test: ``call`` is "hidden test N", its input and values are not kept
    kind: str = "call"  # "call", "raises", "program" or "statements" (how the failure is put in words)
    stdin: str | None = None  # a visible program test's input

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def failing_test(self) -> dict[str, Any]:
        """The test as hints record it (``Hint.failing_test``) and the benchmark's judge reads it."""
        keys = ("call", "status", "expected", "got", "message", "line")
        return {key: getattr(self, key) for key in keys}


@dataclass
class SyntaxProblem:
    """A syntax error found before anything ran."""

    message: str
    line: int | None
    column: int | None
    text: str = ""


@dataclass
class TestReport:
    """All tests of one run, plus what the program printed (capped) and how long it took."""

    __test__ = False

    tests: list[TestResult] = field(default_factory=list)
    syntax_error: SyntaxProblem | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.syntax_error is None and bool(self.tests) and all(t.passed for t in self.tests)

    @property
    def first_failure(self) -> TestResult | None:
        """The first failing visible test, else the first failing hidden one (what hints describe)."""
        failing = [t for t in self.tests if not t.passed]
        return next((t for t in failing if not t.hidden), failing[0] if failing else None)

    @property
    def passed_count(self) -> int:
        return sum(t.passed for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        """The ``tutor check --json`` shape."""
        return {
            "passed": self.passed,
            "tests": [
                {
                    k: v
                    for k, v in asdict(t).items()
                    if k in ("call", "status", "expected", "got", "message", "line", "output", "hidden")
                }
                for t in self.tests
            ],
            "syntax_error": asdict(self.syntax_error) if self.syntax_error else None,
            "duration_s": round(self.duration_s, 4),
        }
