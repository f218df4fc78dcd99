"""The fast path of the CSV reader: pyarrow's multi-threaded parser, every cell read as text.

:func:`patalliance.io.tidy.read_table` reads a CSV file here first. The file is read exactly
as the exact reader (Python's UTF-8 decoding and pandas' C parser) would read it: every cell
as text, a comma or semicolon delimiter chosen from the header line, ``"`` quoting with
doubled quotes, a UTF-8 byte-order mark skipped. Whenever the file is not the common case,
:func:`read_fast` returns None and the exact reader reads the file, so that whatever it reports
(the byte that is not UTF-8, the row with too many fields, the rows after a blank line) stays
the same. That is the case for a file

- that is not UTF-8, or whose first line is blank or longer than 1 MiB;
- whose header has a single column, an empty column name, or a name twice;
- with a row whose number of fields differs from the header's;
- with a blank line or a row whose cells are all empty (the exact reader skips a blank line
  and numbers the rows after it by their line).

A cell that holds a line break (in quotes) is read here; the caller then maps the records to
their physical lines (:mod:`patalliance.io.csvtext`).

With ``categorical`` every column is a pandas ``Categorical`` of its distinct texts
(dictionary-encoded): one small integer code per cell instead of one Python string, which is
what the validation of millions of item responses works on.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: The most bytes read to find the header line.
_PREFIX = 1 << 20


def _header(path: Path) -> tuple[str, list[str]] | None:
    """The delimiter and the column names, or None when the exact reader must read the file."""
    with path.open("rb") as handle:
        head = handle.read(_PREFIX)
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    ends = [i for i in (head.find(b"\n", start), head.find(b"\r", start)) if i >= 0]
    if not ends:
        return None  # a header without a line break, or a line longer than the prefix
    line = head[start : min(ends)]
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    sep = ";" if text.count(";") > text.count(",") else ","
    try:
        names = pacsv.read_csv(
            pa.BufferReader(line + b"\n"), parse_options=_parse_options(sep)
        ).column_names
    except (pa.ArrowException, ValueError):
        return None
    stripped = [name.strip() for name in names]
    if len(names) < 2 or "" in stripped or len(set(stripped)) < len(stripped):
        return None
    return sep, names


def _parse_options(sep: str) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(
        delimiter=sep,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=True,
        ignore_empty_lines=False,
    )


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """A text column as integer codes (int32) and its distinct values, in order of appearance."""
    encoded = pc.dictionary_encode(column).unify_dictionaries()
    if len(column) == 0 or encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), pa.array([], type=pa.string())
    chunks = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
    return np.concatenate(chunks), encoded.chunk(0).dictionary


def _as_categorical(column: pa.ChunkedArray) -> tuple[pd.Categorical, np.ndarray, bool]:
    """The column as a Categorical, whether each row is empty, and whether a cell holds a
    line break."""
    codes, values = _encoded(column)
    categories = pd.Index(values.to_pandas(), dtype="str")
    empty_code = categories.get_indexer(pd.Index([""], dtype="str"))[0]
    empty = codes == empty_code if empty_code >= 0 else np.zeros(len(codes), dtype=bool)
    breaks = bool(pc.any(pc.match_substring_regex(values, "[\r\n]")).as_py() or False)
    cat = pd.Categorical.from_codes(codes, categories=categories, validate=False)
    return cat, empty, breaks


def _as_text(column: pa.ChunkedArray) -> tuple[pd.Series, np.ndarray, bool]:
    empty = pc.equal(column, "").to_numpy(zero_copy_only=False)
    breaks = bool(pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py() or False)
    series = column.to_pandas()
    return series, np.asarray(empty, dtype=bool), breaks


def read_fast(path: Path, *, categorical: bool) -> tuple[pd.DataFrame, str, bool] | None:
    """The file's cells as text, its delimiter, and whether a cell holds a line break.

    Returns None when the exact reader must read the file (see the module's notes).
    Column names are stripped of surrounding whitespace, as the exact reader strips them.
    """
    try:
        found = _header(path)
        if found is None:
            return None
        sep, names = found
        table = pacsv.read_csv(
            path,
            parse_options=_parse_options(sep),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.column_names != names:
        return None
    columns: dict[str, pd.Categorical | pd.Series] = {}
    all_empty = np.ones(table.num_rows, dtype=bool)
    any_break = False
    for name in names:
        column = table.column(name)
        table = table.drop_columns([name])  # free each text column once it is converted
        cells, empty, breaks = _as_categorical(column) if categorical else _as_text(column)
        del column
        columns[name.strip()] = cells
        all_empty &= empty
        any_break |= breaks
    if all_empty.any():
        return None  # a blank line, or a row of empty cells: the exact reader numbers them
    frame = pd.DataFrame(columns, copy=False)
    return frame, sep, any_break
