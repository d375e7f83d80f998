"""What happened to a submission, in the words a teacher reads in ``grades.csv`` and the report: "passed all",
"partly passed (3 of 5 tests)", "failed all tests", "unchanged starter", "syntax error", "timed out"...

The runner's own status (``Grade.status``: ok, syntax error, timeout, crash, or why the file was not run) stays
what the grader works with; this is the sentence for people. An *unchanged starter* is a submission whose code is
the exercise's starter once comments, blank lines and layout are set aside (the same meaningful tokens), so a
student who handed in the file they were given is told apart from one who tried and failed.
"""

from __future__ import annotations

from tutor.feedback.tokens import tokens
from tutor.grading.score import Grade

_NOT_RUN = {
    "empty": "empty file",
    "binary": "not a text file",
    "non-utf8": "not UTF-8 text",
    "too large": "file too large",
    "unreadable": "unreadable file",
    "refused": "refused",
    "syntax error": "syntax error",
}


def same_program(code: str, other: str) -> bool:
    """The same program once comments, blank lines, layout and quotes of the same text are set aside."""
    if not code.strip() or not other.strip():
        return False
    return _normalised(code) == _normalised(other)


def _normalised(code: str) -> list[str]:
    return [token.value.replace("'", '"') for token in tokens(code)]


def result_status(grade: Grade, starter: str = "") -> str:
    """The teacher's status for one graded submission (see the module docstring)."""
    if grade.status in _NOT_RUN:
        return _NOT_RUN[grade.status]
    if starter and same_program(grade.code, starter):
        return "unchanged starter"
    if grade.status == "timeout":
        return "timed out"
    if grade.status == "crash":
        return "crashed"
    passed = sum(t.status == "pass" for t in grade.tests)
    count = len(grade.tests)
    if count and passed == count:
        return "passed all"
    if passed == 0:
        return "failed all tests"
    return f"partly passed ({passed} of {count} tests)"


def label_status(result: str) -> str:
    """The status without its figures, for counting ("partly passed (3 of 5 tests)" -> "partly passed")."""
    return result.split(" (", 1)[0]
