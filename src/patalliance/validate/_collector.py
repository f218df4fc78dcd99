"""What every check of the validation shares: the problem collector, the coded tables and
cell parsing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.qc import Problem, Severity
from patalliance.study import Study
from patalliance.validate.coded import Coded


class Reasons:
    """Per row: the code of the first error that excludes it (``""`` when none does)."""

    def __init__(self, n_rows: int) -> None:
        self.ids = np.zeros(n_rows, dtype=np.int16)
        self.codes: list[str] = [""]

    def exclude(self, mask: np.ndarray, code: str) -> None:
        """Exclude the rows of ``mask`` for ``code``, unless an earlier error excluded them."""
        if code not in self.codes:
            self.codes.append(code)
        self.ids[mask & (self.ids == 0)] = self.codes.index(code)

    @property
    def ok(self) -> np.ndarray:
        """Per row: whether no error excludes it."""
        return self.ids == 0

    def counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        """How many rows (of ``mask``) each code excludes."""
        ids = self.ids if mask is None else self.ids[mask]
        found = np.bincount(ids, minlength=len(self.codes))
        return {code: int(n) for code, n in zip(self.codes, found, strict=True) if code and n}


@dataclass(frozen=True)
class Table:
    """One raw table as the checks see it: its cells coded and stripped (participant ids in
    Unicode NFC), the file and row of each row, and each row's exclusion reason."""

    cells: Mapping[str, Coded]
    files: Coded
    rows: np.ndarray
    reasons: Reasons

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str) -> Coded:
        return self.cells[column]


class Collector:
    """Accumulates problems; errors also set the exclusion reason of their rows.

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
        table: Table,
        mask: np.ndarray,
        *,
        column: str,
        code: str,
        message: str | Iterable[str],
        severity: Severity = "error",
    ) -> None:
        """One problem per row of ``mask`` (in row order), with its message."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        files = table.files.text(mask)
        rows = table.rows[mask].tolist()
        messages = [message] * len(rows) if isinstance(message, str) else list(message)
        for f, r, msg in zip(files, rows, messages, strict=True):
            line = self.lines.get(f, {}).get(r, r)
            self.problems.append(Problem(f, r, column, code, msg, severity, line))
        if severity == "error":
            table.reasons.exclude(mask, code)


def as_numbers(texts: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Distinct texts as numbers (NaN where a text is not one): as written, and with a comma
    read as the decimal mark.

    A comma is a decimal mark only in a semicolon-delimited file (European Excel). In a
    comma-delimited file ``"1,000"`` or ``"2,5"`` is not a number: the comma may be a
    thousands separator, and guessing would change the value silently.
    """
    plain = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce")
    comma = pd.to_numeric(
        pd.Series(texts.str.replace(",", ".", regex=False), dtype=object), errors="coerce"
    )
    return plain.to_numpy(dtype=float), comma.to_numpy(dtype=float)


def parse_numbers(cells: Coded, comma_ok: np.ndarray) -> np.ndarray:
    """Per row: its cell as a number (NaN where it is not one); a comma is the decimal mark
    in the rows of ``comma_ok``."""
    plain, comma = as_numbers(cells.values)
    return np.where(comma_ok, cells.per_value(comma), cells.per_value(plain))


def decimal_comma_rows(table: Table, col: Collector) -> np.ndarray:
    """Per row: whether its file allows a decimal comma."""
    return table.files.is_in(col.decimal_comma_files)


def comma_hint(text: str, decimal_comma: bool) -> str:
    """The hint for a number written with a comma where a comma is not a decimal mark."""
    if "," not in text or decimal_comma:
        return ""
    return (
        "; a comma is not a decimal mark in a comma-delimited file: write 2.5 for two and a "
        "half, and no thousands separators (1000, not 1,000)"
    )


def instrument_keys(study: Study, keys: Mapping[str, InstrumentKey]) -> dict[str, InstrumentKey]:
    return {m.instrument: keys[mid] for mid, m in study.measures.items()}
