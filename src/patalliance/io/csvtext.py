"""Where each record of a CSV text starts: its row as a spreadsheet shows it and its line.

A quoted cell may hold a line break, so one record can span several physical lines of the
file. A spreadsheet shows such a record as one row; a text editor shows it on several lines.
Messages name both: the *row* (the header is row 1; every record is one row, a blank line
too) and the *line* where the record starts in the file. Without quoted line breaks the two
are equal. The scan uses Python's :mod:`csv` module with the delimiter the reader chose, and
splits lines where pandas does (``\\n``, ``\\r\\n`` and ``\\r``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n|\r|\n")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\n[^\S\n]+\Z")


@dataclass(frozen=True)
class Record:
    """One record: its spreadsheet row, the line it starts on, and its number of fields."""

    row: int
    line: int
    n_fields: int


def _records(text: str, sep: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    end = 0
    for row, fields in enumerate(reader, start=1):
        start, end = end + 1, reader.line_num
        blank = not fields or (len(fields) == 1 and not fields[0].strip())
        if not blank:
            yield Record(row, start, len(fields))


def scan(text: str, sep: str) -> list[Record] | None:
    """Every non-blank record of ``text``, the header first; None if it cannot be scanned."""
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # any cell size (the largest limit every platform takes)
    try:
        return list(_records(text, sep))
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(old)


def count_records(text: str, sep: str) -> tuple[list[int], list[int]]:
    """The row and the starting line of every data record of ``text`` (header excluded).

    Without a quote character every line is one record, and a plain line split is exact
    (and fast).
    """
    records = scan(text, sep) if '"' in text else None
    if records is not None:
        return [r.row for r in records[1:]], [r.line for r in records[1:]]
    if "\r" not in text and text[:1].strip() and not _BLANK_LINE.search(text):
        n_lines = text.count("\n") + (not text.endswith("\n"))
        numbers = list(range(2, n_lines + 1))  # no blank line: line i is record i
        return numbers, numbers
    numbers = [i for i, line in enumerate(_NEWLINE.split(text), start=1) if line.strip()][1:]
    return numbers, numbers


def first_overlong(records: list[Record]) -> Record | None:
    """The first data record with more fields than the header (what pandas rejects)."""
    if not records:
        return None
    width = records[0].n_fields
    return next((r for r in records[1:] if r.n_fields > width), None)
