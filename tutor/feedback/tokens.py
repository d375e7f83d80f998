"""Python source as a list of meaningful tokens (pygments), and the edit distance between two programs.

Comments, whitespace and blank lines are dropped, so a repair that only re-indents or re-comments costs
nothing; the distance counts inserted, deleted and replaced tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pygments.lexers.python import PythonLexer
from pygments.token import Comment, Operator, Text, Token, _TokenType

_LEXER = PythonLexer(stripnl=False, ensurenl=False)


@dataclass(frozen=True)
class SourceToken:
    kind: _TokenType
    value: str
    line: int


_OPERATORS = {
    "==",
    "!=",
    "<=",
    ">=",
    "//",
    "**",
    "->",
    ":=",
    "<<",
    ">>",
    "+=",
    "-=",
    "*=",
    "/=",
    "//=",
    "%=",
    "**=",
    "&=",
    "|=",
    "^=",
    "<<=",
    ">>=",
    "@=",
}


def lex(source: str) -> Iterator[tuple[int, _TokenType, str]]:
    """pygments' ``(offset, kind, text)`` stream with multi-character operators (``>=``, ``//=``) as one token."""
    pending: tuple[int, _TokenType, str] | None = None
    for index, kind, value in _LEXER.get_tokens_unprocessed(source):
        if (
            pending
            and kind in Operator
            and pending[1] in Operator
            and pending[0] + len(pending[2]) == index
            and pending[2] + value in _OPERATORS
        ):
            pending = (pending[0], pending[1], pending[2] + value)
            continue
        if pending:
            yield pending
        pending = (index, kind, value)
    if pending:
        yield pending


def tokens(source: str) -> list[SourceToken]:
    """Meaningful tokens of ``source`` with their 1-based line numbers (a fresh list; lexing is cached, since
    the guard, the analysis and the grader read the same programs many times)."""
    return list(_tokens(source))


@lru_cache(maxsize=4096)
def _tokens(source: str) -> tuple[SourceToken, ...]:
    result: list[SourceToken] = []
    line = 1
    for _, kind, value in lex(source):
        if not (kind in Comment or kind in Text or kind is Token.Text.Whitespace or not value.strip()):
            result.append(SourceToken(kind, value, line))
        line += value.count("\n")
    return tuple(result)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between the token sequences of two programs."""
    return sequence_distance([(t.kind, t.value) for t in tokens(a)], [(t.kind, t.value) for t in tokens(b)])


def sequence_distance(left: Sequence[Any], right: Sequence[Any], cap: int | None = None) -> int:
    """Levenshtein distance between two sequences; with ``cap``, ``cap`` as soon as it cannot be less."""
    previous = list(range(len(right) + 1))
    for i, item in enumerate(left, start=1):
        current = [i]
        for j, other in enumerate(right, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item != other)))
        if cap is not None and min(current) >= cap:
            return cap
        previous = current
    return previous[-1]
