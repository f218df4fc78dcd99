"""Terminal tables that wrap at spaces instead of cutting names short.

rich shortens a cell that does not fit its column with "…", so a variable name such as
``depression.total@baseline`` could lose its end on an 80-column terminal. :func:`keep_words_whole`
sizes the columns for the terminal: each column gets a share of the width in proportion to the
length of its text, and at least the length of its longest word (up to ``longest`` characters);
and a word that still does not fit is folded onto the next line, never cut.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text


def _plain(cell: object) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)


def keep_words_whole(table: Table, *, width: int, longest: int = 32) -> Table:
    """Size the columns of ``table`` (a boxed table, one space of padding each side) for a
    terminal ``width`` characters wide."""
    columns = table.columns
    texts = [[_plain(c.header), *(_plain(cell) for cell in c.cells)] for c in columns]
    mins = [min(max([len(w) for t in cells for w in t.split()] or [1]), longest) for cells in texts]
    maxs = [max([len(line) for t in cells for line in t.splitlines()] or [1]) for cells in texts]
    maxs = [max(a, b) for a, b in zip(mins, maxs, strict=True)]
    available = width - (len(columns) + 1) - 2 * len(columns)
    for column in columns:
        column.overflow = "fold"
    if sum(maxs) <= available or sum(mins) > available:
        return table
    # each column its share of the width by how long its text is, never below its longest word
    widths = [max(lo, available * hi // sum(maxs)) for lo, hi in zip(mins, maxs, strict=True)]
    while sum(widths) > available:
        slack = [w - lo for w, lo in zip(widths, mins, strict=True)]
        widths[slack.index(max(slack))] -= 1
    for column, w in zip(columns, widths, strict=True):
        column.width = w
    return table
