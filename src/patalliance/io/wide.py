"""Reader for wide files (``format = "wide"``): SPSS ``.sav``, Stata ``.dta``, SAS ``.xpt``,
CSV and Excel ``.xlsx``.

A wide file has one row per participant × timepoint (a ``timepoint`` column) or one row per
participant with the timepoint in the column name (``pattern = "{instrument}_{item}_{timepoint}"``).
Item columns are named ``{instrument}_{item}`` by default (e.g. ``wai_sr_7``). The binary formats
are read with pyreadstat (the ``patalliance[spss]`` extra): value labels give the text of the
id, arm, timepoint and participant columns, and user-defined missing values (SPSS missing
values and ranges, Stata/SAS special missing values) become missing. Item columns keep their
numeric codes. The format is documented in ``docs/data-formats.md``.

This module also holds the column-to-item mapping shared by the REDCap reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from patalliance._text import show_cell
from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.io.paths import require_regular_file
from patalliance.io.tidy import (
    _cell_text,
    _empty,
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
from patalliance.io.unused import wide_unused
from patalliance.study import Study, WideSection

READSTAT_SUFFIXES = {
    ".sav": "read_sav",
    ".zsav": "read_sav",
    ".dta": "read_dta",
    ".xpt": "read_xport",
}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class ItemColumn:
    """What one column holds: an item of an instrument, at a timepoint when the name says so."""

    instrument: str
    item: int
    timepoint: str | None = None


def require_pyreadstat(path: Path, *, writing: bool = False) -> Any:
    """Import pyreadstat lazily; a clear message names the extra to install when it is missing."""
    try:
        import pyreadstat
    except ImportError:
        action = "writing" if writing else "reading"
        raise MissingDependencyError(
            f"{path}: {action} {path.suffix} files needs the optional package pyreadstat. "
            "Install it with: pip install 'patalliance[spss]'"
        ) from None
    return pyreadstat


def _alternation(names: Iterable[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def compile_pattern(
    pattern: str, *, instruments: Iterable[str], timepoints: Iterable[str]
) -> re.Pattern[str]:
    """A case-insensitive regular expression for a column-name pattern.

    The placeholders are ``{instrument}`` (a study instrument id), ``{item}`` (an integer) and
    ``{timepoint}`` (a timepoint id, or a key of the timepoint mapping).

    Raises
    ------
    ConfigError
        When the pattern has no ``{item}`` or an unknown placeholder.
    """
    parts = re.split(r"(\{[^{}]*\})", pattern)
    regex = []
    for part in parts:
        if part == "{instrument}":
            regex.append(f"(?P<instrument>{_alternation(instruments) or '(?!)'})")
        elif part == "{item}":
            regex.append(r"0*(?P<item>\d+)")
        elif part == "{timepoint}":
            regex.append(f"(?P<timepoint>{_alternation(timepoints) or '(?!)'})")
        elif part.startswith("{") and part.endswith("}"):
            raise ConfigError(
                f"column pattern {pattern!r}: unknown placeholder {part}; the placeholders are "
                "{instrument}, {item} and {timepoint}"
            )
        else:
            regex.append(re.escape(part))
    if "{item}" not in pattern:
        raise ConfigError(
            f"column pattern {pattern!r} must contain {{item}} (e.g. '{{instrument}}_{{item}}')"
        )
    return re.compile("^" + "".join(regex) + "$", re.IGNORECASE)


_FIELD_SPEC = re.compile(
    r"^(?P<instrument>[A-Za-z][A-Za-z0-9_]*)[:.](?P<item>\d+)(?:@(?P<tp>\w+))?$"
)


def map_columns(
    columns: Iterable[str],
    *,
    default_pattern: str,
    overrides: Mapping[str, str],
    instruments: Iterable[str],
    timepoints: Mapping[str, str],
    key_path: str,
) -> dict[str, ItemColumn]:
    """Map column (or REDCap field) names to items.

    ``overrides`` maps an instrument id to its own pattern (``wai_sr = "WAI{item}"``) or one
    column to one item (``hamd_q1 = "grid_hamd17:1"``, optionally ``"...:1@baseline"``).
    An explicit override that matches no column is an error: a misspelt pattern would
    otherwise drop an instrument without a word.

    Raises
    ------
    ConfigError
        For an override that is malformed or matches nothing.
    """
    columns = list(columns)
    instruments = sorted(set(instruments))
    tp_names = {**{t: t for t in timepoints.values()}, **dict(timepoints)}
    lower_tp = {k.lower(): v for k, v in tp_names.items()}
    lower_inst = {i.lower(): i for i in instruments}
    result: dict[str, ItemColumn] = {}
    by_lower = {c.lower(): c for c in columns}
    problems: list[str] = []
    patterns: dict[str, re.Pattern[str]] = {}
    for key, value in overrides.items():
        if "{" in value:
            if key not in instruments:
                problems.append(
                    f"{key_path}.{key}: {key!r} is not an instrument of this study; an "
                    f"instrument pattern needs an instrument id ({', '.join(instruments)})"
                )
                continue
            patterns[key] = compile_pattern(
                value.replace("{instrument}", key), instruments=[key], timepoints=tp_names
            )
            continue
        match = _FIELD_SPEC.match(value.strip())
        if match is None or match["instrument"] not in instruments:
            problems.append(
                f"{key_path}.{key}: {value!r} should be 'instrument:item' (e.g. 'wai_sr:7') with "
                f"a study instrument ({', '.join(instruments)}), or a pattern with {{item}}"
            )
            continue
        column = by_lower.get(key.lower())
        if column is None:
            problems.append(f"{key_path}.{key}: no column or field named {key!r} in the data")
            continue
        tp = match["tp"]
        if tp is not None and tp not in tp_names.values():
            problems.append(f"{key_path}.{key}: unknown timepoint {tp!r}")
            continue
        result[column] = ItemColumn(match["instrument"], int(match["item"]), tp)
    default = compile_pattern(default_pattern, instruments=instruments, timepoints=tp_names)
    matched: dict[str, int] = dict.fromkeys(patterns, 0)
    for column in columns:
        if column in result:
            continue
        for inst, regex in patterns.items():
            m = regex.match(column)
            if m:
                tp = m.groupdict().get("timepoint")
                result[column] = ItemColumn(
                    inst, int(m["item"]), lower_tp[tp.lower()] if tp else None
                )
                matched[inst] += 1
                break
        else:
            m = default.match(column)
            if m and lower_inst[m["instrument"].lower()] not in patterns:
                tp = m.groupdict().get("timepoint")
                result[column] = ItemColumn(
                    lower_inst[m["instrument"].lower()],
                    int(m["item"]),
                    lower_tp[tp.lower()] if tp else None,
                )
    for inst, count in matched.items():
        if count == 0:
            problems.append(
                f"{key_path}.{inst}: the pattern {overrides[inst]!r} matches no column; the "
                f"columns include: {', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}"
            )
    if problems:
        raise ConfigError("; ".join(problems))
    return result


def to_long(
    frame: pd.DataFrame,
    mapping: Mapping[str, ItemColumn],
    *,
    participant: pd.Series,
    timepoint: pd.Series | None,
) -> pd.DataFrame:
    """Long item responses (text cells, provenance kept) from the mapped columns of a wide frame.

    An occasion (participant × timepoint × instrument) whose items are all blank counts as not
    administered and gives no rows, as in the tidy format.
    """
    chunks = []
    for column, spec in mapping.items():
        tp = (
            pd.Series(spec.timepoint, index=frame.index)
            if spec.timepoint is not None
            else (timepoint if timepoint is not None else pd.Series("", index=frame.index))
        )
        chunks.append(
            pd.DataFrame(
                {
                    "participant_id": participant,
                    "timepoint": tp,
                    "instrument": spec.instrument,
                    "item": str(spec.item),
                    "value": frame[column].astype(str),
                    "_file": frame["_file"],
                    "_row": frame["_row"],
                    "_order": frame.index.to_numpy(),
                }
            )
        )
    if not chunks:
        return _empty(RESPONSE_COLUMNS)
    long = pd.concat(chunks, ignore_index=True)
    filled = long["value"].str.strip() != ""
    group = [long["_order"], long["timepoint"], long["instrument"]]
    any_filled = filled.groupby(group).transform("any")
    long = long[any_filled.to_numpy()]
    long = long.assign(_item=long["item"].astype(int)).sort_values(
        ["_order", "instrument", "timepoint", "_item"], kind="stable"
    )
    return long[[*RESPONSE_COLUMNS, "_file", "_row"]].reset_index(drop=True)


def _read_readstat(path: Path, *, reader: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """Text cells and value labels from a pyreadstat file; user-missing values become blank."""
    pyreadstat = require_pyreadstat(path)
    kwargs: dict[str, Any] = {}
    if reader in {"read_sav", "read_dta"}:
        kwargs = {"apply_value_formats": False, "user_missing": True}
    frame, meta = getattr(pyreadstat, reader)(str(path), **kwargs)
    ranges: dict[str, list[dict[str, Any]]] = getattr(meta, "missing_ranges", None) or {}
    user_values: dict[str, list[Any]] = getattr(meta, "missing_user_values", None) or {}
    labels_by_var = getattr(meta, "variable_value_labels", None) or {}
    text = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        missing = pd.Series(False, index=frame.index)
        for rng in ranges.get(column, []):
            lo, hi = rng.get("lo"), rng.get("hi")
            if isinstance(lo, str) or isinstance(hi, str):
                missing |= series.astype(str).isin({str(lo), str(hi)})
            else:
                numeric = pd.to_numeric(series, errors="coerce")
                missing |= (numeric >= lo) & (numeric <= hi)
        if column in user_values:
            missing |= series.astype(str).isin({str(v) for v in user_values[column]})
        cells = series.astype(object).map(_cell_text)
        text[column] = cells.where(~missing, "")
    labels = {
        col: {_cell_text(code): str(label) for code, label in value_labels.items()}
        for col, value_labels in labels_by_var.items()
    }
    return text, labels


def read_wide_file(
    path: Path, *, sheet: str | None = None
) -> tuple[pd.DataFrame, dict[str, dict[str, str]], list[FileProblem]]:
    """Read a wide file as text cells with ``_file``/``_row`` provenance and its value labels.

    ``_row`` is the 1-based line as a spreadsheet shows it: the header is row 1, so the first
    record is row 2 (for SPSS/Stata/SAS files: case number + 1).

    Raises
    ------
    ConfigError
        When the file is missing or of an unsupported type.
    MissingDependencyError
        For .sav/.dta/.xpt files when pyreadstat is not installed.
    """
    name = str(path)
    suffix = path.suffix.lower()
    require_regular_file(path, role="data")
    labels: dict[str, dict[str, str]] = {}
    if suffix in READSTAT_SUFFIXES:
        try:
            frame, labels = _read_readstat(path, reader=READSTAT_SUFFIXES[suffix])
        except MissingDependencyError:
            raise
        except Exception as exc:
            return (
                _empty([]),
                {},
                [FileProblem(name, "unreadable_file", f"not a readable {suffix} file ({exc})")],
            )
    elif suffix in EXCEL_SUFFIXES:
        try:
            raw = pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}; check [data.wide] sheet") from None
        except Exception as exc:
            return (
                _empty([]),
                {},
                [FileProblem(name, "unreadable_file", f"not a readable Excel file ({exc})")],
            )
        frame = raw.apply(lambda c: c.map(_cell_text)) if len(raw.columns) else raw
        frame.columns = [str(c).strip() for c in frame.columns]
    elif suffix in {".csv", ".txt", ".tsv"}:
        frame, problems = read_table(path, role="wide data")
        return frame, {}, problems
    else:
        raise ConfigError(
            f'{name}: unsupported file type {suffix!r}; format = "wide" reads .sav, .zsav, '
            ".dta, .xpt, .csv and .xlsx files"
        )
    frame = frame.reset_index(drop=True)
    frame["_row"] = range(2, len(frame) + 2)
    frame["_file"] = name
    if len(frame) == 0:
        return frame, labels, [FileProblem(name, "empty_file", "the file has no data rows")]
    return frame, labels, []


def resolve_codes(
    column: pd.Series, labels: Mapping[str, str], mapping: Mapping[str, str]
) -> pd.Series:
    """Cell text → id: the mapping is tried on the code, then on its value label; otherwise the
    value label (or the code when unlabelled) is kept for validation to judge."""
    out = []
    for code in column.str.strip():
        label = labels.get(code, "")
        if code in mapping:
            out.append(mapping[code])
        elif label and label in mapping:
            out.append(mapping[label])
        else:
            out.append(label or code)
    return pd.Series(out, index=column.index, dtype=object)


def derive_participants(
    frame: pd.DataFrame,
    participant: pd.Series,
    arm: pd.Series | None,
    extra: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """One row per participant (per distinct arm, so validation can flag conflicting arms),
    with the provenance of its first row in the data file."""
    table = pd.DataFrame(
        {
            "participant_id": participant,
            "arm": arm if arm is not None else pd.Series("", index=frame.index),
            **dict(extra),
            "_file": frame["_file"],
            "_row": frame["_row"],
        }
    )
    table = table[participant.str.strip() != ""]
    return table.drop_duplicates(["participant_id", "arm"]).reset_index(drop=True)


def _pick(columns: Iterable[str], wanted: str | None) -> str | None:
    if wanted is None:
        return None
    lookup = {c.lower(): c for c in columns}
    return lookup.get(wanted.lower())


def read_wide(study: Study) -> TrialData:
    """Read ``format = "wide"`` data into a :class:`TrialData`."""
    assert study.data.file is not None  # checked when the study file was loaded
    opts = study.data.wide or WideSection()
    path = study.resolve(study.data.file)
    frame, labels, problems = read_wide_file(path, sheet=opts.sheet)
    lines, separator = frame.attrs.pop("lines", {}), frame.attrs.pop("separator", ",")
    name = str(path)
    sha = sha256_of(path)
    responses = _empty(RESPONSE_COLUMNS)
    participants = _empty(PARTICIPANT_REQUIRED)
    instruments = [m.instrument for m in study.measures.values()]
    tp_map = {**{t: t for t in study.timepoint_ids}, **opts.timepoints}
    if not problems:
        columns = [c for c in frame.columns if c not in {"_file", "_row"}]
        id_col = _pick(columns, opts.id_column)
        tp_col = _pick(columns, opts.timepoint_column)
        arm_col = _pick(columns, opts.arm_column)
        mapping = map_columns(
            [c for c in columns if c not in {id_col, tp_col, arm_col}],
            default_pattern=opts.pattern,
            overrides=opts.columns,
            instruments=instruments,
            timepoints=tp_map,
            key_path="data.wide.columns",
        )
        problems.extend(
            _layout_problems(
                name, opts, columns, mapping, instruments, id_col=id_col, tp_col=tp_col
            )
        )
        if not problems:
            read = {*mapping, id_col, tp_col, arm_col}
            read |= {_pick(columns, c) for c in opts.participant_columns}
            problems.extend(
                wide_unused(
                    name,
                    columns,
                    {c for c in read if c is not None},
                    shipped=shipped_instrument(opts.pattern, tp_map),
                    study_instruments=instruments,
                )
            )
        if not [p for p in problems if p.severity == "error"]:
            assert id_col is not None
            pid = resolve_codes(frame[id_col], labels.get(id_col, {}), {})
            tp = (
                resolve_codes(frame[tp_col], labels.get(tp_col, {}), tp_map)
                if tp_col is not None
                else None
            )
            responses = to_long(frame, mapping, participant=pid, timepoint=tp)
            if study.data.participants is None:
                participants = _participants(frame, labels, opts, columns, pid, arm_col)
    inputs = [InputFile(name, sha, len(responses), "responses")]
    if study.data.participants is not None:
        participants, p_problems, p_input = read_participants_file(study)
        problems.extend(p_problems)
        inputs.append(p_input)
    elif len(participants):
        inputs.append(InputFile(name, sha, len(participants), "participants"))
    return TrialData(
        responses=responses,
        participants=participants,
        prescored=_empty(PRESCORED_COLUMNS),
        inputs=tuple(inputs),
        file_problems=tuple(problems),
        lines={name: lines},
        decimal_comma_files=frozenset({name} if separator == ";" else ()),
    )


def shipped_instrument(pattern: str, timepoints: Mapping[str, str]) -> Callable[[str], str | None]:
    """The shipped instrument whose items a column name matches under ``pattern``, or None."""
    from patalliance.instruments.key import builtin_keys

    ids = {k.lower(): k for k in builtin_keys()}
    regex = compile_pattern(pattern, instruments=ids.values(), timepoints=timepoints)

    def match(column: str) -> str | None:
        m = regex.match(column)
        if m is None or "instrument" not in m.groupdict():
            return None
        return ids[m["instrument"].lower()]

    return match


def _layout_problems(
    name: str,
    opts: WideSection,
    columns: list[str],
    mapping: Mapping[str, ItemColumn],
    instruments: list[str],
    *,
    id_col: str | None,
    tp_col: str | None,
) -> list[FileProblem]:
    """Missing id, timepoint or participant columns, and no item column at all."""
    problems: list[FileProblem] = []
    needs_tp = any(spec.timepoint is None for spec in mapping.values())
    if id_col is None:
        problems.append(
            FileProblem(
                name,
                "missing_column",
                f"no participant id column {opts.id_column!r}; set [data.wide] id_column "
                + (
                    f"to one of: {', '.join(show_cell(c) for c in columns[:12])}"
                    if mapping  # the header is quoted only when the file looks like data
                    else "(no column of this file matches an item either: is it the right file?)"
                ),
                column=opts.id_column,
                row=1,
            )
        )
    if needs_tp and tp_col is None:
        problems.append(
            FileProblem(
                name,
                "missing_column",
                f"no timepoint column {opts.timepoint_column!r}: give one, or put the "
                "timepoint in the column names with [data.wide] pattern = "
                '"{instrument}_{item}_{timepoint}"',
                column=str(opts.timepoint_column or "timepoint"),
                row=1,
            )
        )
    if not mapping:
        problems.append(
            FileProblem(
                name,
                "no_item_columns",
                f"no column matches the item pattern {opts.pattern!r} for the study's "
                f"instruments ({', '.join(sorted(set(instruments)))}); set [data.wide] "
                "pattern or columns",
                row=1,
            )
        )
    for wanted in opts.participant_columns:
        if _pick(columns, wanted) is None:
            problems.append(
                FileProblem(
                    name,
                    "missing_column",
                    f"participant column {wanted!r} (data.wide.participant_columns) is not "
                    "in the file",
                    column=wanted,
                    row=1,
                )
            )
    return problems


def _participants(
    frame: pd.DataFrame,
    labels: Mapping[str, Mapping[str, str]],
    opts: WideSection,
    columns: list[str],
    pid: pd.Series,
    arm_col: str | None,
) -> pd.DataFrame:
    """One row per participant, with the arm and the participant columns the file gives."""
    arm = (
        resolve_codes(frame[arm_col], labels.get(arm_col, {}), opts.arms)
        if arm_col is not None
        else None
    )
    extra = {}
    for wanted in opts.participant_columns:
        col = _pick(columns, wanted)
        assert col is not None
        extra[wanted] = resolve_codes(frame[col], labels.get(col, {}), {})
    return derive_participants(frame, pid, arm, extra)
