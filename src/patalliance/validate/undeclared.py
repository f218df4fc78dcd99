"""Rows at an undeclared timepoint or of an undeclared instrument, one problem per pair.

The study file's ``[data] undeclared`` decides what such rows are: ``"error"`` (the default)
fails validation, ``"exclude"`` excludes them with a warning. Either way, the rows of one
(instrument, timepoint) pair give one problem that counts them and points at the first of
them, instead of one problem per item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from patalliance._text import show_cell
from patalliance.qc import Severity
from patalliance.validate._collector import Table
from patalliance.validate.coded import Coded

EXCLUDE_HINT = 'excluded, as [data] undeclared = "exclude" asks'
ERROR_HINT = (
    'fix these rows, or set [data] undeclared = "exclude" in the study file to exclude them '
    "with a warning"
)


@dataclass(frozen=True)
class PairProblem:
    """Where and what the problem of one (instrument, timepoint) pair is."""

    file: str
    row: int
    line: int
    message: str
    severity: Severity


def pair_problems(
    table: Table,
    mask: np.ndarray,
    *,
    inst: Coded,
    tp: Coded,
    why: Callable[[str, str], str],
    lines: Mapping[str, Mapping[int, int]],
    exclude: bool,
) -> list[PairProblem]:
    """One problem per (instrument, timepoint) of the rows of ``mask``, in file order.

    ``why(instrument, timepoint)`` says what is wrong with the pair and how to fix it. The
    problem is located at the pair's first row and counts the pair's rows; it is a warning
    when ``exclude`` and an error otherwise.
    """
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    n_tp = len(tp.values)
    key = inst.codes[rows].astype(np.int64) * n_tp + tp.codes[rows]
    pairs, first, counts = np.unique(key, return_index=True, return_counts=True)
    files = table.files.text(rows[first])
    out = []
    for g in np.argsort(first, kind="stable"):
        i, t = str(inst.values[pairs[g] // n_tp]), str(tp.values[pairs[g] % n_tp])
        file, row, n = files[g], int(table.rows[rows[first[g]]]), int(counts[g])
        count = f"{n} row{'s' if n != 1 else ''} of {show_cell(i)} at {show_cell(t)}"
        hint = EXCLUDE_HINT if exclude else ERROR_HINT
        message = f"{count} (the first here): {why(i, t)}; {hint}"
        line = lines.get(file, {}).get(row, row)
        out.append(PairProblem(file, row, line, message, "warning" if exclude else "error"))
    return out
