"""JSON text of a document: exactly ``json.dumps(doc, indent=2, ensure_ascii=False,
allow_nan=False)``, in time linear in the size of the document with a small constant.

The standard library's C encoder is used only without ``indent``; with it, every value goes
through the pure-Python encoder, which is slow for the per-participant lists of
``results.json``. Here a list of flat objects that share their keys (a leave-one-out list)
is written column by column: each column of numbers is encoded by the C encoder in one call
and each column of text by the C string encoder, and the objects are put together from one
template. Everything else is written as :mod:`json` writes it, value by value. This module
imports nothing else of patalliance.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

__all__ = ["CleanList", "dumps_indented"]


class CleanList(list[Any]):
    """A list whose items are JSON-safe already: plain ``str``/``int``/``float``/``bool``/
    ``None`` values (no NaN or infinity) and objects of them with text keys. The document
    cleaning passes it through as it is, so long per-participant lists are not walked value by
    value."""

    __slots__ = ()


_INDENT = "  "
#: Scalar types whose C-encoder text equals the pure-Python encoder's (no text: a text
#: value may hold ", ", which would break splitting the encoded column).
_NON_TEXT = frozenset({int, float, bool, type(None)})


def dumps_indented(document: Any) -> str:
    """``json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)``.

    >>> doc = {"a": [{"id": "P1", "r": 0.5}, {"id": "P2", "r": None}], "b": [], "c": 1e-300}
    >>> dumps_indented(doc) == json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    True
    """
    chunks: list[str] = []
    _encode(document, 0, chunks)
    return "".join(chunks)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _encode(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, list | tuple):
        _encode_list(value, level, out)
    elif isinstance(value, dict):
        _encode_dict(value, level, out)
    else:
        out.append(_scalar(value))


def _encode_dict(value: dict[Any, Any], level: int, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = "\n" + _INDENT * (level + 1)
    out.append("{")
    first = True
    for key, item in value.items():
        out.append(inner if first else "," + inner)
        first = False
        out.append(_key(key) + ": ")
        _encode(item, level + 1, out)
    out.append("\n" + _INDENT * level + "}")


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    # Keys that are not text are written as the json module writes them.
    return json.dumps({key: 0}, ensure_ascii=False, allow_nan=False)[1:-4]


def _encode_list(value: list[Any] | tuple[Any, ...], level: int, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = "\n" + _INDENT * (level + 1)
    rows = _flat_records(value, level + 1)
    out.append("[" + inner)
    if rows is not None:
        out.append(("," + inner).join(rows))
    else:
        first = True
        for item in value:
            if not first:
                out.append("," + inner)
            first = False
            _encode(item, level + 1, out)
    out.append("\n" + _INDENT * level + "]")


def _flat_records(value: list[Any] | tuple[Any, ...], level: int) -> list[str] | None:
    """The JSON text of each object of ``value`` when every item is a dict with the same
    text keys in the same order and scalar values; otherwise ``None``."""
    if len(value) < 2 or set(map(type, value)) != {dict}:
        return None
    keys = list(value[0])
    if not keys or not all(type(k) is str for k in keys):
        return None
    if any(list(item) != keys for item in value):
        return None
    columns = [_column([item[k] for item in value]) for k in keys]
    if any(c is None for c in columns):
        return None
    inner = "\n" + _INDENT * (level + 1)
    template = (
        "{"
        + ",".join(inner + encode_basestring(k).replace("%", "%%") + ": %s" for k in keys)
        + "\n"
        + _INDENT * level
        + "}"
    )
    return list(map(template.__mod__, zip(*columns, strict=True)))


def _column(values: list[Any]) -> list[str] | None:
    """The JSON text of each scalar of ``values``, or ``None`` when one is not a plain
    scalar (a container or a subclass, written value by value instead)."""
    types = set(map(type, values))
    if types == {str}:
        return list(map(encode_basestring, values))
    if types <= _NON_TEXT:
        text = json.dumps(values, allow_nan=False)
        return text[1:-1].split(", ")
    return None
