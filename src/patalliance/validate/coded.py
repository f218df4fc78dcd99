"""Text columns as integer codes into their distinct values, for checks over millions of rows.

A column of item responses holds few distinct texts (a few hundred items and values, one id
per participant) in many rows. Each check works on the distinct texts once (strip, Unicode
NFC, parse as a number, look up in the study file) and reaches the rows through their codes
with array indexing; no check loops over the rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd


def _as_text(values: object) -> pd.Index:
    """Texts as an Index of Python strings (fast to iterate over and to look up)."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object)


def code_dtype(n_values: int) -> type[np.signedinteger]:
    """The smallest integer type that holds the codes of ``n_values`` values."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_values <= np.iinfo(dtype).max:
            return dtype
    return np.int64


@dataclass(frozen=True)
class Coded:
    """A text column: ``codes[i]`` is the position of row i's text in ``values``.

    ``values`` are distinct; a missing cell is the empty text.
    """

    codes: np.ndarray
    values: pd.Index

    @classmethod
    def of(cls, column: pd.Series | None, n_rows: int, *, strip: bool = True) -> Coded:
        """The column's cells, stripped of surrounding whitespace unless ``strip`` is false
        (all blank without a column)."""
        if column is None:
            return cls(np.zeros(n_rows, dtype=np.intp), _as_text([""]))
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            values = column.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            values = np.asarray(uniques, dtype=object)
        codes = codes.astype(code_dtype(len(values) + 1), copy=False)
        if codes.size and codes.min() < 0:  # missing cells are blank
            codes = np.where(codes < 0, codes.dtype.type(len(values)), codes)
            values = np.append(values, "")
        coded = cls(codes, _as_text([v if isinstance(v, str) else str(v) for v in values]))
        return coded.mapped(lambda v: _as_text([t.strip() for t in v]) if strip else v)

    def mapped(self, func: Callable[[pd.Index], pd.Index]) -> Coded:
        """The column with ``func`` applied to its distinct texts (texts that become equal
        merge into one)."""
        new, uniques = pd.factorize(func(self.values))
        if len(uniques) == len(self.values) and bool((new == np.arange(len(new))).all()):
            return Coded(self.codes, _as_text(uniques))  # nothing merged or moved
        return Coded(new.astype(code_dtype(len(uniques)))[self.codes], _as_text(uniques))

    def __len__(self) -> int:
        return len(self.codes)

    def per_value(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per distinct text) spread over the rows."""
        return spread(values, self.codes)

    def is_in(self, allowed: Collection[str]) -> np.ndarray:
        """Per row: whether its text is one of ``allowed``."""
        return self.per_value(self.values.isin(list(allowed)))

    def equals(self, text: str) -> np.ndarray:
        """Per row: whether its text is ``text``."""
        return self.per_value(self.values == text)

    def text(self, mask: np.ndarray) -> list[str]:
        """The texts of the rows of ``mask``, in row order."""
        return list(self.values.to_numpy(dtype=object)[self.codes[mask]])

    def take(self, rows: np.ndarray) -> Coded:
        """The rows ``rows`` (positions or a mask), with the same distinct texts."""
        return Coded(self.codes[rows], self.values)


def spread(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]``; for flags that are all false (or all true), without reading
    ``codes`` (the common case of a check that finds nothing)."""
    if values.dtype == bool and len(values) and (values.all() or not values.any()):
        return np.full(len(codes), bool(values[0]))
    return values[codes]


def compact(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys in ``range(size)`` renumbered ``0..k-1`` in sorted order: per position its new
    number, and the distinct keys. A table of ``size`` flags when that is not much larger than
    the keys (linear time), else a sort."""
    if size <= 4 * len(key) + (1 << 20):
        present = np.zeros(size, dtype=bool)
        present[key] = True
        distinct = np.flatnonzero(present)
        number = np.cumsum(present, dtype=code_dtype(len(distinct) + 1))
        number -= 1
        return number[key], distinct
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(code_dtype(len(distinct)), copy=False), distinct


def combine(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, int]:
    """One integer per row that is equal exactly where every column's code is equal, and the
    number of integers it may take.

    The codes (``columns[k]`` in ``range(sizes[k])``) are combined as digits
    (``code₁ × n₂ + code₂ …``), compacted with :func:`compact` whenever the number of
    combinations would not fit in 62 bits.
    """
    key = columns[0].astype(np.int64)
    size = max(sizes[0], 1)
    for codes, n in zip(columns[1:], sizes[1:], strict=True):
        n = max(n, 1)
        if size * n >= 2**62:
            compacted, distinct = compact(key, size)
            key = compacted.astype(np.int64)
            size = max(len(distinct), 1)
        key *= n
        key += codes
        size *= n
    return key, size
