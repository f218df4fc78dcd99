"""Validation: every problem in the data, collected at once, and an account of every row.

Each problem records file, row (1-based line; the header is line 1), column, a code and a
message that says how to fix it. Under the strict policy (default) any error fails
validation. Under the lenient policy the rows with errors are excluded, each with its reason.
Either way ``rows_read == rows_used + rows_excluded``.

The codes are listed in ``docs/validation.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.io.trialdata import (
    PARTICIPANT_REQUIRED,
    PRESCORED_COLUMNS,
    RESPONSE_COLUMNS,
    TrialData,
)
from patalliance.study import Study, suggest

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

    def location(self) -> str:
        parts = [Path(self.file).name if self.file else "(study)"]
        if self.row is not None:
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
            self.to_frame().to_csv(path, index=False)


@dataclass(frozen=True)
class ValidatedData:
    """Data that passed validation: typed columns, excluded rows removed."""

    responses: pd.DataFrame
    participants: pd.DataFrame
    prescored: pd.DataFrame
    report: ValidationReport


class _Collector:
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


def _as_number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.strip().str.replace(",", ".", regex=False), errors="coerce")


def _with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with every required column present (as blank text where a file lacked it).

    A file with a file-level problem (empty, undecodable, malformed, missing columns) has all
    its rows excluded; the blank columns only let the clean tables be built uniformly.
    """
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    return frame.assign(**{c: pd.Series("", index=frame.index, dtype=object) for c in missing})


def _instrument_keys(study: Study, keys: Mapping[str, InstrumentKey]) -> dict[str, InstrumentKey]:
    return {m.instrument: keys[mid] for mid, m in study.measures.items()}


def _check_participants(
    frame: pd.DataFrame, study: Study, col: _Collector, reasons: pd.Series
) -> None:
    pid = frame["participant_id"].str.strip()
    col.add_rows(
        frame,
        pid == "",
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
        reasons=reasons,
    )
    arms = list(study.arms)
    arm = frame["arm"].str.strip()
    bad_arm = ~arm.isin(arms)
    col.add_rows(
        frame,
        bad_arm,
        column="arm",
        code="unknown_arm",
        message=[
            f"unknown arm {a!r}{suggest(a, arms)}; declared arms: {', '.join(arms)}"
            for a in arm[bad_arm]
        ],
        reasons=reasons,
    )
    dup = pid.duplicated(keep=False) & (pid != "")
    if dup.any():
        arms_per = arm[dup].groupby(pid[dup]).nunique()
        conflicting = pid.isin(arms_per.index[arms_per > 1]) & dup
        col.add_rows(
            frame,
            conflicting,
            column="arm",
            code="conflicting_arm",
            message=[
                f"participant {p!r} appears more than once with different arms; keep one row per participant"
                for p in pid[conflicting]
            ],
            reasons=reasons,
        )
        identical = dup & ~conflicting & pid.duplicated(keep="first")
        col.add_rows(
            frame,
            identical,
            column="participant_id",
            code="duplicate_participant",
            message=[
                f"participant {p!r} is listed twice; the repeat is ignored" for p in pid[identical]
            ],
            reasons=reasons,
        )


def _check_responses(
    frame: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    known_participants: set[str] | None,
    col: _Collector,
    reasons: pd.Series,
    listed: set[str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Check item responses; return parsed (item, value) series."""
    by_instrument = _instrument_keys(study, keys)
    missing_codes = set(study.data.missing_codes)
    pid = frame["participant_id"].str.strip()
    tp = frame["timepoint"].str.strip()
    inst = frame["instrument"].str.strip()

    col.add_rows(
        frame,
        pid == "",
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
        reasons=reasons,
    )
    if known_participants is not None:
        unknown_p = (pid != "") & ~pid.isin(known_participants)
        col.add_rows(
            frame,
            unknown_p,
            column="participant_id",
            code="unknown_participant",
            message=[
                f"participant {p!r} has no valid row in the participants file; fix the "
                "problems reported there"
                if listed and p in listed
                else f"participant {p!r} is not in the participants file; add them there with their arm"
                for p in pid[unknown_p]
            ],
            reasons=reasons,
        )
    instruments = sorted(by_instrument)
    unknown_i = ~inst.isin(instruments)
    col.add_rows(
        frame,
        unknown_i,
        column="instrument",
        code="unknown_instrument",
        message=[
            f"instrument {i!r} is not measured in this study{suggest(i, instruments)}; "
            f"study instruments: {', '.join(instruments)}"
            for i in inst[unknown_i]
        ],
        reasons=reasons,
    )
    tps = study.timepoint_ids
    unknown_t = ~tp.isin(tps)
    col.add_rows(
        frame,
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        message=[
            f"timepoint {t!r} is not declared in the study file{suggest(t, tps)}; declared: {', '.join(tps)}"
            for t in tp[unknown_t]
        ],
        reasons=reasons,
    )
    allowed = {(m.instrument, t) for m in study.measures.values() for t in m.timepoints}
    pair_ok = pd.Series(
        [(i, t) in allowed for i, t in zip(inst, tp, strict=True)], index=frame.index, dtype=bool
    )
    undeclared = ~unknown_i & ~unknown_t & ~pair_ok
    col.add_rows(
        frame,
        undeclared,
        column="timepoint",
        code="instrument_timepoint",
        message=[
            f"{i} is not declared at timepoint {t!r}; add it to the measure's timepoints in the study file"
            for i, t in zip(inst[undeclared], tp[undeclared], strict=True)
        ],
        reasons=reasons,
    )

    item_text = frame["item"].str.strip()
    item_num = _as_number(item_text)
    bad_item = item_num.isna() | (item_num != np.floor(item_num))
    col.add_rows(
        frame,
        bad_item,
        column="item",
        code="invalid_item",
        message=[
            f"item {v!r} is not a whole number; items are 1-based integers"
            for v in item_text[bad_item]
        ],
        reasons=reasons,
    )
    n_items = inst.map({i: k.instrument.n_items for i, k in by_instrument.items()})
    outside = ~bad_item & ~unknown_i & ((item_num < 1) | (item_num > n_items))
    col.add_rows(
        frame,
        outside,
        column="item",
        code="item_out_of_key",
        message=[
            f"item {int(v)} does not exist in {i}, which has items 1..{int(n)}"
            for v, i, n in zip(item_num[outside], inst[outside], n_items[outside], strict=True)
        ],
        reasons=reasons,
    )

    value_text = frame["value"].str.strip()
    value = _as_number(value_text)
    blank = value_text == ""
    non_numeric = ~blank & value.isna()
    col.add_rows(
        frame,
        non_numeric,
        column="value",
        code="non_numeric",
        message=[
            f"value {v!r} is not a number; use a number, or leave the cell empty for a missing answer"
            for v in value_text[non_numeric]
        ],
        reasons=reasons,
    )
    is_missing_code = value.isin(missing_codes)
    value = value.where(~is_missing_code)
    item_ok = ~bad_item & ~outside & ~unknown_i
    lo = pd.Series(np.nan, index=frame.index)
    hi = pd.Series(np.nan, index=frame.index)
    integer = pd.Series(False, index=frame.index)
    for name, key in by_instrument.items():
        rows = item_ok & (inst == name)
        if not rows.any():
            continue
        items = item_num[rows].astype(np.int64)
        lo[rows] = items.map(key.item_min).to_numpy()
        hi[rows] = items.map(key.item_max).to_numpy()
        integer[rows] = key.instrument.integer
    present = value.notna() & item_ok
    out_of_range = present & ((value < lo) | (value > hi))
    col.add_rows(
        frame,
        out_of_range,
        column="value",
        code="out_of_range",
        message=[
            f"value {v:g} is outside the range of {i} item {int(it)} ({a:g}–{b:g})"
            + ("; if it is a missing code, declare it in [data] missing_codes" if v < 0 else "")
            for v, i, it, a, b in zip(
                value[out_of_range],
                inst[out_of_range],
                item_num[out_of_range],
                lo[out_of_range],
                hi[out_of_range],
                strict=True,
            )
        ],
        reasons=reasons,
    )
    non_integer = present & ~out_of_range & integer & (value != np.floor(value))
    col.add_rows(
        frame,
        non_integer,
        column="value",
        code="non_integer",
        message=[
            f"value {v:g} is not a whole number, but {i} items take whole numbers"
            for v, i in zip(value[non_integer], inst[non_integer], strict=True)
        ],
        reasons=reasons,
    )

    keycols = pd.DataFrame({"p": pid, "t": tp, "i": inst, "k": item_text})
    dup_all = keycols.duplicated(keep=False)
    if dup_all.any():
        with_value = keycols.assign(v=value_text)
        n_distinct = with_value[dup_all].groupby(["p", "t", "i", "k"])["v"].transform("nunique")
        conflicting = pd.Series(False, index=frame.index)
        conflicting[n_distinct.index] = n_distinct > 1
        col.add_rows(
            frame,
            conflicting,
            column="value",
            code="conflicting_duplicate",
            message=[
                f"{p} {t} {i} item {k} appears more than once with different values; keep the correct row"
                for p, t, i, k in zip(
                    pid[conflicting],
                    tp[conflicting],
                    inst[conflicting],
                    item_text[conflicting],
                    strict=True,
                )
            ],
            reasons=reasons,
        )
        repeat = dup_all & ~conflicting & keycols.duplicated(keep="first")
        col.add_rows(
            frame,
            repeat,
            column="",
            code="duplicate_row",
            message="this row repeats an earlier row exactly; delete the repeat",
            reasons=reasons,
        )
    return item_num, value


def _check_prescored(
    frame: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    col: _Collector,
    reasons: pd.Series,
) -> pd.Series:
    measures = list(study.measures)
    measure = frame["measure"].str.strip()
    unknown_m = ~measure.isin(measures)
    col.add_rows(
        frame,
        unknown_m,
        column="measure",
        code="unknown_measure",
        message=[
            f"measure {m!r} is not in the study file{suggest(m, measures)}"
            for m in measure[unknown_m]
        ],
        reasons=reasons,
    )
    tp = frame["timepoint"].str.strip()
    unknown_t = ~tp.isin(study.timepoint_ids)
    col.add_rows(
        frame,
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        message=[
            f"timepoint {t!r} is not declared in the study file{suggest(t, study.timepoint_ids)}"
            for t in tp[unknown_t]
        ],
        reasons=reasons,
    )
    scale = frame["scale"].str.strip()
    bad_scale = pd.Series(False, index=frame.index)
    for mid in measures:
        names = {s.id for s in keys[mid].scales}
        rows = (measure == mid) & ~scale.isin(names)
        bad_scale |= rows
    col.add_rows(
        frame,
        bad_scale,
        column="scale",
        code="unknown_scale",
        message=[
            f"scale {s!r} is not a scale of measure {m!r}"
            for s, m in zip(scale[bad_scale], measure[bad_scale], strict=True)
        ],
        reasons=reasons,
    )
    text = frame["score"].str.strip()
    score = _as_number(text)
    bad = (text != "") & score.isna()
    col.add_rows(
        frame,
        bad,
        column="score",
        code="non_numeric",
        message=[f"score {v!r} is not a number" for v in text[bad]],
        reasons=reasons,
    )
    return score


def _check_measures_have_data(
    study: Study,
    responses: pd.DataFrame,
    r_reasons: pd.Series,
    prescored: pd.DataFrame,
    s_reasons: pd.Series,
    col: _Collector,
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
    col = _Collector()
    file_errors = [p for p in data.file_problems if p.severity == "error"]
    bad_files = {p.file for p in file_errors}
    for fp in data.file_problems:
        col.problems.append(Problem(fp.file, fp.row, fp.column, fp.code, fp.message, fp.severity))

    def reasons_for(frame: pd.DataFrame) -> pd.Series:
        reasons = pd.Series("", index=frame.index, dtype=object)
        file_bad = frame["_file"].isin(bad_files) if len(frame) else pd.Series(dtype=bool)
        if len(frame):
            first = {fp.file: fp.code for fp in reversed(file_errors)}
            reasons[file_bad] = frame.loc[file_bad, "_file"].map(first)
        return reasons

    participants = _with_columns(data.participants, PARTICIPANT_REQUIRED)
    p_reasons = reasons_for(participants)
    p_ok_frame = participants[p_reasons == ""]
    listed = set(p_ok_frame["participant_id"].str.strip()) - {""}
    if len(p_ok_frame):
        _check_participants(p_ok_frame, study, col, p_reasons)
    known: set[str] | None = None
    if study.data.participants is not None:
        good = participants[p_reasons == ""]
        known = set(good["participant_id"].str.strip()) if len(good) else set()

    responses = _with_columns(data.responses, RESPONSE_COLUMNS)
    r_reasons = reasons_for(responses)
    r_ok = responses[r_reasons == ""]
    item_num = pd.Series(np.nan, index=responses.index)
    value = pd.Series(np.nan, index=responses.index)
    if len(r_ok):
        i_num, val = _check_responses(r_ok, study, keys, known, col, r_reasons, listed)
        item_num.loc[r_ok.index] = i_num
        value.loc[r_ok.index] = val

    prescored = _with_columns(data.prescored, PRESCORED_COLUMNS)
    s_reasons = reasons_for(prescored)
    s_ok = prescored[s_reasons == ""]
    score = pd.Series(np.nan, index=prescored.index)
    if len(s_ok):
        score.loc[s_ok.index] = _check_prescored(s_ok, study, keys, col, s_reasons)

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

    all_reasons = pd.concat([p_reasons, r_reasons, s_reasons], ignore_index=True)
    excluded = all_reasons[all_reasons != ""]
    rows_read = len(participants) + len(responses) + len(prescored)
    files = []
    for inp in data.inputs:
        frame, reasons = {
            "participants": (participants, p_reasons),
            "responses": (responses, r_reasons),
            "scores": (prescored, s_reasons),
        }[inp.role]
        in_file = frame["_file"] == inp.path if len(frame) else pd.Series(dtype=bool)
        n_excl = int((reasons[in_file] != "").sum()) if len(frame) else 0
        files.append({**inp.to_dict(), "rows_used": inp.rows - n_excl, "rows_excluded": n_excl})
    report = ValidationReport(
        policy=policy,
        problems=tuple(col.problems),
        rows_read=rows_read,
        rows_used=rows_read - len(excluded),
        rows_excluded=len(excluded),
        excluded_by_reason=dict(sorted(Counter(excluded).items())),
        files=tuple(files),
    )

    keep_r = r_reasons == ""
    clean_responses = pd.DataFrame(
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
    keep_p = p_reasons == ""
    clean_participants = participants.loc[keep_p].copy()
    for c in clean_participants.columns:
        if c not in {"_file", "_row"}:
            clean_participants[c] = clean_participants[c].astype(str).str.strip()
    clean_participants = clean_participants.reset_index(drop=True)
    keep_s = s_reasons == ""
    clean_scores = pd.DataFrame(
        {
            "participant_id": prescored.loc[keep_s, "participant_id"].str.strip(),
            "timepoint": prescored.loc[keep_s, "timepoint"].str.strip(),
            "measure": prescored.loc[keep_s, "measure"].str.strip(),
            "scale": prescored.loc[keep_s, "scale"].str.strip(),
            "score": score[keep_s].astype(float),
        }
    ).reset_index(drop=True)
    return ValidatedData(clean_responses, clean_participants, clean_scores, report)
