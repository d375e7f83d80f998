"""Background validation (the one-token repair search) runs its children at a lower priority."""

from __future__ import annotations

import ast
import os

import pytest

from tutor.exercises import TestCase
from tutor.runner import Limits
from tutor.runner.sandbox import run_tests

PROBE = "import os\ndef niceness():\n    return os.nice(0)\n"


def _child_niceness(nice: int) -> int:
    report = run_tests(
        PROBE, [TestCase(call="niceness()", expected="-1")], entry="niceness", limits=Limits(nice=nice)
    )
    result = report.tests[0]
    assert result.status == "fail" and result.got is not None, result.message
    return int(ast.literal_eval(result.got))


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX only")
def test_nice_limit_lowers_the_childs_priority() -> None:
    normal = _child_niceness(0)
    assert normal == os.nice(0)  # by default a child runs at our priority
    assert _child_niceness(10) == min(19, normal + 10)
