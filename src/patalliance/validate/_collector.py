"""What every check of the validation shares: the problem collector and cell parsing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.qc import Problem, Severity
from patalliance.study import Study


class Collector:
    """Accumulates problems and per-row exclusion reasons.

    ``lines`` maps a file to the physical line of each row that starts on another line (see
    :attr:`patalliance.io.TrialData.lines`); problems carry it as their ``line``.
    ``decimal_comma_files`` are the files whose numbers may use a decimal comma.
    """

    def __init__(
        self,
        lines: Mapping[str, Mapping[int, int]] | None = None,
        decimal_comma_files: frozenset[str] = frozenset(),
    ) -> None:
        self.problems: list[Problem] = []
        self.lines = lines or {}
        self.decimal_comma_files = decimal_comma_files

    def add_rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series | np.ndarray,
        *,
        column: str,
        code: str,
        message: str | Iterable[str],
        reasons: pd.Series,
        severity: Severity = "error",
    ) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        sub = frame.loc[mask]
        messages = [message] * len(sub) if isinstance(message, str) else list(message)
        for f, r, msg in zip(sub["_file"], sub["_row"], messages, strict=True):
            line = self.lines.get(str(f), {}).get(int(r), int(r))
            self.problems.append(Problem(str(f), int(r), column, code, msg, severity, line))
        if severity == "error":
            idx = sub.index[reasons.loc[sub.index] == ""]
            reasons.loc[idx] = code


def as_number(text: pd.Series, decimal_comma: pd.Series | bool = False) -> pd.Series:
    """Cells as numbers (NaN where a cell is not one).

    A comma is a decimal mark only where ``decimal_comma`` is true: in a semicolon-delimited
    file (European Excel). In a comma-delimited file ``"1,000"`` or ``"2,5"`` is not a number:
    the comma may be a thousands separator, and guessing would change the value silently.
    """
    stripped = text.str.strip()
    with_point = stripped.str.replace(",", ".", regex=False)
    allow = (
        decimal_comma
        if isinstance(decimal_comma, pd.Series)
        else pd.Series(decimal_comma, index=text.index, dtype=bool)
    )
    return pd.to_numeric(with_point.where(allow, stripped), errors="coerce")


def decimal_comma_rows(frame: pd.DataFrame, col: Collector) -> pd.Series:
    """Per row: whether its file allows a decimal comma."""
    return frame["_file"].isin(col.decimal_comma_files)


def comma_hint(text: str, decimal_comma: bool) -> str:
    """The hint for a number written with a comma where a comma is not a decimal mark."""
    if "," not in text or decimal_comma:
        return ""
    return (
        "; a comma is not a decimal mark in a comma-delimited file: write 2.5 for two and a "
        "half, and no thousands separators (1000, not 1,000)"
    )


def with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with every required column present (as blank text where a file lacked it).

    A file with a file-level problem (empty, undecodable, malformed, missing columns) has all
    its rows excluded; the blank columns only let the clean tables be built uniformly.
    """
    missing = [c for c in columns if c not in frame.columns]
    present = [c for c in columns if c in frame.columns]
    if present and bool(frame[present].isna().to_numpy().any()):
        # rows of a file excluded whole (no cells) next to the rows of a readable file
        frame = frame.assign(**{c: frame[c].where(frame[c].notna(), "") for c in present})
    if not missing:
        return frame
    return frame.assign(**{c: pd.Series("", index=frame.index, dtype=object) for c in missing})


def instrument_keys(study: Study, keys: Mapping[str, InstrumentKey]) -> dict[str, InstrumentKey]:
    return {m.instrument: keys[mid] for mid, m in study.measures.items()}
