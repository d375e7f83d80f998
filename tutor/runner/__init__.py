"""Runs learner code against an exercise's tests in a sandboxed child process."""

from tutor.runner.report import SyntaxProblem, TestReport, TestResult
from tutor.runner.sandbox import Limits, passes, run, run_tests

__all__ = ["Limits", "SyntaxProblem", "TestReport", "TestResult", "passes", "run", "run_tests"]
