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

import pandas as pd

from patalliance.errors import ConfigError
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


def read_table(path: Path, *, role: str) -> tuple[pd.DataFrame, list[FileProblem]]:
    """Read one CSV or Parquet file as text cells with provenance columns.

    Raises
    ------
    ConfigError
        When the file does not exist (a configuration error: exit 2).
    """
    name = str(path)
    if not path.exists():
        raise ConfigError(
            f"{name}: {role} file not found. Check [data] in the study file; paths are "
            "relative to the study file."
        )
    if path.is_dir():
        raise ConfigError(
            f"{name}: the {role} file is a folder; [data] in the study file must name a file."
        )
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            return _empty([]), [
                FileProblem(name, "unreadable_file", f"not a readable Parquet file ({exc})")
            ]
        frame = frame.apply(_to_text)
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return _empty([]), [
                FileProblem(
                    name,
                    "undecodable_file",
                    f"byte {exc.start} (line {line}) is not UTF-8. Re-save the file as UTF-8 "
                    "(in Excel: 'CSV UTF-8'); Latin-1/Windows-1252 exports are not accepted.",
                    row=line,
                )
            ]
        if not text.strip():
            return _empty([]), [
                FileProblem(
                    name, "empty_file", "the file is empty; it needs a header row and data rows"
                )
            ]
        header = text.splitlines()[0]
        sep = ";" if header.count(";") > header.count(",") else ","
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=True,
            )
        except pd.errors.ParserError as exc:
            where = re.search(r"line (\d+)", str(exc))
            return _empty([]), [
                FileProblem(
                    name,
                    "malformed_csv",
                    f"cannot be parsed as CSV: {str(exc).strip()}. Check that every line has "
                    "as many fields as the header and quote cells that contain the delimiter.",
                    row=int(where.group(1)) if where else None,
                )
            ]
        frame.columns = [str(c).strip() for c in frame.columns]
        # line numbers: header is line 1; blank lines are skipped by the parser, so recover
        # the true line number of each record from the text.
        lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip()]
        frame["_row"] = (
            lines[1 : len(frame) + 1] if len(lines) > len(frame) else range(2, len(frame) + 2)
        )
    if "_row" not in frame.columns:
        frame["_row"] = range(2, len(frame) + 2)
    frame["_file"] = name
    if len(frame) == 0:
        return frame, [FileProblem(name, "empty_file", "the file has a header but no data rows")]
    return frame, []


def _check_columns(
    frame: pd.DataFrame, name: str, required: list[str], *, extra_allowed: bool
) -> list[FileProblem]:
    problems = []
    present = [c for c in frame.columns if c not in {"_file", "_row"}]
    for column in required:
        if column not in present:
            problems.append(
                FileProblem(
                    name,
                    "missing_column",
                    f"required column '{column}' is missing; the file has: {', '.join(present) or 'no columns'}. "
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
                        f"unexpected column '{column}'; expected exactly: {', '.join(required)}. "
                        "Remove it or rename it.",
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

    def load(rel: str, role: str, required: list[str], *, extra_allowed: bool) -> pd.DataFrame:
        path = study.resolve(rel)
        frame, file_problems = read_table(path, role=role)
        inputs.append(InputFile(str(path), sha256_of(path), len(frame), role))
        problems.extend(file_problems)
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
    response_frame = (
        pd.concat(responses, ignore_index=True) if responses else _empty(RESPONSE_COLUMNS)
    )
    return TrialData(
        responses=response_frame,
        participants=participants,
        prescored=prescored,
        inputs=tuple(inputs),
        file_problems=tuple(problems),
    )
