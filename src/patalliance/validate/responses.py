"""Checks of item responses: who, when, which instrument and item, and the value given.

The checks run in a fixed order, and a row excluded for several reasons is excluded for the
first: participant, instrument, timepoint, item, value, then duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance._text import show_cell
from patalliance.instruments.key import InstrumentKey
from patalliance.qc import Problem
from patalliance.study import Study, suggest
from patalliance.validate._collector import (
    Collector,
    as_number,
    comma_hint,
    decimal_comma_rows,
    instrument_keys,
)
from patalliance.validate.identifiers import case_twins
from patalliance.validate.undeclared import pair_problems


@dataclass(frozen=True)
class _Rows:
    """The response rows being checked, with their stripped key cells."""

    frame: pd.DataFrame
    pid: pd.Series
    tp: pd.Series
    inst: pd.Series
    col: Collector
    reasons: pd.Series

    def add(
        self,
        mask: pd.Series,
        *,
        column: str,
        code: str,
        message: str | Iterable[str] = "",
        per_pair: Callable[[str, str], str] | None = None,
        exclude: bool = False,
    ) -> None:
        """Report the rows of ``mask`` (errors: each row is excluded for its first reason).

        With ``per_pair`` (the reason of an (instrument, timepoint) pair), one problem per
        pair instead of one per row (:mod:`.undeclared`); the rows are excluded for ``code``
        also when ``exclude`` makes the problem a warning.
        """
        if per_pair is None:
            self.col.add_rows(
                self.frame, mask, column=column, code=code, message=message, reasons=self.reasons
            )
            return
        found = pair_problems(
            self.frame,
            mask,
            inst=self.inst,
            tp=self.tp,
            why=per_pair,
            lines=self.col.lines,
            exclude=exclude,
        )
        for p in found:
            self.col.problems.append(
                Problem(p.file, p.row, column, code, p.message, p.severity, p.line)
            )
        flagged = (
            np.asarray(mask, dtype=bool) & (self.reasons.loc[self.frame.index] == "").to_numpy()
        )
        self.reasons.loc[self.frame.index[flagged]] = code


def check_responses(
    frame: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    known_participants: set[str] | None,
    col: Collector,
    reasons: pd.Series,
    listed: set[str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Check item responses; return parsed (item, value) series."""
    by_instrument = instrument_keys(study, keys)
    rows = _Rows(
        frame,
        frame["participant_id"].str.strip(),
        frame["timepoint"].str.strip(),
        frame["instrument"].str.strip(),
        col,
        reasons,
    )
    _check_participant_ids(rows, known_participants, listed)
    undeclared = _check_instrument_timepoint(rows, study, sorted(by_instrument))
    if undeclared.any():
        # reported once per (instrument, timepoint): their items and values are not checked
        full_index = frame.index
        frame = frame[~undeclared]
        rows = _Rows(
            frame, rows.pid[~undeclared], rows.tp[~undeclared], rows.inst[~undeclared], col, reasons
        )
        item_num, value = _check_declared(rows, by_instrument, study)
        return item_num.reindex(full_index), value.reindex(full_index)
    return _check_declared(rows, by_instrument, study)


def _check_declared(
    rows: _Rows, by_instrument: Mapping[str, InstrumentKey], study: Study
) -> tuple[pd.Series, pd.Series]:
    """Items, values and duplicates of the rows at a declared instrument and timepoint."""
    frame, col = rows.frame, rows.col
    unknown_i = pd.Series(False, index=frame.index)
    comma_ok = decimal_comma_rows(frame, col)
    item_text = frame["item"].str.strip()
    item_num, item_ok = _check_items(rows, by_instrument, item_text, unknown_i, comma_ok)
    value_text = frame["value"].str.strip()
    missing_codes = set(study.data.missing_codes)
    value = _check_values(
        rows, by_instrument, missing_codes, item_num, item_ok, value_text, comma_ok
    )
    _check_duplicates(rows, _item_key(item_num, item_text), _value_key(value, value_text))
    return item_num, value


def _check_participant_ids(
    rows: _Rows, known_participants: set[str] | None, listed: set[str] | None
) -> None:
    pid = rows.pid
    rows.add(
        pid == "",
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
    )
    if known_participants is not None:
        # object dtype: a hash lookup (pandas' Arrow-string isin converts every value in Python)
        unknown_p = (pid != "") & ~pid.astype(object).isin(known_participants)
        twins = case_twins(known_participants) if unknown_p.any() else {}
        rows.add(
            unknown_p,
            column="participant_id",
            code="unknown_participant",
            message=[_unknown_participant(p, listed, twins) for p in pid[unknown_p]],
        )


def _unknown_participant(pid: str, listed: set[str] | None, twins: Mapping[str, str]) -> str:
    if listed and pid in listed:
        return (
            f"participant {show_cell(pid)} has no valid row in the participants file; fix the "
            "problems reported there"
        )
    twin = twins.get(pid.casefold())
    if twin is not None:
        return (
            f"participant {show_cell(pid)} is not in the participants file, which has "
            f"participant {show_cell(twin)}: the two differ only in upper/lower case. Ids are compared "
            "exactly; write the id one way in every file"
        )
    return (
        f"participant {show_cell(pid)} is not in the participants file; add them there with "
        "their arm"
    )


def _check_instrument_timepoint(rows: _Rows, study: Study, instruments: list[str]) -> pd.Series:
    """Unknown instruments and timepoints, and instruments not declared at a timepoint.

    One problem per (instrument, timepoint) pair, under the ``[data] undeclared`` policy
    (:mod:`.undeclared`). Returns the mask of the rows so reported.
    """
    inst, tp = rows.inst, rows.tp
    exclude = study.data.undeclared == "exclude"
    unknown_i = ~inst.isin(instruments)
    rows.add(
        unknown_i,
        column="instrument",
        code="unknown_instrument",
        exclude=exclude,
        per_pair=lambda i, _t: (
            f"instrument {show_cell(i)} is not measured in this study{suggest(i, instruments)}; "
            f"study instruments: {', '.join(instruments)}"
        ),
    )
    tps = study.timepoint_ids
    unknown_t = ~unknown_i & ~tp.isin(tps)
    rows.add(
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        exclude=exclude,
        per_pair=lambda _i, t: (
            f"timepoint {show_cell(t)} is not declared in the study file{suggest(t, tps)}; "
            f"declared: {', '.join(tps)}"
        ),
    )
    allowed = {(m.instrument, t) for m in study.measures.values() for t in m.timepoints}
    pair_ok = pd.Series(
        [(i, t) in allowed for i, t in zip(inst, tp, strict=True)],
        index=rows.frame.index,
        dtype=bool,
    )
    undeclared = ~unknown_i & tp.isin(tps) & ~pair_ok
    rows.add(
        undeclared,
        column="timepoint",
        code="instrument_timepoint",
        exclude=exclude,
        per_pair=lambda i, t: (
            f"{i} is not declared at timepoint {show_cell(t)}; add it to the measure's "
            "timepoints in the study file"
        ),
    )
    return unknown_i | unknown_t | undeclared


def _check_items(
    rows: _Rows,
    by_instrument: Mapping[str, InstrumentKey],
    item_text: pd.Series,
    unknown_i: pd.Series,
    comma_ok: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Item numbers that are not whole numbers or not in the key.

    Returns the parsed item numbers and the mask of rows whose item is valid. Items are
    compared as numbers: ``1``, ``01`` and ``1.0`` are item 1.
    """
    inst = rows.inst
    item_num = as_number(item_text, comma_ok)
    bad_item = item_num.isna() | ~np.isfinite(item_num) | (item_num != np.floor(item_num))
    rows.add(
        bad_item,
        column="item",
        code="invalid_item",
        message=[
            f"item {show_cell(v)} is not a whole number; items are 1-based integers"
            + comma_hint(v, ok)
            for v, ok in zip(item_text[bad_item], comma_ok[bad_item], strict=True)
        ],
    )
    n_items = inst.map({i: k.instrument.n_items for i, k in by_instrument.items()})
    outside = ~bad_item & ~unknown_i & ((item_num < 1) | (item_num > n_items))
    rows.add(
        outside,
        column="item",
        code="item_out_of_key",
        message=[
            f"item {v:.15g} does not exist in {i}, which has items 1..{int(n)}"
            for v, i, n in zip(item_num[outside], inst[outside], n_items[outside], strict=True)
        ],
    )
    return item_num, ~bad_item & ~outside & ~unknown_i


def _item_ranges(
    rows: _Rows,
    by_instrument: Mapping[str, InstrumentKey],
    item_num: pd.Series,
    item_ok: pd.Series,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per row: the item's lowest and highest value, and whether it takes whole numbers."""
    index = rows.frame.index
    lo = pd.Series(np.nan, index=index)
    hi = pd.Series(np.nan, index=index)
    integer = pd.Series(False, index=index)
    for name, key in by_instrument.items():
        sel = item_ok & (rows.inst == name)
        if not sel.any():
            continue
        items = item_num[sel].astype(np.int64)
        lo[sel] = items.map(key.item_min).to_numpy()
        hi[sel] = items.map(key.item_max).to_numpy()
        integer[sel] = key.instrument.integer
    return lo, hi, integer


def _check_values(
    rows: _Rows,
    by_instrument: Mapping[str, InstrumentKey],
    missing_codes: set[float],
    item_num: pd.Series,
    item_ok: pd.Series,
    value_text: pd.Series,
    comma_ok: pd.Series,
) -> pd.Series:
    """Values that are not numbers, outside the item's range, or not whole where they must be.

    Returns the parsed values, with declared missing codes as missing.
    """
    inst = rows.inst
    value = as_number(value_text, comma_ok)
    blank = value_text == ""
    non_numeric = ~blank & value.isna()
    rows.add(
        non_numeric,
        column="value",
        code="non_numeric",
        message=[
            f"value {show_cell(v)} is not a number; use a number, or leave the cell empty for "
            f"a missing answer{comma_hint(v, ok)}"
            for v, ok in zip(value_text[non_numeric], comma_ok[non_numeric], strict=True)
        ],
    )
    is_missing_code = value.isin(missing_codes)
    value = value.where(~is_missing_code)
    lo, hi, integer = _item_ranges(rows, by_instrument, item_num, item_ok)
    present = value.notna() & item_ok
    out_of_range = present & ((value < lo) | (value > hi))
    rows.add(
        out_of_range,
        column="value",
        code="out_of_range",
        message=[
            f"value {v:g} is outside the range of {i} item {int(it)} ({a:g}–{b:g})"
            + ("; if it is a missing code, declare it in [data] missing_codes" if v < 0 else "")
            for v, i, it, a, b in zip(
                value[out_of_range],
                inst[out_of_range],
                item_num[out_of_range],
                lo[out_of_range],
                hi[out_of_range],
                strict=True,
            )
        ],
    )
    non_integer = present & ~out_of_range & integer & (value != np.floor(value))
    rows.add(
        non_integer,
        column="value",
        code="non_integer",
        message=[
            f"value {v:g} is not a whole number, but {i} items take whole numbers"
            for v, i in zip(value[non_integer], inst[non_integer], strict=True)
        ],
    )
    return value


def _item_key(item_num: pd.Series, item_text: pd.Series) -> pd.Series:
    """The item as compared for duplicates: its number (``1``, ``01``, ``1.0`` are item 1)."""
    whole = item_num.notna() & (item_num.abs() < 2**53) & (item_num == np.floor(item_num))
    as_int = item_num.where(whole, 0).astype(np.int64).astype(str)
    return as_int.where(whole, "text:" + item_text)


def _value_key(value: pd.Series, value_text: pd.Series) -> pd.Series:
    """The value as compared for duplicates: the number, or "missing" for a missing answer."""
    text_key = ("text:" + value_text).where(value_text != "", "missing")
    return value.map(repr).where(value.notna(), text_key)


def _check_duplicates(rows: _Rows, item_key: pd.Series, value_key: pd.Series) -> None:
    """The same participant, timepoint, instrument and item more than once.

    Keys are canonical: ids in Unicode NFC form, items and values as numbers. A repeat with
    the same value is a ``duplicate_row``; with another value, every row of the group is a
    ``conflicting_duplicate``.
    """
    pid, tp, inst = rows.pid, rows.tp, rows.inst
    keycols = pd.DataFrame({"p": pid, "t": tp, "i": inst, "k": item_key})
    dup_all = keycols.duplicated(keep=False)
    if not dup_all.any():
        return
    with_value = keycols.assign(v=value_key)
    n_distinct = with_value[dup_all].groupby(["p", "t", "i", "k"])["v"].transform("nunique")
    conflicting = pd.Series(False, index=rows.frame.index)
    conflicting[n_distinct.index] = n_distinct > 1
    item_text = rows.frame["item"].str.strip()
    rows.add(
        conflicting,
        column="value",
        code="conflicting_duplicate",
        message=[
            f"participant {show_cell(p)} at {show_cell(t)}, {show_cell(i)} item "
            f"{_item_shown(k, raw)}, "
            "appears more than once with different values; keep the correct row"
            for p, t, i, k, raw in zip(
                pid[conflicting],
                tp[conflicting],
                inst[conflicting],
                item_key[conflicting],
                item_text[conflicting],
                strict=True,
            )
        ],
    )
    repeat = dup_all & ~conflicting & keycols.duplicated(keep="first")
    first_row = rows.frame["_row"].groupby([pid, tp, inst, item_key]).transform("first")
    rows.add(
        repeat,
        column="",
        code="duplicate_row",
        message=[
            f"this row repeats the answer of row {int(r)} (participant {show_cell(p)} at "
            f"{show_cell(t)}, {show_cell(i)} item {_item_shown(k, raw)}, same value); delete "
            "the repeat"
            for r, p, t, i, k, raw in zip(
                first_row[repeat],
                pid[repeat],
                tp[repeat],
                inst[repeat],
                item_key[repeat],
                item_text[repeat],
                strict=True,
            )
        ],
    )


def _item_shown(key: str, raw: str) -> str:
    """An item number, with its spelling when it differs (``1`` written as ``'1.0'``)."""
    if key.startswith("text:"):
        return show_cell(raw)
    return key if raw == key else f"{key} (written {show_cell(raw)})"
