"""Readers: every input format becomes one :class:`TrialData` with per-row provenance.

``read_study_data`` picks the reader from the study file's ``[data] format``: ``tidy``
(long CSV/Parquet), ``redcap`` (REDCap export + data dictionary), ``wide`` (SPSS/Stata/SAS,
wide CSV/Excel) or ``sdtm`` (CDISC SDTM QS/RS). The formats are documented in
``docs/data-formats.md``.
"""

from __future__ import annotations

from dataclasses import replace

from patalliance.io import tidy
from patalliance.io.trialdata import PRESCORED_COLUMNS, InputFile, TrialData
from patalliance.study import Study


def read_study_data(study: Study) -> TrialData:
    """Read every data file named in the study's ``[data]`` table into one TrialData."""
    fmt = study.data.format
    if fmt == "tidy":
        return tidy.read_study_data(study)
    if fmt == "redcap":
        from patalliance.io.redcap import read_redcap

        data = read_redcap(study)
    elif fmt == "wide":
        from patalliance.io.wide import read_wide

        data = read_wide(study)
    else:
        from patalliance.io.sdtm import read_sdtm

        data = read_sdtm(study)
    if study.data.scores is None:
        return data
    # pre-scored totals may accompany any format
    path = study.resolve(study.data.scores)
    frame, problems = tidy.read_table(path, role="scores")
    lines, separator = frame.attrs.pop("lines", {}), frame.attrs.pop("separator", ",")
    if not problems:
        problems = tidy._check_columns(frame, str(path), PRESCORED_COLUMNS, extra_allowed=False)
    return replace(
        data,
        prescored=frame,
        inputs=(*data.inputs, InputFile(str(path), tidy.sha256_of(path), len(frame), "scores")),
        file_problems=(*data.file_problems, *problems),
        lines={**data.lines, str(path): lines},
        decimal_comma_files=data.decimal_comma_files | ({str(path)} if separator == ";" else set()),
    )


__all__ = ["InputFile", "TrialData", "read_study_data"]
