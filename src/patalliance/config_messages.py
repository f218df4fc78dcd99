"""Plain sentences for the pydantic errors of a configuration file (study.toml, pool.toml).

:func:`explain` turns a :class:`pydantic.ValidationError` into one sentence per problem, each
starting with the full key path as the user wrote it (``analysis.sensitivity.n_resamples``,
``analysis.correlations[0].x``), never pydantic's internal union tags. An unknown key gets the
closest allowed key (``analysis.ajdust: unknown key; did you mean 'adjust'?``). A key that
takes either ``true``/``false`` or a table gets one sentence, not one per alternative.

This module imports nothing of patalliance.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["explain", "explain_errors"]

_MAX_SHOWN = 80
_INTERNAL = {"path", "base_dir"}


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, cut to 80 characters."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _key(name: str) -> str:
    """A key as written, or its escaped and cut form when it holds control characters."""
    if name.isprintable() and len(name) <= _MAX_SHOWN:
        return name
    return _show(name)


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any] | None:
    """The non-None members of a union, or None when ``tp`` is not a union."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp)


def _alternatives(tp: Any) -> list[str]:
    return ["true", "false"] if _strip(tp) is bool else [_describe(tp)]


def _describe(tp: Any) -> str:
    tp = _strip(tp)
    if tp is bool:
        return "true or false"
    if _is_model(tp):
        return "a table"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if tp is str:
        return "a text in quotes"
    return "a list" if get_origin(tp) in (list, tuple) else _tag(tp)


@dataclass
class _Where:
    """Where an error is: the key path, the allowed keys there, the union it went through."""

    path: str
    keys: list[str] | None = None
    union_path: str | None = None
    union: list[Any] | None = None
    branch: Any = None


def _locate(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> _Where:
    tp: Any = model
    where = _Where("")
    for part in loc:
        tp = _strip(tp)
        members = _members(tp)
        if members is not None and len(members) == 1:
            tp, members = _strip(members[0]), None
        if members is not None:  # pydantic names the union member it tried
            where.union_path, where.union = where.path, members
            tp = where.branch = next((m for m in members if _tag(m) == part), None)
            continue
        where.keys = None
        if isinstance(part, int):
            where.path += f"[{part}]"
            args = get_args(tp)
            tp = args[0] if get_origin(tp) in (list, tuple) and args else None
            continue
        if part == "[key]":
            continue
        shown = _key(str(part))
        where.path = f"{where.path}.{shown}" if where.path else shown
        if _is_model(tp):
            where.keys = [k for k in tp.model_fields if k not in _INTERNAL]
            field = tp.model_fields.get(str(part))
            tp = field.annotation if field is not None else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            tp = None
    return where


def _unknown_key(name: str, keys: list[str] | None) -> str:
    if not keys:
        return "unknown key; remove it or check the spelling"
    match = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
    if match:
        return f"unknown key; did you mean '{match[0]}'?"
    return f"unknown key; allowed keys: {', '.join(keys)}"


_EXPECTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a text in quotes",
    "list_type": "a list, e.g. [1, 2]",
    "dict_type": "a table",
    "model_type": "a table",
    "tuple_type": "a list, e.g. [1, 2]",
}


def _type_sentence(kind: str, value: Any) -> str:
    expected = _EXPECTED[kind]
    got = _show(value)
    if isinstance(value, bool) and kind in ("int_type", "float_type"):
        return f"expected {expected}, got the boolean {got}; a boolean is not a number"
    if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
        fix = "; remove the quotes" if _unquoted_fits(value, kind) else ""
        return f"expected {expected}, got the text {got}{fix}"
    if isinstance(value, float) and kind == "int_type":
        return (
            f"expected {expected}, got {got}; write it without a decimal point or exponent "
            f"(e.g. 10000, not 1e4)"
        )
    return f"expected {expected}, got {got}"


def _unquoted_fits(text: str, kind: str) -> bool:
    """Whether ``text`` without its quotes is a value of the expected kind."""
    text = text.strip()
    if kind == "bool_type":
        return text in ("true", "false")
    try:
        int(text) if kind == "int_type" else float(text)
    except ValueError:
        return False
    return True


_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "greater than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _sentence(err: Any, where: _Where) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(str(err["loc"][-1]), where.keys)
    if kind in _EXPECTED:
        return _type_sentence(kind, value)
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        bound = ctx.get(name)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {words} {bound}, got {_show(value)}"
    if kind == "literal_error":
        text = f"must be {ctx.get('expected')}, got {_show(value)}"
        if isinstance(value, str):
            choices = [
                c.strip("'") for c in str(ctx.get("expected", "")).replace(" or ", ", ").split(", ")
            ]
            match = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            if match:
                text += f"; did you mean '{match[0]}'?"
        return text
    if kind == "string_pattern_mismatch":
        return (
            f"{_show(value)} is not a valid id: start with a letter, then letters, digits or "
            f"underscores"
        )
    if kind == "too_short":
        least = ctx.get("min_length")
        return f"needs at least {least} entr{'y' if least == 1 else 'ies'}, got {ctx.get('actual_length')}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if value is None or isinstance(value, dict | list):
        return msg
    return f"{msg} (got {_show(value)})"


def explain_errors(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One ``key.path: sentence`` per problem of ``exc``; ``model`` is the validated model.

    Without ``model``, the key paths are pydantic's and unknown keys get no suggestion.
    """
    located = [(err, _locate(model, tuple(err["loc"]))) for err in exc.errors()]
    # Errors that went through a union: keep the table branch's own errors when the user wrote
    # a table; otherwise say once what the key accepts.
    unions: dict[str, list[tuple[Any, _Where]]] = {}
    for err, where in located:
        if where.union_path is not None:
            unions.setdefault(where.union_path, []).append((err, where))
    out: list[str] = []
    said: set[str] = set()
    for err, where in located:
        upath = where.union_path
        if upath is None:
            out.append(f"{where.path or '(top level)'}: {_sentence(err, where)}")
            continue
        group = unions[upath]
        inner = [(e, w) for e, w in group if _is_model(w.branch) and e["type"] != "model_type"]
        if inner:
            if (err, where) in inner:
                out.append(f"{where.path}: {_sentence(err, where)}")
        elif upath not in said:
            said.add(upath)
            words = [w for m in where.union or [] for w in _alternatives(m)]
            wanted = " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
            out.append(f"{upath}: expected {wanted}, got {_show(err.get('input'))}")
    return out


def explain(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """:func:`explain_errors` joined into one line."""
    return "; ".join(explain_errors(exc, model))
