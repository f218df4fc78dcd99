"""The quality-control report: every problem found in the data, and an account of every row.

A :class:`Problem` records file, row (as a spreadsheet numbers it; the header is row 1, and
``line`` is the physical line where the row starts), column, a code and a message that says
how to fix it. A :class:`ValidationReport` holds all problems, the policy
applied (strict or lenient) and the row counts, with ``rows_read == rows_used +
rows_excluded``; it writes itself as JSON or CSV (``qc_report.json``).

The checks that fill the report are in :mod:`patalliance.validate`; the codes are listed in
``docs/validation.md``. This module depends on no other part of patalliance but the text
escaping of :mod:`patalliance._text`: every message, column and file name of a problem has its
control characters escaped and is cut to a bounded length, here, once, for the terminal and
the QC report alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from patalliance._text import escape_controls, safe_message

Severity = Literal["error", "warning"]
Policy = Literal["strict", "lenient"]


@dataclass(frozen=True)
class Problem:
    """One problem found in the data."""

    file: str
    row: int | None
    column: str
    code: str
    message: str
    severity: Severity = "error"
    #: The physical line of the file where the row starts; differs from ``row`` after a
    #: quoted cell that holds a line break. None where it is not known or not a text file.
    line: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", escape_controls(self.file))
        object.__setattr__(self, "column", safe_message(self.column))
        object.__setattr__(self, "message", safe_message(self.message))

    def location(self) -> str:
        parts = [Path(self.file).name if self.file else "(study)"]
        if self.row is not None and self.line is not None and self.line != self.row:
            parts.append(f"row {self.row} (line {self.line})")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class ValidationReport:
    """All problems, the policy applied, and the account of every input row."""

    policy: Policy
    problems: tuple[Problem, ...]
    rows_read: int
    rows_used: int
    rows_excluded: int
    excluded_by_reason: Mapping[str, int]
    files: tuple[Mapping[str, object], ...] = field(default=())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def dropped_files(self) -> list[Mapping[str, object]]:
        """The files excluded whole for a file-level error (their entry has ``dropped``)."""
        return [f for f in self.files if f.get("dropped")]

    @property
    def ok(self) -> bool:
        """True when the data may be analysed under the policy."""
        if self.policy == "strict":
            return not self.errors
        # lenient: something must be left to analyse. Participants alone are not enough: when
        # every item response and pre-scored row was excluded there is nothing to score.
        data_files = [f for f in self.files if f.get("role") in {"responses", "scores"}]
        if data_files:
            return sum(int(str(f.get("rows_used", 0))) for f in data_files) > 0
        return self.rows_used > 0

    def to_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "ok": self.ok,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_excluded": self.rows_excluded,
            "excluded_by_reason": dict(self.excluded_by_reason),
            "files": [dict(f) for f in self.files],
            "problems": [asdict(p) for p in self.problems],
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [asdict(p) for p in self.problems],
            columns=["file", "row", "column", "code", "message", "severity"],
        )

    def write(self, path: Path) -> None:
        """Write the report as JSON (``.json``) or CSV (anything else)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        else:
            from patalliance.safe_cells import write_csv

            write_csv(self.to_frame(), path, index=False)
