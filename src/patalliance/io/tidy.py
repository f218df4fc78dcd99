"""Readers for the tidy formats: long item responses (CSV/Parquet), pre-scored CSV and the
participants table.

CSV handling: UTF-8 with or without a byte-order mark; comma or semicolon delimiter (detected
from the header line); every cell read as text so nothing is parsed behind the user's back
(participant ids keep their leading zeros). A file that is not UTF-8, is empty or lacks
required columns is reported as a :class:`FileProblem`, never as a traceback.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from patalliance._categorical import concat
from patalliance._text import show_cell
from patalliance.io.csvarrow import read_fast
from patalliance.io.csvtext import Record, count_records, first_overlong, scan
from patalliance.io.paths import require_regular_file
from patalliance.io.trialdata import (
    PARTICIPANT_REQUIRED,
    PRESCORED_COLUMNS,
    RESPONSE_COLUMNS,
    FileProblem,
    InputFile,
    TrialData,
)
from patalliance.study import Study


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_text(column: pd.Series) -> pd.Series:
    """Parquet columns as text cells, the way the CSV reader sees them."""
    return column.astype(object).map(_cell_text)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in [*columns, "_file", "_row"]})


def read_table(
    path: Path, *, role: str, categorical: bool = False
) -> tuple[pd.DataFrame, list[FileProblem]]:
    """Read one CSV or Parquet file as text cells with provenance columns.

    A CSV file that is not UTF-8 or cannot be parsed gives one row per record with blank
    cells, so that its rows are counted as read and excluded. The frame's
    ``attrs["lines"]`` maps each row whose record starts on another physical line (after a
    quoted line break) to that line, and ``attrs["separator"]`` is the CSV delimiter (a
    decimal comma is allowed only with ``";"``); callers take both off the frame.

    With ``categorical`` the cells (and ``_file``) are pandas Categoricals of their distinct
    texts: the same text, one small integer code per cell (for millions of item responses).

    Raises
    ------
    ConfigError
        When the file does not exist or is not a regular file (a configuration error: exit 2).
    """
    name = str(path)
    require_regular_file(path, role=role)
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            return _empty([]), [
                FileProblem(name, "unreadable_file", f"not a readable Parquet file ({exc})")
            ]
        frame = frame.apply(_to_text)
        if categorical:
            frame = frame.astype("category")
        frame["_row"] = range(2, len(frame) + 2)
    else:
        frame, problems = _read_csv(path, name, categorical=categorical)
        if problems:
            return _with_file(frame, name, categorical=categorical), problems
    frame = _with_file(frame, name, categorical=categorical)
    if len(frame) == 0:
        return frame, [FileProblem(name, "empty_file", "the file has a header but no data rows")]
    return frame, []


def _with_file(frame: pd.DataFrame, name: str, *, categorical: bool) -> pd.DataFrame:
    """``frame`` with its ``_file`` column (one category when ``categorical``)."""
    if categorical:
        codes = np.zeros(len(frame), dtype=np.int8)
        frame["_file"] = pd.Categorical.from_codes(codes, categories=pd.Index([name], dtype="str"))
    else:
        frame["_file"] = name
    return frame


def _placeholder(rows: list[int]) -> pd.DataFrame:
    """One blank row per record of a file that cannot be read, so its rows are counted."""
    return pd.DataFrame({"_row": pd.Series(rows, dtype=object)})


def _separator(text: str) -> str:
    """The delimiter: ';' when the header has more semicolons than commas, else ','."""
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _read_csv(
    path: Path, name: str, *, categorical: bool
) -> tuple[pd.DataFrame, list[FileProblem]]:
    """A CSV file's text cells with ``_row``; or a placeholder frame and the file problem.

    The fast reader (:mod:`.csvarrow`) reads the common case; every other file is read
    exactly as before by Python's UTF-8 decoding and pandas' C parser.
    """
    fast = read_fast(path, categorical=categorical)
    if fast is not None:
        frame, sep, breaks = fast
        text = path.read_bytes().decode("utf-8-sig") if breaks else None
        return _numbered(frame, text, sep), []
    frame, problems = _read_csv_exact(path.read_bytes(), name)
    if categorical and not problems:
        for i, column in enumerate(frame.columns):
            if column != "_row":
                frame.isetitem(i, frame.iloc[:, i].astype("category").array)
    return frame, problems


def _numbered(frame: pd.DataFrame, text: str | None, sep: str) -> pd.DataFrame:
    """``frame`` with ``_row`` and the attributes ``lines`` and ``separator``.

    ``text`` (the file's text) is needed only when a record may span several lines (a quoted
    line break) or when blank lines shift the rows; without it the record after the header is
    row 2 and every record is one line.
    """
    if text is None:
        frame["_row"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    else:
        rows, lines = count_records(text, sep)
        if len(rows) == len(frame):
            frame["_row"] = rows
            frame.attrs["lines"] = {r: n for r, n in zip(rows, lines, strict=True) if n != r}
        else:  # the scan and pandas disagree (an unusual quoting); number the records in order
            frame["_row"] = range(2, len(frame) + 2)
    frame.attrs["separator"] = sep
    return frame


def _read_csv_exact(raw: bytes, name: str) -> tuple[pd.DataFrame, list[FileProblem]]:
    """The exact reader: Python's UTF-8 decoding, pandas' C parser, the record scan."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        readable = raw.decode("utf-8-sig", errors="replace")
        rows, lines = count_records(readable, _separator(readable))
        line = raw[: exc.start].count(b"\n") + 1
        starts = zip(reversed(rows), reversed(lines), strict=True)
        row = next((r for r, n in starts if n <= line), line)
        return _placeholder(rows), [
            FileProblem(
                name,
                "undecodable_file",
                f"byte {exc.start} (line {line}) is not UTF-8, so none of the file's "
                f"{len(rows)} rows can be used. Re-save the file as UTF-8 (in Excel: "
                "'CSV UTF-8'); Latin-1/Windows-1252 exports are not accepted.",
                row=row,
                line=line,
            )
        ]
    if not text.strip():
        return _empty([]), [
            FileProblem(
                name, "empty_file", "the file is empty; it needs a header row and data rows"
            )
        ]
    sep = _separator(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except pd.errors.ParserError as exc:
        return _malformed(text, sep, name, exc)
    frame.columns = [str(c).strip() for c in frame.columns]
    return _numbered(frame, text, sep), []


def _malformed(
    text: str, sep: str, name: str, exc: Exception
) -> tuple[pd.DataFrame, list[FileProblem]]:
    records = scan(text, sep) or []
    bad = first_overlong(records)
    fix = (
        "Check that every line has as many fields as the header and quote cells that "
        "contain the delimiter."
    )
    if bad is not None:
        what = f"this row has {bad.n_fields} fields, but the header has {records[0].n_fields}"
    elif "EOF inside string" in str(exc) and len(records) > 1:
        bad = records[-1]  # the record that swallowed the rest of the file
        what = "a quoted cell that starts in this row is never closed (a lone '\"')"
    else:
        where = re.search(r"(?:line|row) (\d+)", str(exc))
        what = f"cannot be parsed as CSV ({str(exc).strip()})"
        bad = Record(int(where.group(1)), int(where.group(1)), 0) if where else None
    return _placeholder(count_records(text, sep)[0]), [
        FileProblem(
            name,
            "malformed_csv",
            f"{what}, so none of the file's rows can be used. {fix}",
            row=bad.row if bad else None,
            line=bad.line if bad else None,
        )
    ]


def _check_columns(
    frame: pd.DataFrame, name: str, required: list[str], *, extra_allowed: bool
) -> list[FileProblem]:
    problems = []
    present = [c for c in frame.columns if c not in {"_file", "_row"}]
    if not set(required) & set(present):
        # nothing expected in the header: not a data file of this kind. Its first line is not
        # quoted, as it may be anything (a file named by mistake).
        return [
            FileProblem(
                name,
                "missing_column",
                f"the header has none of the expected columns ({', '.join(required)}); this "
                "does not look like the right file. Check the path in the study file's [data].",
                column=required[0],
                row=1,
            )
        ]
    shown = ", ".join(show_cell(c) for c in present[:20]) + (" …" if len(present) > 20 else "")
    for column in required:
        if column not in present:
            problems.append(
                FileProblem(
                    name,
                    "missing_column",
                    f"required column '{column}' is missing; the file has: {shown}. "
                    f"Expected columns: {', '.join(required)}",
                    column=column,
                    row=1,
                )
            )
    if not extra_allowed:
        for column in present:
            if column not in required:
                problems.append(
                    FileProblem(
                        name,
                        "extra_column",
                        f"unexpected column {show_cell(column)}; expected exactly: "
                        f"{', '.join(required)}. Remove it or rename it.",
                        column=column,
                        row=1,
                    )
                )
    return problems


def read_participants_file(study: Study) -> tuple[pd.DataFrame, list[FileProblem], InputFile]:
    """Read the study's ``[data] participants`` file and check its columns.

    Every reader uses this when the study names a participants file, so the file is read and
    checked the same way whatever the format of the responses.
    """
    if study.data.participants is None:
        raise ValueError("The study has no [data] participants file.")
    path = study.resolve(study.data.participants)
    frame, problems = read_table(path, role="participants")
    if not problems:
        problems = _check_columns(frame, str(path), PARTICIPANT_REQUIRED, extra_allowed=True)
    return frame, problems, InputFile(str(path), sha256_of(path), len(frame), "participants")


def read_study_data(study: Study) -> TrialData:
    """Read every data file named in the study's ``[data]`` table into one TrialData."""
    inputs: list[InputFile] = []
    problems: list[FileProblem] = []
    lines: dict[str, dict[int, int]] = {}
    semicolon: set[str] = set()

    def load(rel: str, role: str, required: list[str], *, extra_allowed: bool) -> pd.DataFrame:
        path = study.resolve(rel)
        frame, file_problems = read_table(path, role=role, categorical=role == "responses")
        inputs.append(InputFile(str(path), sha256_of(path), len(frame), role))
        problems.extend(file_problems)
        # taken off the frame: pandas copies attrs along with every operation
        lines[str(path)] = frame.attrs.pop("lines", {})
        if frame.attrs.pop("separator", ",") == ";":
            semicolon.add(str(path))
        if not file_problems:
            col_problems = _check_columns(frame, str(path), required, extra_allowed=extra_allowed)
            problems.extend(col_problems)
        return frame

    responses = [
        load(rel, "responses", RESPONSE_COLUMNS, extra_allowed=False)
        for rel in study.data.responses
    ]
    participants = (
        load(study.data.participants, "participants", PARTICIPANT_REQUIRED, extra_allowed=True)
        if study.data.participants
        else _empty(PARTICIPANT_REQUIRED)
    )
    prescored = (
        load(study.data.scores, "scores", PRESCORED_COLUMNS, extra_allowed=False)
        if study.data.scores
        else _empty(PRESCORED_COLUMNS)
    )
    response_frame = concat(responses) if responses else _empty(RESPONSE_COLUMNS)
    return TrialData(
        responses=response_frame,
        participants=participants,
        prescored=prescored,
        inputs=tuple(inputs),
        file_problems=tuple(problems),
        lines=lines,
        decimal_comma_files=frozenset(semicolon),
    )
