"""Small, classic single-token edits of a program (operators, comparisons, constants, boolean logic).

Beginner bugs are very often one token away from correct (an off-by-one bound, ``<`` for ``<=``, ``and`` for
``or``). The pipeline validates these candidates with the runner beside the model's repairs: a passing one is a
true, cheap repair that the analysis hint can point at, even when the model is too small to find it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pygments.token import Keyword, Number, Operator

from tutor.feedback.tokens import lex

_SWAPS: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">"),
    "<=": ("<", ">="),
    ">": (">=", "<"),
    ">=": (">", "<="),
    "==": ("!=",),
    "!=": ("==",),
    "+": ("-",),
    "-": ("+",),
    "*": ("/", "+"),
    "/": ("//", "*"),
    "//": ("/",),
    "%": ("//",),
    "+=": ("-=",),
    "-=": ("+=",),
    "*=": ("+=",),
    "^": ("&", "|"),
    "&": ("|", "^"),
    "|": ("&", "^"),
    "^=": ("&=", "|="),
    "&=": ("|=", "^="),
    "and": ("or",),
    "or": ("and",),
    "True": ("False",),
    "False": ("True",),
    "is": ("is not",),
    "not": ("",),
}


def mutants(source: str, focus_line: int | None = None, limit: int = 60) -> list[str]:
    """Programs one token away from ``source`` (and the same swap made everywhere it applies, for a mistake
    repeated in several places), those nearest ``focus_line`` first."""
    found: list[tuple[int, int, str]] = []
    edits = list(_edits(source))
    by_swap: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    for order, (line, start, old, new) in enumerate(edits):
        distance = abs(line - focus_line) if focus_line else 0
        found.append((distance, order, source[:start] + new + source[start + len(old) :]))
        by_swap.setdefault((old, new), []).append((line, start, old, new))
    for order, group in enumerate(by_swap.values(), start=len(edits)):
        if len(group) > 1:
            program = source
            for _, start, old, new in sorted(group, key=lambda edit: -edit[1]):
                program = program[:start] + new + program[start + len(old) :]
            found.append((0, order, program))
    found.sort(key=lambda item: (item[0], item[1]))
    unique: list[str] = []
    for _, _, program in found:
        if program not in unique:
            unique.append(program)
        if len(unique) >= limit:
            break
    return unique


def _edits(source: str) -> Iterator[tuple[int, int, str, str]]:
    for index, kind, value in lex(source):
        line = source.count("\n", 0, index) + 1
        if (kind in Operator or kind in Keyword) and value in _SWAPS:
            for new in _SWAPS[value]:
                replacement = new if new or value != "not" else ""
                old = value + " " if value == "not" and source[index + 3 : index + 4] == " " else value
                yield line, index, old, replacement
        elif kind in Number.Integer and value.isdigit():
            number = int(value)
            yield line, index, value, str(number + 1)
            if number > 0:
                yield line, index, value, str(number - 1)
