"""``patalliance export``: a study's validated data written in another format, with a
``study.toml`` that reads it back.

Targets: ``redcap`` (records + data dictionary), ``wide-csv``, ``xlsx``, ``sav``, ``dta``,
``xpt`` (one row per participant × timepoint) and ``sdtm`` (QS + DM datasets as CSV, plus the
scores as an ADaM BDS-style ``adqs.csv``). Only rows that passed validation are written;
missing codes are written as blank cells. The formats are documented in
``docs/data-formats.md``.

:func:`adqs_frame` turns the analysis table into ADQS rows: ``USUBJID``, ``PARAMCD``,
``PARAM``, ``AVISIT``, ``AVISITN``, ``AVAL``, ``BASE``, ``CHG``, ``ABLFL``.

References
----------
CDISC Submission Data Standards Team (2021). Study Data Tabulation Model Implementation Guide:
Human Clinical Trials, version 3.4. CDISC.
CDISC Analysis Data Model Team (2021). ADaM Implementation Guide, version 1.3. CDISC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from patalliance.errors import ConfigError
from patalliance.export_meta import column_meta, write_dta, write_sav, write_xpt
from patalliance.export_names import check_column_names
from patalliance.instruments.key import InstrumentKey
from patalliance.io.wide import require_pyreadstat
from patalliance.pipeline import Prepared, prepare
from patalliance.safe_cells import safe_frame, write_csv
from patalliance.study import Study
from patalliance.validate import Policy

ADQS_COLUMNS = [
    "STUDYID",
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "AVISIT",
    "AVISITN",
    "AVAL",
    "BASE",
    "CHG",
    "ABLFL",
]
#: AVISITN of derived peaks (after every protocol visit).
PEAK_VISITN = 999
Target = Literal["redcap", "wide-csv", "xlsx", "sav", "dta", "xpt", "sdtm"]
TARGETS: tuple[str, ...] = ("redcap", "wide-csv", "xlsx", "sav", "dta", "xpt", "sdtm")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def rewrite_data_table(study_text: str, data_block: str) -> str:
    """The study file's text with its ``[data]`` table (and ``[data.*]`` sub-tables) replaced."""
    out: list[str] = []
    skipping = False
    for line in study_text.splitlines():
        match = _HEADER.match(line)
        if match:
            name = match.group(1).replace('"', "").replace("'", "").strip()
            skipping = name == "data" or name.startswith("data.")
            if skipping and name == "data":
                out.append(data_block.rstrip("\n") + "\n")
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def _common_data_keys(prepared: Prepared) -> str:
    data = prepared.study.data
    lines = []
    if data.missing_codes:
        lines.append("missing_codes = [" + ", ".join(f"{c:g}" for c in data.missing_codes) + "]")
    if data.policy != "strict":
        lines.append(f"policy = {_toml_str(data.policy)}")
    if len(prepared.validated.prescored):
        lines.append('scores = "scores.csv"')
    return "\n".join(lines) + ("\n" if lines else "")


def _covariates(prepared: Prepared) -> list[str]:
    return [
        c
        for c in prepared.validated.participants.columns
        if c not in {"participant_id", "arm", "_file", "_row"}
    ]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its Categorical columns as plain text (the validated responses code
    their ids, timepoints and instruments)."""
    coded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: str for c in coded}) if coded else frame


def _value_text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else f"{v:g}")


def _wide_frame(prepared: Prepared) -> pd.DataFrame:
    """One row per participant × timepoint: id, timepoint, arm, covariates, item columns."""
    responses = _as_text(prepared.validated.responses)
    study = prepared.study
    col = responses["instrument"] + "_" + responses["item"].astype(str)
    frame = (
        responses.assign(col=col)
        .pivot_table(
            index=["participant_id", "timepoint"],
            columns="col",
            values="value",
            aggfunc="first",
            dropna=False,
        )
        .reset_index()
    )
    frame.columns.name = None
    # item columns in instrument order, then item order
    items = (
        responses[["instrument", "item"]]
        .drop_duplicates()
        .sort_values(["instrument", "item"])
        .apply(lambda r: f"{r['instrument']}_{r['item']}", axis=1)
        .tolist()
        if len(responses)
        else []
    )
    order = {tp: i for i, tp in enumerate(study.timepoint_ids)}
    frame = frame.assign(_o=frame["timepoint"].map(order)).sort_values(["participant_id", "_o"])
    participants = prepared.validated.participants
    covariates = _covariates(prepared)
    if len(participants):
        people = participants.drop_duplicates("participant_id")[
            ["participant_id", "arm", *covariates]
        ]
        frame = frame.merge(people, on="participant_id", how="left")
        # participants with no responses still get a row, so their arm is kept
        absent = people[~people["participant_id"].isin(frame["participant_id"])]
        if len(absent):
            frame = pd.concat(
                [frame, absent.assign(timepoint=study.timepoint_ids[0])], ignore_index=True
            )
    else:
        frame["arm"] = ""
    return frame[["participant_id", "timepoint", "arm", *covariates, *items]].reset_index(drop=True)


def _wide_block(prepared: Prepared, file: str) -> str:
    covariates = _covariates(prepared)
    return (
        f'[data]\nformat = "wide"\nfile = {_toml_str(file)}\n'
        + _common_data_keys(prepared)
        + "\n[data.wide]\n"
        + 'id_column = "participant_id"\ntimepoint_column = "timepoint"\narm_column = "arm"\n'
        + f"participant_columns = {_toml_list(covariates)}\n\n"
    )


def _keys_by_instrument(prepared: Prepared) -> dict[str, InstrumentKey]:
    return {m.instrument: prepared.keys[mid] for mid, m in prepared.study.measures.items()}


def _missing(prepared: Prepared) -> list[float]:
    return list(prepared.study.data.missing_codes)


def _write_wide(prepared: Prepared, out: Path, target: str) -> str:
    frame = _wide_frame(prepared)
    text_cols = ["participant_id", "timepoint", "arm", *_covariates(prepared)]
    for c in text_cols:
        frame[c] = frame[c].fillna("").astype(str)
    items = [c for c in frame.columns if c not in text_cols]
    if target == "wide-csv":
        file = "data.csv"
        write_csv(
            frame.assign(**{c: _value_text(frame[c]) for c in items}), out / file, index=False
        )
    elif target == "xlsx":
        file = "data.xlsx"
        safe_frame(frame).to_excel(out / file, index=False, engine="openpyxl")
    else:
        file = f"data.{target}"
        pyreadstat = require_pyreadstat(out / file, writing=True)
        numeric = frame.assign(**{c: frame[c].astype(float) for c in items})
        meta = column_meta(list(frame.columns), _keys_by_instrument(prepared), _missing(prepared))
        if target == "sav":
            write_sav(numeric, str(out / file), meta, pyreadstat)
        elif target == "dta":
            write_dta(numeric, str(out / file), meta, pyreadstat)
        else:
            write_xpt(numeric, str(out / file), meta, pyreadstat)
    return _wide_block(prepared, file)


#: The 18 columns of a REDCap data dictionary, as REDCap writes them.
REDCAP_DICTIONARY_COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


#: A REDCap variable or form name: lower-case letters, digits and underscores, starting with a
#: letter, at most 100 characters (``___`` is reserved for checkbox columns).
_REDCAP_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")


def _check_redcap_names(names: dict[str, str]) -> None:
    """Raise ConfigError for a name REDCap would refuse (``names``: name → where it is from)."""
    for name, origin in names.items():
        if not _REDCAP_NAME.fullmatch(name) or "___" in name:
            raise ConfigError(
                f"{origin}: {name!r} is not a valid REDCap name (lower-case letters, digits and "
                "underscores, starting with a letter, at most 100 characters, no '___'); rename "
                "it before exporting to REDCap"
            )


def _dictionary_row(field: str, form: str, ftype: str, label: str, **cols: str) -> list[str]:
    row = {c: "" for c in REDCAP_DICTIONARY_COLUMNS}
    row.update(
        {
            "Variable / Field Name": field,
            "Form Name": form,
            "Field Type": ftype,
            "Field Label": label,
        }
    )
    for key, value in cols.items():
        row[key] = value
    return list(row.values())


def _redcap_dictionary(
    prepared: Prepared, instruments: list[str], covariates: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The data dictionary and the item fields, in order.

    record_id and the participant fields are text fields on form "participant"; one form per
    instrument. An item of an integer-valued key is a radio field whose choices are the key's
    response codes (``"1, 1 | 2, 2 | ..."``: no item wording or anchors are shipped); any other
    item is a text field validated as a number between the key's minimum and maximum.

    Raises
    ------
    ConfigError
        When a participants column or an instrument id is not a valid REDCap name.
    """
    study = prepared.study
    by_instrument = {m.instrument: prepared.keys[mid] for mid, m in study.measures.items()}
    _check_redcap_names(
        {
            **{c: "participants column (a REDCap field name)" for c in covariates},
            **{i: "instrument id (a REDCap form name)" for i in instruments},
        }
    )
    rows = [_dictionary_row("record_id", "participant", "text", "Record ID")]
    rows += [_dictionary_row(c, "participant", "text", c) for c in covariates]
    fields: list[str] = []
    for inst in instruments:
        key = by_instrument[inst]
        title = key.instrument.abbreviation or inst
        for item in range(1, key.instrument.n_items + 1):
            lo, hi = key.item_min[item], key.item_max[item]
            name = f"{inst}_{item}"
            fields.append(name)
            label = f"{title} item {item}"
            if key.instrument.integer:
                choices = " | ".join(f"{v}, {v}" for v in range(int(lo), int(hi) + 1))
                rows.append(
                    _dictionary_row(
                        name, inst, "radio", label, **{REDCAP_DICTIONARY_COLUMNS[5]: choices}
                    )
                )
            else:
                validation = dict(
                    zip(
                        REDCAP_DICTIONARY_COLUMNS[7:10],
                        ("number", f"{lo:g}", f"{hi:g}"),
                        strict=True,
                    )
                )
                rows.append(_dictionary_row(name, inst, "text", label, **validation))
    dictionary = pd.DataFrame(rows, columns=REDCAP_DICTIONARY_COLUMNS)
    return dictionary, fields


def _redcap_records(
    wide: pd.DataFrame,
    *,
    event_of: Callable[[str, str], str],
    fields: list[str],
    instruments: list[str],
    covariates: list[str],
) -> pd.DataFrame:
    """One record row per participant × event: participant fields on the first, items, and
    each form's ``*_complete`` status (2 where it has answers)."""
    records = pd.DataFrame(
        {
            "record_id": wide["participant_id"],
            "redcap_event_name": [
                event_of(t, p)
                for t, p in zip(wide["timepoint"], wide["participant_id"], strict=True)
            ],
        }
    )
    first_row = ~wide["participant_id"].duplicated()
    for c in covariates:
        records[c] = wide[c].fillna("").astype(str).where(first_row, "")
    for inst in instruments:
        cols = [f for f in fields if f.startswith(inst + "_") and f in wide.columns]
        for f in cols:
            records[f] = _value_text(wide[f])
        filled = (records[cols] != "").any(axis=1) if cols else pd.Series(False, index=wide.index)
        records[f"{inst}_complete"] = np.where(filled, "2", "")
    return records


def _write_redcap(prepared: Prepared, out: Path) -> str:
    study = prepared.study
    participants = prepared.validated.participants
    covariates = _covariates(prepared)
    arm_number = {arm: i + 1 for i, arm in enumerate(study.arms)}
    has_arms = len(participants) > 0
    arm_of = (
        dict(zip(participants["participant_id"], participants["arm"], strict=True))
        if has_arms
        else {}
    )
    instruments = list(dict.fromkeys(m.instrument for m in study.measures.values()))
    dictionary, fields = _redcap_dictionary(prepared, instruments, covariates)
    write_csv(dictionary, out / "dictionary.csv", index=False)
    wide = _wide_frame(prepared)

    def event(tp: str, pid: str) -> str:
        arm = arm_of.get(pid)
        return f"{tp}_arm_{arm_number[arm]}" if arm in arm_number else tp

    records = _redcap_records(
        wide, event_of=event, fields=fields, instruments=instruments, covariates=covariates
    )
    write_csv(records, out / "records.csv", index=False)
    events = sorted(
        {(e, t) for e, t in zip(records["redcap_event_name"], wide["timepoint"], strict=True)}
    )
    block = (
        '[data]\nformat = "redcap"\n'
        + _common_data_keys(prepared)
        + '\n[data.redcap]\nrecords = "records.csv"\ndictionary = "dictionary.csv"\n'
        + 'id_field = "record_id"\n'
        + f"participant_fields = {_toml_list(covariates)}\n\n[data.redcap.events]\n"
        + "".join(f"{_toml_str(e)} = {_toml_str(t)}\n" for e, t in events)
    )
    if has_arms:
        block += "\n[data.redcap.arms]\n" + "".join(
            f'"{n}" = {_toml_str(a)}\n' for a, n in arm_number.items()
        )
    return block + "\n"


def paramcodes(names: list[str]) -> dict[str, str]:
    """Unique ADaM PARAMCDs (at most 8 characters, upper case) for ``measure.scale`` names.

    >>> paramcodes(["alliance.total", "alliance.goal"])
    {'alliance.total': 'ALLITOTA', 'alliance.goal': 'ALLIGOAL'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        measure, _, scale = name.partition(".")
        base = (
            re.sub(r"[^A-Z0-9]", "", measure.upper())[:4] + re.sub(r"[^A-Z0-9]", "", scale.upper())
        )[:8]
        code, n = base, 1
        while code in used:
            suffix = str(n)
            code = base[: 8 - len(suffix)] + suffix
            n += 1
        used.add(code)
        out[name] = code
    return out


def adqs_frame(prepared: Prepared) -> pd.DataFrame:
    """The scored scales (and derived peaks) as an ADaM BDS-style ADQS table.

    One row per participant × parameter (``measure.scale``) × analysis visit. ``BASE`` is the
    participant's value at the measure's baseline timepoint, ``CHG = AVAL - BASE`` on the
    post-baseline rows and ``ABLFL = "Y"`` on the baseline row; measures without a baseline
    leave the three blank. ``AVISITN`` is the timepoint's position in the study file's
    protocol order (peaks: 999).
    """
    study = prepared.study
    table = prepared.table
    order = {tp: i + 1 for i, tp in enumerate(study.timepoint_ids)}
    kept = [
        (name, info)
        for name, info in table.variables.items()
        if info.kind in {"score", "peak"} and name in table.values.columns
    ]
    params = paramcodes(list(dict.fromkeys(f"{i.measure}.{i.scale}" for _, i in kept)))
    rows = []
    for name, info in kept:
        measure = study.measures[info.measure]
        baseline = measure.baseline
        base_col = f"{info.measure}.{info.scale}@{baseline}" if baseline else None
        param = f"{measure.label or info.measure}: {info.scale}"
        for pid, aval in table.values[name].items():
            if pd.isna(aval):
                continue
            base = (
                table.values.at[pid, base_col]
                if base_col is not None and base_col in table.values.columns
                else np.nan
            )
            is_base = info.timepoint == baseline
            rows.append(
                {
                    "STUDYID": study.study.id,
                    "USUBJID": str(pid),
                    "PARAMCD": params[f"{info.measure}.{info.scale}"],
                    "PARAM": param,
                    "AVISIT": study.timepoint_label(info.timepoint),
                    "AVISITN": order.get(info.timepoint, PEAK_VISITN),
                    "AVAL": float(str(aval)),
                    "BASE": float(str(base)) if base_col is not None else np.nan,
                    "CHG": float(str(aval)) - float(str(base))
                    if base_col is not None and not is_base and info.kind == "score"
                    else np.nan,
                    "ABLFL": "Y" if is_base else "",
                }
            )
    frame = pd.DataFrame(rows, columns=ADQS_COLUMNS)
    return frame.sort_values(["USUBJID", "PARAMCD", "AVISITN"], kind="stable").reset_index(
        drop=True
    )


def _write_sdtm(prepared: Prepared, out: Path) -> str:
    study = prepared.study
    responses = _as_text(prepared.validated.responses)
    participants = prepared.validated.participants
    keys = {m.instrument: prepared.keys[mid] for mid, m in study.measures.items()}
    category = {i: k.instrument.abbreviation or i for i, k in keys.items()}
    if len(set(category.values())) < len(category):
        category = {i: i.upper() for i in keys}
    labels = {t.id: t.display for t in study.timepoints}
    if len(set(labels.values())) < len(labels):
        labels = {t: t.upper() for t in labels}
    visitnum = {tp: i + 1 for i, tp in enumerate(study.timepoint_ids)}
    qs = pd.DataFrame(
        {
            "STUDYID": study.study.id,
            "DOMAIN": "QS",
            "USUBJID": responses["participant_id"],
            "QSTESTCD": [
                re.sub(r"[^A-Z]", "", i.upper())[:5] + f"{n:02d}"
                for i, n in zip(responses["instrument"], responses["item"], strict=True)
            ],
            "QSCAT": responses["instrument"].map(category),
            "QSORRES": _value_text(responses["value"]),
            "QSSTRESN": _value_text(responses["value"]),
            "VISITNUM": responses["timepoint"].map(visitnum),
            "VISIT": responses["timepoint"].map(labels),
        }
    )
    qs.insert(3, "QSSEQ", qs.groupby("USUBJID").cumcount() + 1)
    write_csv(qs, out / "qs.csv", index=False)
    block = '[data]\nformat = "sdtm"\n' + _common_data_keys(prepared)
    block += '\n[data.sdtm]\nqs = "qs.csv"\n'
    if len(participants):
        write_csv(
            pd.DataFrame(
                {
                    "STUDYID": study.study.id,
                    "DOMAIN": "DM",
                    "USUBJID": participants["participant_id"],
                    "ARMCD": participants["arm"].str.upper(),
                    "ARM": participants["arm"].map(lambda a: study.arms[a].label),
                    # the participants file's other columns (facilitator, covariates), as named
                    **{c: participants[c] for c in _covariates(prepared)},
                }
            ),
            out / "dm.csv",
            index=False,
        )
        block += 'dm = "dm.csv"\n\n[data.sdtm.arms]\n' + "".join(
            f"{_toml_str(a.upper())} = {_toml_str(a)}\n" for a in study.arms
        )
    block += "\n[data.sdtm.categories]\n" + "".join(
        f"{_toml_str(c)} = {_toml_str(i)}\n" for i, c in category.items()
    )
    block += "\n[data.sdtm.visits]\n" + "".join(
        f"{_toml_str(lab)} = {_toml_str(t)}\n" for t, lab in labels.items()
    )
    write_csv(adqs_frame(prepared), out / "adqs.csv", index=False)
    return block + "\n"


def export_study(
    study_path: Study | str | Path, *, to: str, out: str | Path, policy: Policy | None = None
) -> list[Path]:
    """Write the study's validated data in the format ``to`` into ``out``, with a study.toml.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ConfigError
        For an unknown target, an output folder that cannot be written, or one that is, holds
        or lies in the folder of an input file (docs/outputs.md).
    DataValidationError
        When the study's data fail validation (exit 1).
    """
    if to not in TARGETS:
        raise ConfigError(
            f"The 'to' parameter of export must be one of {', '.join(TARGETS)}. Got {to!r} instead."
        )
    from patalliance.safe_output import (
        MANIFEST,
        StagedFolder,
        refuse_unsafe_output,
        study_inputs,
    )

    prepared = prepare(study_path, policy=policy)
    refuse_unsafe_output(out, study_inputs(prepared.study), option="out")
    check_column_names(prepared, to)
    with StagedFolder(out) as staged:
        folder = staged.path
        if to == "redcap":
            block = _write_redcap(prepared, folder)
        elif to == "sdtm":
            block = _write_sdtm(prepared, folder)
        else:
            block = _write_wide(prepared, folder, to)
        if len(prepared.validated.prescored):
            write_csv(prepared.validated.prescored, folder / "scores.csv", index=False)
        text = prepared.study.path.read_text(encoding="utf-8-sig")
        (folder / "study.toml").write_text(rewrite_data_table(text, block), encoding="utf-8")
        written = [path.name for path in folder.iterdir() if path.is_file()]
        staged.commit()
    return sorted(staged.given / name for name in [*written, MANIFEST])
