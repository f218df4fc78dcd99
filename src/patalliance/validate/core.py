"""Running the validation: every file's rows checked, accounted for, and cleaned.

:func:`validate` applies the checks of :mod:`.participants`, :mod:`.responses` and
:mod:`.prescored`, excludes each row with an error for its first reason, and returns the
typed clean tables with the :class:`~patalliance.qc.ValidationReport`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.io.trialdata import (
    PARTICIPANT_REQUIRED,
    PRESCORED_COLUMNS,
    RESPONSE_COLUMNS,
    FileProblem,
    TrialData,
)
from patalliance.qc import Policy, Problem, ValidationReport
from patalliance.study import Study
from patalliance.validate._collector import Collector, with_columns
from patalliance.validate.identifiers import canonical, variant_warnings
from patalliance.validate.participants import check_participants
from patalliance.validate.prescored import check_prescored
from patalliance.validate.responses import check_responses


@dataclass(frozen=True)
class ValidatedData:
    """Data that passed validation: typed columns, excluded rows removed."""

    responses: pd.DataFrame
    participants: pd.DataFrame
    prescored: pd.DataFrame
    report: ValidationReport


def _check_measures_have_data(
    study: Study,
    responses: pd.DataFrame,
    r_reasons: pd.Series,
    prescored: pd.DataFrame,
    s_reasons: pd.Series,
    col: Collector,
    policy: Policy,
) -> None:
    """A warning for each measure of the study file that has no usable row at all.

    Its variables then do not exist, and an analysis plan that names them cannot run; the
    warning says whether no row was read for the measure or (lenient policy) every one was
    excluded. Under the strict policy a row with a problem fails the whole validation
    instead, so only a measure without any row read gets the warning, and only when there is
    no error (an unreadable file is reported as such, not as missing measures).
    """
    if policy == "strict" and any(p.severity == "error" for p in col.problems):
        return
    r_inst = responses["instrument"].str.strip() if len(responses) else pd.Series(dtype=object)
    r_tp = responses["timepoint"].str.strip() if len(responses) else pd.Series(dtype=object)
    s_measure = prescored["measure"].str.strip() if len(prescored) else pd.Series(dtype=object)
    for mid, measure in study.measures.items():
        r_rows = (r_inst == measure.instrument) & r_tp.isin(measure.timepoints)
        s_rows = s_measure == mid
        read = int(r_rows.sum()) + int(s_rows.sum())
        if policy == "strict" and read:
            continue
        used = bool((r_rows & (r_reasons == "")).any()) or bool((s_rows & (s_reasons == "")).any())
        if used:
            continue
        why = (
            f"all {read} of its rows were excluded"
            if read
            else f"no row of instrument {measure.instrument!r} at timepoints "
            f"{', '.join(measure.timepoints)} was read"
        )
        col.problems.append(
            Problem(
                str(study.path),
                None,
                f"measures.{mid}",
                "no_data",
                f"measure {mid!r} has no usable data: {why}; its variables are missing",
                "warning",
            )
        )


def validate(
    data: TrialData,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    *,
    policy: Policy | None = None,
) -> ValidatedData:
    """Check every row of the trial data and account for it.

    Parameters
    ----------
    data
        Raw data from :func:`patalliance.io.read_study_data`.
    study
        The study file.
    keys
        The scoring key of each measure, by measure id.
    policy
        "strict" or "lenient"; defaults to the study file's ``[data] policy``.

    Returns
    -------
    ValidatedData
        The typed, cleaned tables and the :class:`ValidationReport`. Under the strict policy
        the tables are only meaningful when ``report.ok``.
    """
    policy = policy or study.data.policy
    col = Collector(data.lines, data.decimal_comma_files)
    file_errors = [p for p in data.file_problems if p.severity == "error"]
    for fp in data.file_problems:
        col.problems.append(
            Problem(fp.file, fp.row, fp.column, fp.code, fp.message, fp.severity, fp.line)
        )

    col.problems.extend(variant_warnings([data.participants, data.responses, data.prescored]))
    participants = canonical(with_columns(data.participants, PARTICIPANT_REQUIRED))
    p_reasons = _file_reasons(participants, file_errors)
    known, listed = _validate_participants(participants, study, col, p_reasons)

    responses = canonical(with_columns(data.responses, RESPONSE_COLUMNS))
    r_reasons = _file_reasons(responses, file_errors)
    r_ok = responses[r_reasons == ""]
    item_num = pd.Series(np.nan, index=responses.index)
    value = pd.Series(np.nan, index=responses.index)
    if len(r_ok):
        i_num, val = check_responses(r_ok, study, keys, known, col, r_reasons, listed)
        item_num.loc[r_ok.index] = i_num
        value.loc[r_ok.index] = val

    prescored = canonical(with_columns(data.prescored, PRESCORED_COLUMNS))
    s_reasons = _file_reasons(prescored, file_errors)
    s_ok = prescored[s_reasons == ""]
    score = pd.Series(np.nan, index=prescored.index)
    if len(s_ok):
        score.loc[s_ok.index] = check_prescored(s_ok, study, keys, col, s_reasons)

    if study.data.participants is None and not len(participants):
        col.problems.append(
            Problem(
                str(study.path),
                None,
                "data.participants",
                "no_participants_file",
                "no participants file: arms are unknown, so by-arm results are skipped",
                "warning",
            )
        )

    _check_measures_have_data(study, responses, r_reasons, prescored, s_reasons, col, policy)

    tables = {
        "participants": (participants, p_reasons),
        "responses": (responses, r_reasons),
        "scores": (prescored, s_reasons),
    }
    report = _report(policy, col, data, tables, file_errors)
    return ValidatedData(
        _clean_responses(responses, r_reasons, item_num, value),
        _clean_participants(participants, p_reasons),
        _clean_scores(prescored, s_reasons, score),
        report,
    )


def _file_reasons(frame: pd.DataFrame, file_errors: Sequence[FileProblem]) -> pd.Series:
    """Per row: the code of the first error of its file, or "" when the file has none."""
    bad_files = {p.file for p in file_errors}
    reasons = pd.Series("", index=frame.index, dtype=object)
    file_bad = frame["_file"].isin(bad_files) if len(frame) else pd.Series(dtype=bool)
    if len(frame):
        first = {fp.file: fp.code for fp in reversed(file_errors)}
        reasons[file_bad] = frame.loc[file_bad, "_file"].map(first)
    return reasons


def _validate_participants(
    participants: pd.DataFrame, study: Study, col: Collector, p_reasons: pd.Series
) -> tuple[set[str] | None, set[str]]:
    """Check the participants rows.

    Returns the ids that the responses may use (None without a participants file) and every
    id listed in a readable participants file, valid or not.
    """
    p_ok_frame = participants[p_reasons == ""]
    listed = set(p_ok_frame["participant_id"].str.strip()) - {""}
    if len(p_ok_frame):
        check_participants(p_ok_frame, study, col, p_reasons)
    known: set[str] | None = None
    sdtm = study.data.sdtm
    if study.data.participants is not None or (sdtm is not None and sdtm.dm is not None):
        # a participants file, or an SDTM DM dataset: responses may name only its subjects
        good = participants[p_reasons == ""]
        known = set(good["participant_id"].str.strip()) if len(good) else set()
    return known, listed


def _report(
    policy: Policy,
    col: Collector,
    data: TrialData,
    tables: Mapping[str, tuple[pd.DataFrame, pd.Series]],
    file_errors: Sequence[FileProblem] = (),
) -> ValidationReport:
    """The report: every problem, and the rows read, used and excluded, in all and by file.

    A file with a file-level error (not UTF-8, not parseable, columns missing) is excluded
    whole: its entry says so under ``dropped`` (the code), and its rows count as read and
    excluded.
    """
    dropped = {fp.file: fp.code for fp in reversed(file_errors)}
    all_reasons = pd.concat([reasons for _, reasons in tables.values()], ignore_index=True)
    excluded = all_reasons[all_reasons != ""]
    rows_read = sum(len(frame) for frame, _ in tables.values())
    files = []
    for inp in data.inputs:
        frame, reasons = tables[inp.role]
        in_file = frame["_file"] == inp.path if len(frame) else pd.Series(dtype=bool)
        n_excl = int((reasons[in_file] != "").sum()) if len(frame) else 0
        entry = {**inp.to_dict(), "rows_used": inp.rows - n_excl, "rows_excluded": n_excl}
        if inp.path in dropped:
            entry["dropped"] = dropped[inp.path]
        files.append(entry)
    return ValidationReport(
        policy=policy,
        problems=tuple(col.problems),
        rows_read=rows_read,
        rows_used=rows_read - len(excluded),
        rows_excluded=len(excluded),
        excluded_by_reason=dict(sorted(Counter(excluded).items())),
        files=tuple(files),
    )


def _clean_responses(
    responses: pd.DataFrame, r_reasons: pd.Series, item_num: pd.Series, value: pd.Series
) -> pd.DataFrame:
    keep_r = r_reasons == ""
    return pd.DataFrame(
        {
            "participant_id": responses.loc[keep_r, "participant_id"].str.strip(),
            "timepoint": responses.loc[keep_r, "timepoint"].str.strip(),
            "instrument": responses.loc[keep_r, "instrument"].str.strip(),
            "item": item_num[keep_r].astype(np.int64)
            if keep_r.any()
            else pd.Series(dtype=np.int64),
            "value": value[keep_r].astype(float),
            "_file": responses.loc[keep_r, "_file"],
            "_row": responses.loc[keep_r, "_row"],
        }
    ).reset_index(drop=True)


def _clean_participants(participants: pd.DataFrame, p_reasons: pd.Series) -> pd.DataFrame:
    keep_p = p_reasons == ""
    clean_participants = participants.loc[keep_p].copy()
    for c in clean_participants.columns:
        if c not in {"_file", "_row"}:
            clean_participants[c] = clean_participants[c].astype(str).str.strip()
    return clean_participants.reset_index(drop=True)


def _clean_scores(prescored: pd.DataFrame, s_reasons: pd.Series, score: pd.Series) -> pd.DataFrame:
    keep_s = s_reasons == ""
    return pd.DataFrame(
        {
            "participant_id": prescored.loc[keep_s, "participant_id"].str.strip(),
            "timepoint": prescored.loc[keep_s, "timepoint"].str.strip(),
            "measure": prescored.loc[keep_s, "measure"].str.strip(),
            "scale": prescored.loc[keep_s, "scale"].str.strip(),
            "score": score[keep_s].astype(float),
        }
    ).reset_index(drop=True)
