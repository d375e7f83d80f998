"""Runs learner code against an exercise's tests in a sandboxed child process."""

from tutor.runner.isolation import SandboxStatus, sandbox_status
from tutor.runner.limits import Limits
from tutor.runner.program import ProgramRun, run_program
from tutor.runner.report import SyntaxProblem, TestReport, TestResult
from tutor.runner.sandbox import passes, run, run_tests

__all__ = [
    "SandboxStatus",
    "Limits",
    "ProgramRun",
    "run_program",
    "SyntaxProblem",
    "TestReport",
    "TestResult",
    "sandbox_status",
    "passes",
    "run",
    "run_tests",
]
