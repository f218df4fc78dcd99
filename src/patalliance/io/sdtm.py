"""Reader of CDISC SDTM questionnaires (``format = "sdtm"``).

The QS (or RS) domain, as CSV or SAS transport (``.xpt``): ``USUBJID``, ``QSCAT``,
``QSTESTCD``, ``QSSTRESN`` (falling back to ``QSORRES``), ``VISIT``/``VISITNUM``. The study file
maps category → instrument (``[data.sdtm.categories]``), test code → item
(``[data.sdtm.testcodes]``; by default the test code's trailing number, ``WAISR07`` → 7) and
visit → timepoint (``[data.sdtm.visits]``, by ``VISIT`` or ``VISITNUM``). The arm comes from a
DM dataset (``ARMCD``, else ``ARM``, mapped by ``[data.sdtm.arms]``) or a participants file.

References
----------
CDISC Submission Data Standards Team (2021). Study Data Tabulation Model Implementation Guide:
Human Clinical Trials, version 3.4. CDISC.
"""

from __future__ import annotations

import re

import pandas as pd

from patalliance.errors import ConfigError
from patalliance.io.tidy import (
    _empty,
    read_participants_file,
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
from patalliance.io.wide import read_wide_file
from patalliance.study import Study

_TRAILING_NUMBER = re.compile(r"(\d+)$")


#: DM columns that identify the participant and the arm; every other DM column (AGE, SEX, a
#: facilitator, any covariate) becomes a participants-file column under its own name.
_DM_IDENTIFIERS = frozenset({"STUDYID", "DOMAIN", "USUBJID", "ARMCD", "ARM"})


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _column(frame: pd.DataFrame, *names: str) -> pd.Series:
    for name in names:
        if name in frame.columns:
            return frame[name].astype(str).str.strip()
    return pd.Series("", index=frame.index, dtype=object)


def _domain(frame: pd.DataFrame) -> str | None:
    for prefix in ("QS", "RS"):
        if f"{prefix}TESTCD" in frame.columns:
            return prefix
    return None


def _dropped(frame: pd.DataFrame, name: str, sha: str) -> tuple[pd.DataFrame, InputFile]:
    """A dataset excluded whole: one blank row per record read, so they are counted."""
    rows = frame[["_row"]].assign(_file=name) if "_row" in frame.columns else frame.iloc[:0]
    rows = rows if len(rows) else _empty(RESPONSE_COLUMNS)
    return rows, InputFile(name, sha, len(rows), "responses")


def _read_qs(study: Study, rel: str) -> tuple[pd.DataFrame, InputFile, list[FileProblem]]:
    assert study.data.sdtm is not None
    opts = study.data.sdtm
    path = study.resolve(rel)
    frame, _, problems = read_wide_file(path)
    name = str(path)
    if problems:
        return (*_dropped(frame, name, sha256_of(path)), problems)
    frame.columns = [c.upper() if c not in {"_file", "_row"} else c for c in frame.columns]
    prefix = _domain(frame)
    required = ["USUBJID", f"{prefix or 'QS'}TESTCD", f"{prefix or 'QS'}CAT"]
    missing = [c for c in required if c not in frame.columns]
    if prefix is not None and not {f"{prefix}STRESN", f"{prefix}ORRES"} & set(frame.columns):
        missing.append(f"{prefix}STRESN")
    if not {"VISIT", "VISITNUM"} & set(frame.columns):
        missing.append("VISIT")
    if missing:
        problems = [
            FileProblem(
                name,
                "missing_column",
                f"not an SDTM QS/RS dataset: column {c} is missing (needed: USUBJID, QSCAT, "
                "QSTESTCD, QSSTRESN or QSORRES, VISIT or VISITNUM)",
                column=c,
                row=1,
            )
            for c in missing
        ]
        return (*_dropped(frame, name, sha256_of(path)), problems)
    assert prefix is not None
    instruments = {m.instrument for m in study.measures.values()}
    categories = {**{_norm(k): v for k, v in opts.categories.items()}}
    category = frame[f"{prefix}CAT"].str.strip()
    instrument = category.map(
        lambda c: categories.get(_norm(c)) or (_norm(c) if _norm(c) in instruments else c)
    )
    testcd = frame[f"{prefix}TESTCD"].str.strip()

    def item_of(code: str) -> str:
        if code in opts.testcodes:
            return str(opts.testcodes[code])
        match = _TRAILING_NUMBER.search(code)
        return str(int(match.group(1))) if match else code

    stresn = _column(frame, f"{prefix}STRESN")
    orres = _column(frame, f"{prefix}ORRES")
    value = stresn.where(stresn != "", orres)
    visit = _column(frame, "VISIT")
    visitnum = _column(frame, "VISITNUM")
    tp_ids = set(study.timepoint_ids)

    def timepoint_of(v: str, n: str) -> str:
        for key in (v, n):
            if key and key in opts.visits:
                return opts.visits[key]
        if _norm(v) in tp_ids:
            return _norm(v)
        return v or n

    timepoint = pd.Series(
        [timepoint_of(v, n) for v, n in zip(visit, visitnum, strict=True)],
        index=frame.index,
        dtype=object,
    )
    responses = pd.DataFrame(
        {
            "participant_id": frame["USUBJID"].str.strip(),
            "timepoint": timepoint,
            "instrument": instrument,
            "item": testcd.map(item_of),
            "value": value,
            "_file": frame["_file"],
            "_row": frame["_row"],
        }
    )
    return responses, InputFile(name, sha256_of(path), len(responses), "responses"), []


def read_sdtm(study: Study) -> TrialData:
    """Read ``format = "sdtm"`` data into a :class:`TrialData`."""
    opts = study.data.sdtm
    assert opts is not None  # checked when the study file was loaded
    frames, inputs, problems = [], [], []
    for rel in opts.qs:
        frame, inp, file_problems = _read_qs(study, rel)
        frames.append(frame)
        inputs.append(inp)
        problems.extend(file_problems)
    responses = pd.concat(frames, ignore_index=True) if frames else _empty(RESPONSE_COLUMNS)
    participants = _empty(PARTICIPANT_REQUIRED)
    if opts.dm is not None and study.data.participants is not None:
        raise ConfigError(
            "data.sdtm.dm: give the arms either in a DM dataset or in a participants file, not both"
        )
    if opts.dm is not None:
        path = study.resolve(opts.dm)
        dm, _, dm_problems = read_wide_file(path)
        extra: dict[str, str] = {}
        if not dm_problems:
            extra = {
                c.upper(): c
                for c in dm.columns
                if c.upper() not in _DM_IDENTIFIERS and c not in {"_file", "_row"}
            }
            dm.columns = [c.upper() if c not in {"_file", "_row"} else c for c in dm.columns]
            dm_problems = [
                FileProblem(
                    str(path),
                    "missing_column",
                    f"not an SDTM DM dataset: column {c} is missing (needed: USUBJID and ARMCD or ARM)",
                    column=c,
                    row=1,
                )
                for c in ("USUBJID", "ARMCD")
                if c not in dm.columns and not (c == "ARMCD" and "ARM" in dm.columns)
            ]
        if not dm_problems:
            arms = {_norm(k): v for k, v in opts.arms.items()}
            study_arms = set(study.arms)

            def arm_of(code: str, label: str) -> str:
                for key in (code, label):
                    if key and _norm(key) in arms:
                        return arms[_norm(key)]
                for key in (code, label):
                    if _norm(key) in study_arms:
                        return _norm(key)
                return code or label

            armcd, arm = _column(dm, "ARMCD"), _column(dm, "ARM")
            participants = pd.DataFrame(
                {
                    "participant_id": dm["USUBJID"].str.strip(),
                    "arm": [arm_of(c, a) for c, a in zip(armcd, arm, strict=True)],
                    **{name: dm[upper] for upper, name in extra.items()},
                    "_file": dm["_file"],
                    "_row": dm["_row"],
                }
            )
        problems.extend(dm_problems)
        inputs.append(InputFile(str(path), sha256_of(path), len(participants), "participants"))
    elif study.data.participants is not None:
        participants, p_problems, p_input = read_participants_file(study)
        problems.extend(p_problems)
        inputs.append(p_input)
    return TrialData(
        responses=responses,
        participants=participants,
        prescored=_empty(PRESCORED_COLUMNS),
        inputs=tuple(inputs),
        file_problems=tuple(problems),
    )
