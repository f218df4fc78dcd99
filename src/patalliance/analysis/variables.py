"""Variables for the analyses: scores from the analysis table, and participants-file columns.

Wherever the plan names a variable, it may name a score (``measure.scale@timepoint``) or a
column of the participants file (a covariate such as ``age``). A participants-file column
whose non-empty cells are all numbers is used as it is. A text column (``sex``, ``site``) is
dummy-coded where the family supports it (the covariates of partial correlations and
mediation models): one 0/1 column per level except the reference level, the first in sorted
order, named ``column[level]``; a participant with the cell empty has no value. Elsewhere a
text column is a configuration error naming the key path and the column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError

__all__ = ["covariate_names", "design", "numeric", "numeric_matrix"]


def covariate_names(table: AnalysisTable) -> list[str]:
    """The participants-file columns available as variables."""
    return [str(c) for c in table.covariates.columns]


def _cells(table: AnalysisTable, name: str) -> pd.Series:
    col = table.covariates[name]
    text = col.astype(object).where(col.notna(), "")
    return text.map(lambda v: str(v).strip())


def _as_numbers(cells: pd.Series) -> pd.Series | None:
    """The cells as floats when every non-empty cell is a number, else None."""
    present = cells != ""
    values = pd.to_numeric(cells.where(present), errors="coerce")
    if bool(values[present].isna().any()):
        return None
    return values.astype(float)


def numeric(table: AnalysisTable, name: str, *, key: str) -> NDArray[np.float64]:
    """One numeric variable: a score, or a numeric participants-file column.

    Raises
    ------
    ConfigError
        When ``name`` is a text column of the participants file (``key`` names where the
        study file uses it).
    """
    if name in table.values.columns:
        return table.values[name].to_numpy(dtype=float)
    cells = _cells(table, name)
    values = _as_numbers(cells)
    if values is None:
        examples = ", ".join(repr(v) for v in list(dict.fromkeys(cells[cells != ""]))[:3])
        raise ConfigError(
            f"{key}: the participants-file column {name!r} holds text ({examples}), but a "
            "number is needed here. Recode it as numbers, or use it as a covariate of a "
            "partial correlation or mediation model, a regression predictor or a moderator, "
            "where text columns are dummy-coded."
        )
    return values.to_numpy(dtype=float)


def numeric_matrix(table: AnalysisTable, names: Sequence[str], *, key: str) -> NDArray[np.float64]:
    """Several numeric variables as the columns of an (n, k) matrix (see :func:`numeric`)."""
    if all(name in table.values.columns for name in names):
        return table.values[list(names)].to_numpy(dtype=float)
    return np.column_stack([numeric(table, name, key=key) for name in names])


def design(
    table: AnalysisTable, names: Sequence[str], *, key: str
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """Covariate columns for a regression: scores and numeric columns as they are, text
    columns dummy-coded (module docstring). Returns the (n, k) matrix and the column names."""
    columns: list[NDArray[np.float64]] = []
    labels: list[str] = []
    for name in names:
        if name in table.values.columns:
            columns.append(table.values[name].to_numpy(dtype=float))
            labels.append(name)
            continue
        cells = _cells(table, name)
        values = _as_numbers(cells)
        if values is not None:
            columns.append(values.to_numpy(dtype=float))
            labels.append(name)
            continue
        levels = sorted(set(cells[cells != ""]))
        if len(levels) < 2:
            raise ConfigError(
                f"{key}: the participants-file column {name!r} has a single value "
                f"({levels[0] if levels else 'none'}), so it cannot be a covariate."
            )
        missing = (cells == "").to_numpy()
        for level in levels[1:]:
            dummy = (cells == level).to_numpy(dtype=float)
            columns.append(np.where(missing, np.nan, dummy))
            labels.append(f"{name}[{level}]")
    matrix = np.column_stack(columns) if columns else np.empty((len(table.values), 0))
    return matrix, tuple(labels)
