"""The in-memory form of a trial's raw data, with provenance for every row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

#: Columns every raw table carries for provenance: the file and its 1-based line number
#: (the header is line 1, so the first data row is line 2, as a spreadsheet shows it).
PROVENANCE = ["_file", "_row"]

RESPONSE_COLUMNS = ["participant_id", "timepoint", "instrument", "item", "value"]
PRESCORED_COLUMNS = ["participant_id", "timepoint", "measure", "scale", "score"]
PARTICIPANT_REQUIRED = ["participant_id", "arm"]


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is, its sha256, how many data rows it had, and its role."""

    path: str
    sha256: str
    rows: int
    role: str

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows, "role": self.role}


@dataclass(frozen=True)
class FileProblem:
    """A problem a reader found in a file.

    An ``error`` makes the whole file unusable (empty, undecodable, missing columns); a
    ``warning`` (e.g. a REDCap form marked incomplete) is reported and the rows are kept.
    """

    file: str
    code: str
    message: str
    column: str = ""
    row: int | None = None
    severity: Literal["error", "warning"] = "error"
    #: The physical line where ``row`` starts, when it differs or is known (text files).
    line: int | None = None


@dataclass(frozen=True)
class TrialData:
    """Raw trial data as read, before validation.

    Every cell is kept as text (``str``, empty string = blank) so that validation can report
    the exact value it found. Each table has the provenance columns ``_file`` and ``_row``.
    """

    responses: pd.DataFrame
    participants: pd.DataFrame
    prescored: pd.DataFrame
    inputs: tuple[InputFile, ...]
    file_problems: tuple[FileProblem, ...] = field(default=())
    #: Per file: the physical line of each row that starts on another line than its row
    #: number (after a quoted cell holding a line break), for the location in messages.
    lines: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    #: The files whose numbers may use a decimal comma: the semicolon-delimited CSV files
    #: (European Excel). Everywhere else a comma in a number makes it non-numeric.
    decimal_comma_files: frozenset[str] = frozenset()

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.inputs)
