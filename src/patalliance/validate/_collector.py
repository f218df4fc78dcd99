"""What every check of the validation shares: the problem collector and cell parsing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.qc import Problem, Severity
from patalliance.study import Study


class Collector:
    """Accumulates problems and per-row exclusion reasons."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

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
            self.problems.append(Problem(str(f), int(r), column, code, msg, severity))
        if severity == "error":
            idx = sub.index[reasons.loc[sub.index] == ""]
            reasons.loc[idx] = code


def as_number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.strip().str.replace(",", ".", regex=False), errors="coerce")


def with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with every required column present (as blank text where a file lacked it).

    A file with a file-level problem (empty, undecodable, malformed, missing columns) has all
    its rows excluded; the blank columns only let the clean tables be built uniformly.
    """
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    return frame.assign(**{c: pd.Series("", index=frame.index, dtype=object) for c in missing})


def instrument_keys(study: Study, keys: Mapping[str, InstrumentKey]) -> dict[str, InstrumentKey]:
    return {m.instrument: keys[mid] for mid, m in study.measures.items()}
