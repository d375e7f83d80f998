"""Graded feedback per student: what passed, the first failure in plain words, and a next step at the level of
the score, never the solution.

Submissions with the same failure signature (the failing tests, the first exception, the program's shape) form
a group; with a model, the hint pipeline runs once per group (on its most typical program) and its hint is
reused for every member whose own code it fits. Every text a student gets goes through the leak guard
(``tutor.feedback.guard``) with the student's nearest passing repair as the solution it must not reveal; model
text that fails becomes the analysis text (``tutor.feedback.analysis``), which is true by construction.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.engines.base import Engine
from tutor.exercises import Exercise
from tutor.feedback import analysis
from tutor.feedback.guard import check_hint
from tutor.feedback.mistakes import find_mistake
from tutor.feedback.pipeline import HintPipeline, PipelineConfig
from tutor.feedback.syntax import describe_syntax
from tutor.feedback.tokens import tokens
from tutor.grading.nearest import Nearest, with_names_of
from tutor.grading.score import Grade
from tutor.grading.suggest import edge_cases
from tutor.grading.wording import plural, smallest_change
from tutor.runner.report import TestReport, TestResult
from tutor.runner.sandbox import syntax_problem

_NEAR_ENOUGH = 0.35  # a class repair that changes more than this share of tokens is too far to point at lines


@dataclass
class Group:
    number: int
    signature: tuple[Any, ...]
    students: list[str]
    label: str
    hint: str = ""
    explanation: str = ""
    source: str = "analysis"
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def code_shape(code: str) -> str:
    """A coarse shape: which control structures the program uses (names and details ignored)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return "unparsable"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.While):
            found.add(type(node).__name__.lower())
        elif isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp):
            found.add("comprehension")
        elif isinstance(node, ast.FunctionDef) and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == node.name
            for n in ast.walk(node)
        ):
            found.add("recursion")
    return "+".join(sorted(found)) or "straight"


def signature(grade: Grade) -> tuple[Any, ...]:
    failing = tuple(t.number for t in grade.failing)
    first = grade.failing[0] if grade.failing else None
    exception = (
        first.output.split(":")[0] if first and first.status == "error" else (first.status if first else "")
    )
    return grade.status, failing, exception, code_shape(grade.code)


def make_groups(grades: list[Grade]) -> list[Group]:
    """Groups of failing students by signature, largest first; students who pass everything are not grouped."""
    buckets: dict[tuple[Any, ...], list[Grade]] = {}
    for grade in grades:
        if grade.failing:
            buckets.setdefault(signature(grade), []).append(grade)
    ordered = sorted(buckets.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
    groups = []
    for number, (key, members) in enumerate(ordered, start=1):
        for grade in members:
            grade.group = number
        groups.append(Group(number, key, [g.student for g in members], _label(members[0])))
    return groups


def add_repair_kinds(groups: list[Group], grades: dict[str, Grade], nearest: dict[str, Nearest]) -> None:
    """Say in each group's label what kind of edit the nearest passing repair makes, when it is a small one."""
    for group in groups:
        close = [
            (nearest[s].distance, s)
            for s in group.students
            if s in nearest and nearest[s].distance <= _NEAR_ENOUGH * max(len(tokens(grades[s].code)), 1)
        ]
        if not close:
            continue
        student = min(close)[1]
        repair = with_names_of(grades[student].code, nearest[student].code)
        change = smallest_change(grades[student].code, repair)
        if change:
            group.label += f" {change}"


_SHAPES = {
    "for": "a for loop",
    "while": "a while loop",
    "recursion": "recursion",
    "comprehension": "a comprehension",
}


def _label(grade: Grade) -> str:
    if grade.status not in ("ok", "timeout", "crash"):
        return f"{grade.result or grade.status}: {grade.message.removeprefix('SyntaxError: ')}"
    first = grade.failing[0]
    numbers = ", ".join(str(t.number) for t in grade.failing[:6]) + ("…" if len(grade.failing) > 6 else "")
    raw = first.raw
    if first.status == "fail" and raw.get("got") is not None:
        what = (
            f"{_short(first.name)} gives {_short(raw['got'])}, expected {_short(raw.get('expected') or '')}"
        )
    else:
        what = f"{_short(first.name)}: {_short(first.output, 70)}"
    shape = code_shape(grade.code)
    uses = (
        " and ".join(_SHAPES.get(part, part) for part in shape.split("+"))
        if shape != "straight"
        else "no loop"
    )
    tests = "Test" if len(grade.failing) == 1 else "Tests"
    verb = "fails" if len(grade.failing) == 1 else "fail"
    return f"{tests} {numbers} {verb} (first: {what}). The program uses {uses}."


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_group_hints(
    groups: list[Group],
    grades: dict[str, Grade],
    exercise: Exercise,
    reports: dict[str, TestReport],
    engine: Engine,
    config: PipelineConfig,
    on_group: Callable[[Group], None] | None = None,
) -> None:
    """The hint pipeline once per group, on the group's most typical program (its shortest, as a tie-break)."""
    for group in groups:
        members = [grades[s] for s in group.students if grades[s].status in ("ok", "timeout", "crash")]
        if not members:
            continue
        representative = min(members, key=lambda g: (len(g.code), g.student))
        started = time.perf_counter()
        hint = HintPipeline(engine, config).run(
            exercise, representative.code, reports.get(representative.student)
        )
        group.seconds = time.perf_counter() - started
        group.extra = {
            "representative": representative.student,
            "timings": hint.timings,
            "rejected": hint.rejected,
        }
        if hint.status == "hint":
            group.hint, group.explanation, group.source = hint.hint, hint.explanation, hint.source
        if on_group:
            on_group(group)


def student_feedback(
    grade: Grade, exercise: Exercise, group: Group | None, nearest: Nearest | None, avoid: tuple[str, ...]
) -> tuple[str, str]:
    """The feedback text for one student, and its source (model or analysis)."""
    if grade.status not in ("ok", "timeout", "crash"):
        return _status_text(grade), "analysis"
    visible = [t for t in grade.tests if not t.hidden]
    passed = f"You pass {grade.visible_passed} of {plural(len(visible), 'test')}."
    first = next((t for t in grade.failing if not t.hidden), None)
    if first is None and not grade.failing:
        unmet = [i.description for i in grade.items if i.passed is False]
        if not unmet:
            return f"{passed} Well done: your program passes every test.", "analysis"
        return f"{passed} Every test passes; the rubric also asks for: {'; '.join(unmet)}.", "analysis"
    if first is None:
        edges = edge_cases(exercise)
        unusual = f" such as {edges}" if edges else ""
        return (
            f"{passed} Some of the teacher's extra tests still fail. Next step: think about unusual "
            f"inputs{unusual}, and check each by hand.",
            "analysis",
        )
    fixed = nearest.code if nearest else None
    failure = _failure_result(first, exercise)
    observed = analysis.describe_failure(failure).rstrip()
    observed += "" if observed.endswith((".", "?", "!", "…")) else "."
    if _leaks(observed, fixed, grade.code, avoid, allow_code=True):
        observed = f"The test {first.number} does not pass yet."
    close = nearest is not None and nearest.distance <= _NEAR_ENOUGH * max(len(tokens(grade.code)), 1)
    near = with_names_of(grade.code, nearest.code) if nearest is not None and close else None
    step, source = _next_step(grade, group, failure, fixed, near, avoid)
    lead = "Start here: " if grade.percent < 50 else "Next step: "
    if grade.result == "unchanged starter":
        passed = f"You handed in the starter file unchanged. {passed}"
    return f"{passed} {observed} {lead}{step}", source


def _next_step(
    grade: Grade,
    group: Group | None,
    failure: TestResult,
    fixed: str | None,
    near: str | None,
    avoid: tuple[str, ...],
) -> tuple[str, str]:
    if group and group.source == "model" and group.hint:
        verdict = check_hint(
            group.hint, fixed, grade.code, avoid, facts=f"{failure.call} {failure.got or ''}"
        )
        if verdict.ok:
            return group.hint, "model"
    mistake = find_mistake(
        grade.code, failure
    )  # a named beginner mistake says more than where a repair differs
    question = mistake.sentence if mistake else ""
    if not question and near:
        question = analysis.describe_change(grade.code, near)
    if not question:  # the pipeline's analysis hint; its first sentence (the failure) was said just before
        hint = HintPipeline.analysis_hint(failure, "", None, grade.code, avoid)
        question = hint.hint.replace(analysis.describe_failure(failure), "").strip()
    if not question or _leaks(question, fixed, grade.code, avoid):
        question = "Work through the failing test by hand, line by line, and compare each value with what you expect."
    return question, "analysis"


def _leaks(text: str, fixed: str | None, code: str, avoid: tuple[str, ...], allow_code: bool = False) -> bool:
    reasons = [r for r in check_hint(text, fixed, code, avoid).reasons if r.startswith("contains")]
    if allow_code:
        reasons = [r for r in reasons if r != "contains code"]  # the test's own call, which the student sees
    return bool(reasons)


def _failure_result(test: Any, exercise: Exercise) -> TestResult:
    return TestResult(**test.raw) if test.raw else TestResult(test.name, test.status, message=test.output)


def _status_text(grade: Grade) -> str:
    texts = {
        "empty": "Your file is empty, so no test could run. Write the function and submit it again.",
        "binary": "Your file is not a text file, so it could not be read. Save it as a .py text file.",
        "non-utf8": "Your file could not be read as text (it is not UTF-8). Save it as UTF-8 and submit again.",
        "too large": "Your file is far larger than a solution needs, so it was not run.",
        "unreadable": "Your submission could not be read.",
    }
    problem = syntax_problem(grade.code) if grade.status == "syntax error" and grade.code else None
    if problem is not None:
        return f"{describe_syntax(problem)} No test could run."
    return texts.get(grade.status, f"Your submission was not graded: {grade.message}")
