"""How the test harness child (``child.py``) sends a value back: as plain JSON of exact built-in types
(``encode_value``), which the parent decodes and judges (``verdict.py``). Stdlib only, and started beside
``child.py`` as a plain module (see there): it imports nothing from ``tutor``."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: this child starts for every test run
if TYPE_CHECKING:
    from typing import Any

try:  # the C module behind json: importing the Python wrapper (re) costs more than a test run
    from _json import encode_basestring_ascii as json_string
except ImportError:  # pragma: no cover
    from json import dumps as json_string

VALUE_LIMIT = 300
GENERATOR_LIMIT = 10_000
VALUE_NODES = 200_000  # a returned value with more parts than this is not sent (see encode)
VALUE_DEPTH = 100
BIG_INT_BITS = 12_000  # larger ints are sent in hex (str() refuses ints over 4,300 digits)


def short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a learner's broken __repr__
        text = f"<unprintable {type(value).__name__}: {exc}>"
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 3] + "..."


def normalise(value: Any) -> Any:
    if hasattr(value, "__next__") and hasattr(value, "__iter__") and not isinstance(value, (str, bytes)):
        items = []
        for item in value:
            items.append(item)
            if len(items) >= GENERATOR_LIMIT:
                break
        return items
    return value


def exception_classes(exc: BaseException) -> str:
    """The classes of ``exc``, most derived first, as ``module.qualname`` separated by spaces: the parent
    decides whether it is the exception a test expects."""
    return " ".join(f"{c.__module__}.{c.__qualname__}".replace(" ", "") for c in type(exc).__mro__)


class ValueTooBig(Exception):
    """A returned value too large or too deeply nested to send."""


def encode(value: Any) -> str:
    """One JSON value (events hold only text, whole numbers, true/false and null)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    return json_string(value if type(value) is str else str(value))


def encode_value(value: Any) -> str:
    """A returned value as JSON of exact built-in types: null, true/false, whole numbers and text as themselves,
    the rest tagged (``{"t": "list", "v": [...]}``); anything else (a subclass, an instance of the learner's own
    class) becomes ``{"t": "object"}`` with its type name and repr, which never equals an expected value."""
    return _encode(value, [VALUE_NODES], 0)


def _encode(value: Any, budget: list[int], depth: int) -> str:
    budget[0] -= 1
    if budget[0] < 0 or depth > VALUE_DEPTH:
        raise ValueTooBig()
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return encode(value)
    if kind is int:
        if value.bit_length() > BIG_INT_BITS:
            return '{"t": "int", "x": "' + int.__format__(value, "x") + '"}'
        return int.__repr__(value)
    if kind is float:
        return '{"t": "float", "r": "' + float.__repr__(value) + '"}'
    if kind is complex:
        return '{"t": "complex", "r": ' + json_string(complex.__repr__(value)) + "}"
    if kind is bytes:
        return '{"t": "bytes", "x": "' + bytes.hex(value) + '"}'
    if kind in (list, tuple, set, frozenset):
        items = ", ".join(_encode(item, budget, depth + 1) for item in value)
        return '{"t": "' + kind.__name__ + '", "v": [' + items + "]}"
    if kind is dict:
        pairs = ", ".join(
            "[" + _encode(k, budget, depth + 1) + ", " + _encode(v, budget, depth + 1) + "]"
            for k, v in dict.items(value)
        )
        return '{"t": "dict", "v": [' + pairs + "]}"
    return (
        '{"t": "object", "type": '
        + json_string(kind.__name__)
        + ", "
        + '"r": '
        + json_string(short_repr(value))
        + "}"
    )
