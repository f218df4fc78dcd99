"""CSV text of a plain table: exactly what ``DataFrame.to_csv(path, index=False)`` writes, in
a fraction of its time.

pandas formats each float through numpy's string conversion and writes rows through the
``csv`` module; for the wide per-participant ``scores.csv`` at large N that is most of the time
it takes to write the outputs. Here each float column is formatted in one call by the C JSON
encoder, which writes Python's own float ``repr`` (the shortest text that reads back to the same
value, which is also what numpy writes), and each row is joined from the formatted columns.

Only plain tables take this path: text column names, float64, int64 and bool columns, and
text columns holding only ``str`` cells or missing values, where no name or cell needs quoting
(no comma, quote mark or line break). :func:`write_plain_csv` returns ``False`` for anything
else, and the caller writes it with pandas. The tests compare both on generated tables.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pandas is imported by the callers
    import pandas as pd

__all__ = ["write_plain_csv"]

_NEEDS_QUOTES = frozenset(',"\n\r')
_ROWS = 10_000  # rows formatted at a time, so the text in memory stays small


def write_plain_csv(frame: pd.DataFrame, path: str | Path) -> bool:
    """Write ``frame`` to ``path`` as ``frame.to_csv(path, index=False)`` would; return
    ``False``, writing nothing, when the table is not plain (see the module docstring)."""
    names = list(frame.columns)
    if frame.shape[1] < 2 or len(frame) == 0 or not all(_plain(n) for n in names):
        return False
    chunks = (frame.iloc[start : start + _ROWS] for start in range(0, len(frame), _ROWS))
    first = _rows_text(next(chunks))
    if first is None:
        return False
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(names) + "\n")
        out.write(first)
        for chunk in chunks:
            text = _rows_text(chunk)
            if text is None:
                break
            out.write(text)
        else:
            return True
    Path(path).unlink()  # a later rows' cell is not plain: pandas writes the whole table
    return False


def _rows_text(frame: pd.DataFrame) -> str | None:
    """The CSV lines of the rows of ``frame``, or ``None`` when a cell is not plain."""
    columns = []
    for i in range(frame.shape[1]):
        text = _column_text(frame.iloc[:, i])
        if text is None:
            return None
        columns.append(text)
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _plain(value: object) -> bool:
    return type(value) is str and _NEEDS_QUOTES.isdisjoint(value)


def _float_text(values: NDArray[np.float64]) -> list[str]:
    """``repr`` of each value, ``""`` for NaN: the C JSON encoder writes a finite float as its
    ``repr`` and a list of them in one call; the few values that are not finite are set after."""
    out: list[str] = json.dumps(values.tolist())[1:-1].split(", ")
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        out[i] = "" if math.isnan(values[i]) else repr(float(values[i]))
    return out


def _column_text(column: pd.Series) -> list[str] | None:
    kind = column.dtype.kind
    if column.dtype.name == "float64":
        return _float_text(column.to_numpy())
    if column.dtype.name in ("int64", "bool"):
        return list(map(str, column.to_numpy().tolist()))
    if kind == "O":
        out = []
        for v in column.to_numpy().tolist():
            if type(v) is str and _NEEDS_QUOTES.isdisjoint(v):
                out.append(v)
            elif v is None or (type(v) is float and math.isnan(v)):
                out.append("")
            else:
                return None
        return out
    return None
