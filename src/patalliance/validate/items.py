"""Checks of the items and values of item responses, once per distinct combination.

Whether an item is valid and a value is in range depends only on the row's instrument, item,
value and decimal mark (a comma is one only in a semicolon-delimited file). Data of millions
of rows hold a few thousand such combinations, so every check and every parse is computed
once per combination, and a row is flagged by looking its combination up (or not at all when
no combination is flagged, the case of clean data).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance._text import show_cell
from patalliance.instruments.key import InstrumentKey
from patalliance.validate._collector import as_numbers, comma_hint, decimal_comma_rows
from patalliance.validate.coded import Coded, combine, compact, spread
from patalliance.validate.rows import Rows


@dataclass(frozen=True)
class Combos:
    """The distinct combinations of instrument, item, value and decimal mark of the rows:
    ``combo`` per row, and per combination its codes (``inst``, ``item``, ``value``) and
    whether a comma is its decimal mark."""

    combo: np.ndarray
    inst: np.ndarray
    item: np.ndarray
    value: np.ndarray
    comma: np.ndarray
    rows: Rows

    def flagged(self, per_combo: np.ndarray) -> np.ndarray:
        """The rows being checked whose combination is flagged."""
        return self.rows.active & spread(per_combo, self.combo)

    def of_rows(self, per_combo: np.ndarray, mask: np.ndarray) -> list[str]:
        """``per_combo`` of each row of ``mask``, in row order."""
        return list(per_combo[self.combo[mask]])

    def messages(self, mask: np.ndarray, message: Callable[[int], str]) -> list[str]:
        """``message(k)`` of the combination ``k`` of each row of ``mask``, computed once per
        combination."""
        codes = self.combo[mask]
        by_combo = {int(k): message(int(k)) for k in np.unique(codes)}
        return [by_combo[k] for k in codes.tolist()]


def combos(rows: Rows) -> Combos:
    """The combinations of every row (also of the rows not checked)."""
    table = rows.table
    parts = [rows.inst, table["item"], table["value"]]
    comma_ok = decimal_comma_rows(table, rows.col).astype(np.int8)
    sizes = [len(p.values) for p in parts]
    key, size = combine([p.codes for p in parts] + [comma_ok], [*sizes, 2])
    combo, distinct = compact(key, size)
    if math.prod(max(n, 1) for n in sizes) * 2 >= 2**62:
        # the codes were compacted on the way: take each combination from its first row
        first = np.full(len(distinct), len(combo), dtype=np.int64)
        np.minimum.at(first, combo.astype(np.int64), np.arange(len(combo)))
        digits = [p.codes[first].astype(np.int64) for p in parts] + [comma_ok[first]]
    else:
        digits = []
        for n in [2, *reversed(sizes)]:
            digits.insert(0, distinct % max(n, 1))
            distinct = distinct // max(n, 1)
    return Combos(combo, digits[0], digits[1], digits[2], digits[3].astype(bool), rows)


def check_items(
    cells: Combos, by_instrument: Mapping[str, InstrumentKey]
) -> tuple[np.ndarray, np.ndarray]:
    """Item numbers that are not whole numbers or not in the key.

    Returns the item number of each combination and whether it is valid. Items are compared
    as numbers: ``1``, ``01`` and ``1.0`` are item 1.
    """
    rows = cells.rows
    item_text = rows.table["item"]
    plain, comma = as_numbers(item_text.values)
    item_num = np.where(cells.comma, comma[cells.item], plain[cells.item])
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(item_num) & (item_num == np.floor(item_num))
    texts = item_text.values.to_numpy(dtype=object)
    bad_item = cells.flagged(~whole)
    rows.add(
        bad_item,
        column="item",
        code="invalid_item",
        message=cells.messages(
            bad_item,
            lambda k: (
                f"item {show_cell(texts[cells.item[k]])} is not a whole number; items "
                "are 1-based integers" + comma_hint(texts[cells.item[k]], bool(cells.comma[k]))
            ),
        ),
    )
    names = rows.inst.values.to_numpy(dtype=object)
    n_of = {i: k.instrument.n_items for i, k in by_instrument.items()}
    n_items = np.array([n_of.get(i, np.nan) for i in names], dtype=float)[cells.inst]
    outside = whole & ((item_num < 1) | (item_num > n_items))
    flagged = cells.flagged(outside)
    rows.add(
        flagged,
        column="item",
        code="item_out_of_key",
        message=cells.messages(
            flagged,
            lambda k: (
                f"item {item_num[k]:.15g} does not exist in {names[cells.inst[k]]}, "
                f"which has items 1..{int(n_items[k])}"
            ),
        ),
    )
    return item_num, whole & ~outside


def _item_ranges(
    cells: Combos,
    by_instrument: Mapping[str, InstrumentKey],
    item_num: np.ndarray,
    item_ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per combination: the item's lowest and highest value, and whether it takes whole
    numbers (NaN, NaN and false where the item is not valid)."""
    names = cells.rows.inst.values
    width = max((k.instrument.n_items for k in by_instrument.values()), default=0) + 1
    lo_of, hi_of = np.full((len(names), width), np.nan), np.full((len(names), width), np.nan)
    integer_of = np.zeros(len(names), dtype=bool)
    for code, name in enumerate(names):
        key = by_instrument.get(str(name))
        if key is not None:
            for item in range(1, key.instrument.n_items + 1):
                lo_of[code, item] = key.item_min.get(item, np.nan)
                hi_of[code, item] = key.item_max.get(item, np.nan)
            integer_of[code] = key.instrument.integer
    ok = np.flatnonzero(item_ok)
    inst, items = cells.inst[ok], item_num[ok].astype(np.int64)
    lo, hi = np.full(len(item_num), np.nan), np.full(len(item_num), np.nan)
    integer = np.zeros(len(item_num), dtype=bool)
    lo[ok], hi[ok], integer[ok] = lo_of[inst, items], hi_of[inst, items], integer_of[inst]
    return lo, hi, integer


def check_values(
    cells: Combos,
    by_instrument: Mapping[str, InstrumentKey],
    missing_codes: set[float],
    item_num: np.ndarray,
    item_ok: np.ndarray,
) -> np.ndarray:
    """Values that are not numbers, outside the item's range, or not whole where they must be.

    Returns the value of each combination, with declared missing codes as missing.
    """
    rows = cells.rows
    value_text = rows.table["value"]
    texts = value_text.values.to_numpy(dtype=object)
    names = rows.inst.values.to_numpy(dtype=object)
    plain, comma = as_numbers(value_text.values)
    value = np.where(cells.comma, comma[cells.value], plain[cells.value])
    non_numeric = cells.flagged((texts[cells.value] != "") & np.isnan(value))
    rows.add(
        non_numeric,
        column="value",
        code="non_numeric",
        message=cells.messages(
            non_numeric,
            lambda k: (
                f"value {show_cell(texts[cells.value[k]])} is not a number; use a "
                "number, or leave the cell empty for a missing answer"
                + comma_hint(texts[cells.value[k]], bool(cells.comma[k]))
            ),
        ),
    )
    value[np.isin(value, list(missing_codes))] = np.nan
    lo, hi, integer = _item_ranges(cells, by_instrument, item_num, item_ok)
    present = ~np.isnan(value) & item_ok
    outside = present & ((value < lo) | (value > hi))
    out_of_range = cells.flagged(outside)
    rows.add(
        out_of_range,
        column="value",
        code="out_of_range",
        message=cells.messages(
            out_of_range,
            lambda k: (
                f"value {value[k]:g} is outside the range of {names[cells.inst[k]]} "
                f"item {int(item_num[k])} ({lo[k]:g}–{hi[k]:g})"
                + (
                    "; if it is a missing code, declare it in [data] missing_codes"
                    if value[k] < 0
                    else ""
                )
            ),
        ),
    )
    non_integer = cells.flagged(present & ~outside & integer & (value != np.floor(value)))
    rows.add(
        non_integer,
        column="value",
        code="non_integer",
        message=cells.messages(
            non_integer,
            lambda k: (
                f"value {value[k]:g} is not a whole number, but {names[cells.inst[k]]} "
                "items take whole numbers"
            ),
        ),
    )
    return value


def _per_spelling(cells: Coded, key: Callable[[str, float], str]) -> np.ndarray:
    """``key(text, number)`` of each distinct text, as written and then with a decimal
    comma (twice as long as ``cells.values``)."""
    texts = [str(t) for t in cells.values]
    plain, comma = as_numbers(cells.values)
    return np.array(
        [key(t, v) for t, v in zip(texts, plain, strict=True)]
        + [key(t, v) for t, v in zip(texts, comma, strict=True)],
        dtype=object,
    )


def compared(cells: Combos, missing_codes: set[float]) -> tuple[Coded, Coded]:
    """Per combination: the item and the value as compared for duplicates.

    The item is its number (``1``, ``01``, ``1.0`` are item 1), else its text; the value is
    its number, or "missing" for a missing answer, else its text.
    """

    def item_key(text: str, number: float) -> str:
        whole = not np.isnan(number) and abs(number) < 2**53 and number == np.floor(number)
        return str(int(number)) if whole else "text:" + text

    def value_key(text: str, number: float) -> str:
        if np.isnan(number) or number in missing_codes:
            return "text:" + text if text != "" else "missing"
        return repr(float(number))

    table = cells.rows.table
    comma = cells.comma.astype(np.int64)
    items = _per_spelling(table["item"], item_key)
    values = _per_spelling(table["value"], value_key)
    n_items, n_values = len(table["item"].values), len(table["value"].values)
    return (
        _coded(items[cells.item + comma * n_items]),
        _coded(values[cells.value + comma * n_values]),
    )


def _coded(texts: np.ndarray) -> Coded:
    codes, uniques = pd.factorize(pd.Index(texts, dtype=object))
    return Coded(codes, pd.Index(uniques, dtype=object))
