"""Running the validation: every file's rows checked, accounted for, and cleaned.

:func:`validate` applies the checks of :mod:`.participants`, :mod:`.responses` and
:mod:`.prescored`, excludes each row with an error for its first reason, and returns the
typed clean tables with the :class:`~patalliance.qc.ValidationReport`. The checks work on
coded columns (:mod:`.coded`): each distinct text is parsed once, and the rows are reached
through integer codes.
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
from patalliance.validate._collector import Collector, Reasons, Table
from patalliance.validate.coded import Coded, code_dtype
from patalliance.validate.identifiers import nfc, variant_warnings
from patalliance.validate.participants import check_participants
from patalliance.validate.prescored import check_prescored
from patalliance.validate.responses import Parsed, check_responses


@dataclass(frozen=True)
class ValidatedData:
    """Data that passed validation: typed columns, excluded rows removed.

    In ``responses`` the participant ids, timepoints, instruments and files are pandas
    Categoricals (their categories sorted), ``item`` is an integer and ``value`` a float.
    """

    responses: pd.DataFrame
    participants: pd.DataFrame
    prescored: pd.DataFrame
    report: ValidationReport


def _table(
    frame: pd.DataFrame, columns: list[str], file_errors: Sequence[FileProblem]
) -> tuple[Table, Coded]:
    """The raw table coded, and its participant ids as read (stripped, before NFC)."""
    n = len(frame)
    cells = {c: Coded.of(frame[c] if c in frame.columns else None, n) for c in columns}
    raw_ids = cells["participant_id"]
    cells["participant_id"] = nfc(raw_ids)
    files = Coded.of(frame["_file"] if n else None, n, strip=False)
    rows = frame["_row"].to_numpy(dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    table = Table(cells, files, rows, Reasons(n))
    # a file with a file-level error is excluded whole, for the first error of the file
    first = {fp.file: fp.code for fp in reversed(file_errors)}
    for file, code in first.items():
        table.reasons.exclude(files.equals(file), code)
    return table, raw_ids


def _check_measures_have_data(
    study: Study, responses: Table, prescored: Table, col: Collector, policy: Policy
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
    inst, tp = responses["instrument"], responses["timepoint"]
    n_pairs = len(inst.values) * len(tp.values)
    pair = inst.codes.astype(np.int64) * len(tp.values) + tp.codes
    shape = (len(inst.values), len(tp.values))
    read_pairs = np.bincount(pair, minlength=n_pairs).reshape(shape)
    used_pairs = np.bincount(pair[responses.reasons.ok], minlength=n_pairs).reshape(shape)
    s_measure = prescored["measure"]
    s_read = np.bincount(s_measure.codes, minlength=len(s_measure.values))
    s_used = np.bincount(s_measure.codes[prescored.reasons.ok], minlength=len(s_measure.values))
    for mid, measure in study.measures.items():
        sel = np.ix_(
            np.asarray(inst.values == measure.instrument), tp.values.isin(measure.timepoints)
        )
        of_measure = np.asarray(s_measure.values == mid)
        read = int(read_pairs[sel].sum()) + int(s_read[of_measure].sum())
        if policy == "strict" and read:
            continue
        if used_pairs[sel].sum() or s_used[of_measure].sum():
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
    participants, p_raw = _table(data.participants, PARTICIPANT_REQUIRED, file_errors)
    responses, r_raw = _table(data.responses, RESPONSE_COLUMNS, file_errors)
    prescored, s_raw = _table(data.prescored, PRESCORED_COLUMNS, file_errors)
    raw_ids = [(p_raw, participants), (r_raw, responses), (s_raw, prescored)]
    col.problems.extend(variant_warnings([(ids, t.files, t.rows) for ids, t in raw_ids]))
    known, listed = _validate_participants(participants, study, col)

    active = responses.reasons.ok
    parsed = Parsed(np.zeros(len(responses), dtype=np.int8), np.zeros(1), np.zeros(1))
    if active.any():
        parsed = check_responses(responses, active, study, keys, known, col, listed)

    score = np.full(len(prescored), np.nan)
    if prescored.reasons.ok.any():
        score = check_prescored(prescored, prescored.reasons.ok, study, keys, col)

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

    _check_measures_have_data(study, responses, prescored, col, policy)
    tables = {"participants": participants, "responses": responses, "scores": prescored}
    report = _report(policy, col, data, tables, file_errors)
    return ValidatedData(
        _clean_responses(responses, parsed),
        _clean_participants(data.participants, participants),
        _clean_scores(prescored, score),
        report,
    )


def _validate_participants(
    participants: Table, study: Study, col: Collector
) -> tuple[set[str] | None, set[str]]:
    """Check the participants rows.

    Returns the ids that the responses may use (None without a participants file) and every
    id listed in a readable participants file, valid or not.
    """
    pid = participants["participant_id"]
    active = participants.reasons.ok
    listed = set(pid.text(active)) - {""}
    if active.any():
        check_participants(participants, active, study, col)
    known: set[str] | None = None
    sdtm = study.data.sdtm
    if study.data.participants is not None or (sdtm is not None and sdtm.dm is not None):
        # a participants file, or an SDTM DM dataset: responses may name only its subjects
        known = set(pid.text(participants.reasons.ok))
    return known, listed


def _report(
    policy: Policy,
    col: Collector,
    data: TrialData,
    tables: Mapping[str, Table],
    file_errors: Sequence[FileProblem] = (),
) -> ValidationReport:
    """The report: every problem, and the rows read, used and excluded, in all and by file.

    A file with a file-level error (not UTF-8, not parseable, columns missing) is excluded
    whole: its entry says so under ``dropped`` (the code), and its rows count as read and
    excluded.
    """
    dropped = {fp.file: fp.code for fp in reversed(file_errors)}
    excluded: Counter[str] = Counter()
    for table in tables.values():
        excluded.update(table.reasons.counts())
    rows_read = sum(len(table) for table in tables.values())
    n_excluded = sum(excluded.values())
    files = []
    for inp in data.inputs:
        table = tables[inp.role]
        n_excl = int((table.files.equals(inp.path) & ~table.reasons.ok).sum())
        entry = {**inp.to_dict(), "rows_used": inp.rows - n_excl, "rows_excluded": n_excl}
        if inp.path in dropped:
            entry["dropped"] = dropped[inp.path]
        files.append(entry)
    return ValidationReport(
        policy=policy,
        problems=tuple(col.problems),
        rows_read=rows_read,
        rows_used=rows_read - n_excluded,
        rows_excluded=n_excluded,
        excluded_by_reason=dict(sorted(excluded.items())),
        files=tuple(files),
    )


def _categorical(cells: Coded, keep: np.ndarray | None) -> pd.Categorical:
    """The kept rows' texts (every row's for None) as a Categorical of the texts they use,
    sorted."""
    codes = cells.codes if keep is None else cells.codes[keep]
    used = np.flatnonzero(np.bincount(codes, minlength=len(cells.values)))
    texts = cells.values.to_numpy(dtype=object)[used]
    order = np.argsort(texts, kind="stable")
    categories = pd.Index(texts[order], dtype="str")
    if len(used) == len(cells.values) and (order == np.arange(len(order))).all():
        new = codes  # every text used, already sorted
    else:
        remap = np.zeros(len(cells.values), dtype=code_dtype(len(used)))
        remap[used[order]] = np.arange(len(used))
        new = remap[codes]
    return pd.Categorical.from_codes(new, categories=categories, validate=False)


def _text(cells: Coded, keep: np.ndarray) -> pd.Series:
    return pd.Series(cells.values.to_numpy(dtype=object)[cells.codes[keep]], dtype="str")


def _clean_responses(responses: Table, parsed: Parsed) -> pd.DataFrame:
    ok = responses.reasons.ok
    keep = None if ok.all() else ok
    every = slice(None) if keep is None else keep
    return pd.DataFrame(
        {
            "participant_id": _categorical(responses["participant_id"], keep),
            "timepoint": _categorical(responses["timepoint"], keep),
            "instrument": _categorical(responses["instrument"], keep),
            "item": parsed.items(every).astype(np.int64),
            "value": parsed.values(every).astype(float, copy=False),
            "_file": _categorical(responses.files, keep),
            "_row": responses.rows[every],
        },
        copy=False,
    )


def _clean_participants(frame: pd.DataFrame, participants: Table) -> pd.DataFrame:
    keep = participants.reasons.ok
    clean = with_columns(frame, PARTICIPANT_REQUIRED).loc[keep].copy()
    pid = participants["participant_id"]
    clean["participant_id"] = pid.values.to_numpy(dtype=object)[pid.codes[keep]]
    for c in clean.columns:
        if c not in {"_file", "_row"}:
            clean[c] = clean[c].astype(str).str.strip()
    return clean.reset_index(drop=True)


def _clean_scores(prescored: Table, score: np.ndarray) -> pd.DataFrame:
    keep = prescored.reasons.ok
    return pd.DataFrame(
        {
            "participant_id": _text(prescored["participant_id"], keep),
            "timepoint": _text(prescored["timepoint"], keep),
            "measure": _text(prescored["measure"], keep),
            "scale": _text(prescored["scale"], keep),
            "score": score[keep].astype(float),
        }
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
