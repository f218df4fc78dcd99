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
import pandas as pd

from patalliance._text import show_cell
from patalliance.qc import Severity

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
    frame: pd.DataFrame,
    mask: pd.Series,
    *,
    inst: pd.Series,
    tp: pd.Series,
    why: Callable[[str, str], str],
    lines: Mapping[str, Mapping[int, int]],
    exclude: bool,
) -> list[PairProblem]:
    """One problem per (instrument, timepoint) of the rows of ``mask``, in file order.

    ``why(instrument, timepoint)`` says what is wrong with the pair and how to fix it. The
    problem is located at the pair's first row and counts the pair's rows; it is a warning
    when ``exclude`` and an error otherwise.
    """
    mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
    if not mask.any():
        return []
    pairs = pd.DataFrame({"i": inst[mask], "t": tp[mask]})
    out = []
    for (i, t), group in pairs.groupby(["i", "t"], sort=False):
        first = group.index[0]
        file, row = str(frame.loc[first, "_file"]), int(str(frame.loc[first, "_row"]))
        n = len(group)
        count = f"{n} row{'s' if n != 1 else ''} of {show_cell(str(i))} at {show_cell(str(t))}"
        hint = EXCLUDE_HINT if exclude else ERROR_HINT
        message = f"{count} (the first here): {why(str(i), str(t))}; {hint}"
        line = lines.get(file, {}).get(row, row)
        out.append(PairProblem(file, row, line, message, "warning" if exclude else "error"))
    return out
