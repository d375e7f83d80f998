"""The teacher's rubric (TOML): test points, hidden tests, structural checks on the code, model-judged questions.

```toml
[tests]
points = [1, 1, 2]          # per test of the exercise, in order (default: 1 each)
hidden = [3]                # test numbers (1-based) students do not see in their results
[[tests.extra]]             # hidden tests only the teacher has
call = "search(5, ())"
expected = "0"
points = 2

[[check]]                   # structural checks, read from the code with ``ast`` (nothing runs)
id = "recursive"
uses = "recursion"          # or avoids = ...; recursion | loop | for | while | comprehension
points = 1                  #   | function:NAME (defines NAME) | builtin:NAME (calls NAME) | import:NAME
[[check]]
id = "short"
max_lines = 15              # non-blank, non-comment lines
points = 1

[[judge]]                   # a yes/no question for the local model (grammar-constrained)
id = "names"
question = "Are the variable names meaningful?"
points = 1
```

Before anything is graded the file is checked like the site policy (``tutor.grading.rubric_check``): an unknown
section or key (``hiden``, with a did-you-mean), a hidden test number the exercise does not have, more point values
than tests, a missing or repeated id are a ``RubricError`` naming the file and line (``tutor grade`` exits 2).
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.exercises import TestCase
from tutor.grading.rubric_check import RubricProblem, check_rubric

CONSTRUCTS = ("recursion", "loop", "for", "while", "comprehension")


class RubricError(ValueError):
    """A rubric the grader cannot use; the message names the file and the item."""


@dataclass(frozen=True)
class Check:
    id: str
    points: float
    uses: str = ""
    avoids: str = ""
    max_lines: int = 0

    @property
    def description(self) -> str:
        if self.max_lines:
            return f"at most {self.max_lines} lines of code"
        return f"uses {_plain(self.uses)}" if self.uses else f"does not use {_plain(self.avoids)}"


@dataclass(frozen=True)
class Judge:
    id: str
    question: str
    points: float


@dataclass(frozen=True)
class Rubric:
    points: tuple[float, ...] = ()
    hidden: frozenset[int] = frozenset()
    extra: tuple[tuple[TestCase, float], ...] = ()
    checks: tuple[Check, ...] = ()
    judges: tuple[Judge, ...] = ()
    avoid: tuple[str, ...] = ()
    source: str = ""

    def test_points(self, count: int) -> list[float]:
        """Points of the exercise's ``count`` tests followed by the extra hidden tests."""
        visible = [float(p) for p in self.points[:count]] + [1.0] * max(0, count - len(self.points))
        return visible + [points for _, points in self.extra]

    def fingerprint(self) -> dict[str, Any]:
        """What changes a test run's result (for the resume cache)."""
        return {"extra": [(t.to_json(), p) for t, p in self.extra]}


@dataclass
class ItemResult:
    """One rubric item's outcome for one student. ``probability`` is P(yes) from the model, when it has one."""

    id: str
    kind: str  # check | judge
    description: str
    points: float
    max_points: float
    passed: bool | None
    probability: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def load_rubric(path: Path | None, test_count: int | None = None) -> Rubric:
    """The rubric in ``path``, checked (``tutor.grading.rubric_check``) against an exercise of ``test_count``
    tests when that is given; any problem is a ``RubricError`` naming the file and line."""
    if path is None:
        return Rubric()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"cannot read the rubric {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML ({exc})") from None
    try:
        check_rubric(path, text, data, test_count)
    except RubricProblem as exc:
        raise RubricError(str(exc)) from None
    tests = data.get("tests", {})
    return Rubric(
        points=tuple(_numbers(tests.get("points", []), path, "tests.points")),
        hidden=frozenset(int(n) for n in _numbers(tests.get("hidden", []), path, "tests.hidden")),
        extra=tuple(_extra(item, path, i) for i, item in enumerate(tests.get("extra", []), start=1)),
        checks=tuple(_check(item, path) for item in data.get("check", [])),
        judges=tuple(_judge(item, path) for item in data.get("judge", [])),
        avoid=tuple(str(w) for w in data.get("avoid", [])),
        source=str(path),
    )


def _numbers(value: Any, path: Path, name: str) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise RubricError(f"{path}: {name} must be a list of numbers, 0 or more")
    return [float(v) for v in value]


def _extra(item: Any, path: Path, index: int) -> tuple[TestCase, float]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("call"), str)
        or not isinstance(item.get("expected"), str)
    ):
        raise RubricError(f"{path}: tests.extra[{index}] needs call and expected, both text")
    try:
        ast.parse(item["call"], mode="eval")
    except SyntaxError:
        raise RubricError(f"{path}: tests.extra[{index}].call is not a Python expression") from None
    return TestCase(call=item["call"], expected=item["expected"]), float(item.get("points", 1))


def _check(item: Any, path: Path) -> Check:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise RubricError(f"{path}: every [[check]] needs an id")
    check = Check(
        id=item["id"],
        points=float(item.get("points", 1)),
        uses=str(item.get("uses", "")),
        avoids=str(item.get("avoids", "")),
        max_lines=int(item.get("max_lines", 0)),
    )
    what = check.uses or check.avoids
    if bool(check.uses) + bool(check.avoids) + bool(check.max_lines) != 1:
        raise RubricError(f"{path}: check {check.id!r} needs exactly one of uses, avoids, max_lines")
    if what and what not in CONSTRUCTS and not what.startswith(("function:", "builtin:", "import:")):
        raise RubricError(
            f"{path}: check {check.id!r}: {what!r} is not one of {', '.join(CONSTRUCTS)}, "
            "function:NAME, builtin:NAME, import:NAME"
        )
    return check


def _judge(item: Any, path: Path) -> Judge:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("id"), str)
        or not isinstance(item.get("question"), str)
    ):
        raise RubricError(f"{path}: every [[judge]] needs an id and a question")
    return Judge(id=item["id"], question=item["question"], points=float(item.get("points", 1)))


# -- structural checks ------------------------------------------------------------------------------------------
def run_checks(rubric: Rubric, code: str) -> list[ItemResult]:
    """Each check on ``code``; code that does not parse passes none of them."""
    try:
        tree: ast.Module | None = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        tree = None
    results = []
    for check in rubric.checks:
        ok = tree is not None and _check_passes(check, tree, code)
        results.append(
            ItemResult(check.id, "check", check.description, check.points if ok else 0.0, check.points, ok)
        )
    return results


def _check_passes(check: Check, tree: ast.Module, code: str) -> bool:
    if check.max_lines:
        return code_lines(code) <= check.max_lines
    found = uses(tree, check.uses or check.avoids)
    return found if check.uses else not found


def code_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))


def uses(tree: ast.Module, what: str) -> bool:
    """Whether the program uses a construct (see ``CONSTRUCTS``), defines ``function:NAME``, calls
    ``builtin:NAME`` or imports ``import:NAME``."""
    nodes = list(ast.walk(tree))
    if what == "recursion":
        return any(_recursive(f) for f in nodes if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef))
    kinds: dict[str, tuple[type, ...]] = {
        "loop": (ast.For, ast.While, ast.AsyncFor),
        "for": (ast.For, ast.AsyncFor),
        "while": (ast.While,),
        "comprehension": (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
    }
    if what in kinds:
        return any(isinstance(n, kinds[what]) for n in nodes)
    kind, _, name = what.partition(":")
    if kind == "function":
        return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in nodes)
    if kind == "builtin":
        return any(isinstance(n, ast.Call) and _called_name(n) == name for n in nodes)
    if kind == "import":
        return any(
            isinstance(n, ast.Import)
            and any(a.name.split(".")[0] == name for a in n.names)
            or isinstance(n, ast.ImportFrom)
            and (n.module or "").split(".")[0] == name
            for n in nodes
        )
    return False


def _recursive(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, ast.Call) and _called_name(n) == function.name for n in ast.walk(function))


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _plain(what: str) -> str:
    kind, _, name = what.partition(":")
    return {
        "function": f"a function named {name}",
        "builtin": f"the built-in {name}()",
        "import": f"the module {name}",
    }.get(kind, what)
