"""DataFrames as input: the long item responses and the participants table, held in memory.

:func:`patalliance.analyze` and :func:`patalliance.score` accept DataFrames in place of the
files a study names. They go through the same validation as files: every cell is turned into
the text a CSV reader would see (an integral float such as ``3.0`` becomes ``"3"``, a missing
value an empty cell), and each row carries its provenance: the "file" is
``<responses DataFrame>`` (or ``<participants DataFrame>``) and the row is its position,
counted from 0 as ``DataFrame.iloc`` counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd

from patalliance.errors import ConfigError
from patalliance.io import read_study_data
from patalliance.io.tidy import (
    _check_columns,
    _empty,
    _to_text,
    read_participants_file,
    read_table,
    sha256_of,
)
from patalliance.io.trialdata import (
    PARTICIPANT_REQUIRED,
    PRESCORED_COLUMNS,
    RESPONSE_COLUMNS,
    FileProblem,
    InputFile,
    TrialData,
)
from patalliance.study import Study

__all__ = ["frame_name", "read_frame", "read_with_frames"]


def frame_name(role: str) -> str:
    """The name that stands for the file of a DataFrame input, e.g. ``<responses DataFrame>``."""
    return f"<{role} DataFrame>"


def _digest(frame: pd.DataFrame) -> str:
    """sha256 of the frame's cells as CSV text: the same cells give the same hash."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def read_frame(
    frame: pd.DataFrame, *, role: str, required: list[str], extra_allowed: bool
) -> tuple[pd.DataFrame, list[FileProblem], InputFile]:
    """A DataFrame as text cells with provenance, its column problems, and its input record.

    Raises
    ------
    ConfigError
        When ``frame`` is not a pandas DataFrame.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            f"The '{role}' argument must be a pandas DataFrame in the documented long format "
            f"(columns: {', '.join(required)}). Got {type(frame).__name__} instead."
        )
    name = frame_name(role)
    data = frame
    if data.index.name in required and data.index.name not in data.columns:
        data = data.reset_index()
    data = data.reset_index(drop=True)
    text = pd.DataFrame({str(c).strip(): _to_text(data[c]) for c in data.columns})
    problems = [
        replace(p, row=None)
        for p in _check_columns(text, name, required, extra_allowed=extra_allowed)
    ]
    if len(text) == 0:
        problems.append(FileProblem(name, "empty_file", "the DataFrame has no rows"))
    text["_row"] = range(len(text))
    text["_file"] = name
    return text, problems, InputFile(name, _digest(text), len(text), role)


def read_with_frames(
    study: Study,
    *,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
) -> TrialData:
    """The study's data, with DataFrames in place of the files they replace.

    ``responses`` replaces the item responses the study names, in whatever format (the files
    are then not read); ``participants`` replaces the participants table. Pre-scored data,
    when the study names them, are read from their file.
    """
    if responses is None:
        data = read_study_data(study)
        if participants is None:
            return data
        table, found, record = read_frame(
            participants, role="participants", required=PARTICIPANT_REQUIRED, extra_allowed=True
        )
        replaced = {i.path for i in data.inputs if i.role == "participants"}
        return replace(
            data,
            participants=table,
            inputs=(*(i for i in data.inputs if i.role != "participants"), record),
            file_problems=(*(p for p in data.file_problems if p.file not in replaced), *found),
        )
    resp, problems, record = read_frame(
        responses, role="responses", required=RESPONSE_COLUMNS, extra_allowed=False
    )
    inputs = [record]
    if participants is not None:
        part, found, part_record = read_frame(
            participants, role="participants", required=PARTICIPANT_REQUIRED, extra_allowed=True
        )
        problems += found
        inputs.append(part_record)
    elif study.data.participants is not None:
        part, found_files, part_record = read_participants_file(study)
        problems += found_files
        inputs.append(part_record)
    else:
        part = _empty(PARTICIPANT_REQUIRED)
    data = TrialData(resp, part, _empty(PRESCORED_COLUMNS), tuple(inputs), tuple(problems))
    if study.data.scores is None:
        return data
    path = study.resolve(study.data.scores)
    scores, found = read_table(path, role="scores")
    if not found:
        found = _check_columns(scores, str(path), PRESCORED_COLUMNS, extra_allowed=False)
    return replace(
        data,
        prescored=scores,
        inputs=(*data.inputs, InputFile(str(path), sha256_of(path), len(scores), "scores")),
        file_problems=(*data.file_problems, *found),
    )
