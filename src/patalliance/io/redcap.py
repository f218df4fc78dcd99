"""Reader for REDCap exports (``format = "redcap"``): the flat CSV export of the records and
the project's data dictionary (the standard 18-column CSV).

- **Events.** ``redcap_event_name`` is mapped to timepoints by ``[data.redcap.events]``. The arm
  comes from the event's ``_arm_N`` suffix through ``[data.redcap.arms]`` (``"1" = "immediate"``)
  or from a participant field (``arm_field``).
- **Fields.** Field ``{instrument}_{item}`` (e.g. ``wai_sr_7``) is item ``item`` of instrument
  ``instrument``; ``[data.redcap.fields]`` gives an instrument its own pattern
  (``wai_sr = "wai{item}"``) or maps one field (``hamd_q1 = "grid_hamd17:1"``).
- **Repeating instruments** (``redcap_repeat_instrument``/``redcap_repeat_instance``): instance 1
  belongs to the event's timepoint; ``[data.redcap.repeats.<form>]`` maps instances to
  timepoints (``"2" = "session2"``).
- **Other columns.** ``*_complete`` form-status columns: a form with answers that is marked
  Incomplete or Unverified is reported in QC. Checkbox columns (``field___code``), survey
  identifiers/timestamps and the data access group are read but not scored, unless a checkbox
  column is mapped explicitly in ``[data.redcap.fields]``.
- **Label exports** ("Rarely" instead of 2) are decoded through the dictionary's choices.

Problems are reported with the records file, row (1-based line, header = 1) and column.
The format is documented in ``docs/data-formats.md``. The data dictionary is read by
:mod:`patalliance.io.redcap_dictionary`, and :func:`draft_study` (from
:mod:`patalliance.io.redcap_draft`) drafts a study file from one; both are importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.io.redcap_dictionary import (
    ARM_SUFFIX,
    CHOICE_TYPES,
    DICTIONARY_COLUMNS,
    FIXED_CHOICES,
    Dictionary,
    event_fix,
    norm,
    parse_choices,
    read_dictionary,
    strip_arm,
)
from patalliance.io.redcap_draft import Draft, draft_study
from patalliance.io.tidy import (
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
from patalliance.io.unused import redcap_unused
from patalliance.io.wide import ItemColumn, derive_participants, map_columns, to_long
from patalliance.study import RedcapSection, Study

SPECIAL_COLUMNS = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
COMPLETE_CODES = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}

__all__ = [
    "CHOICE_TYPES",
    "COMPLETE_CODES",
    "DICTIONARY_COLUMNS",
    "FIXED_CHOICES",
    "SPECIAL_COLUMNS",
    "Dictionary",
    "Draft",
    "draft_study",
    "export_from_api",
    "parse_choices",
    "read_dictionary",
    "read_redcap",
    "warning",
]


def warning(
    file: str, code: str, message: str, *, column: str = "", row: int | None = None
) -> FileProblem:
    """A QC warning: reported with file, row and column; the rows are kept."""
    return FileProblem(file, code, message, column=column, row=row, severity="warning")


class _Reader:
    """One pass over the records file; collects problems instead of stopping at the first."""

    def __init__(
        self,
        study: Study,
        opts: RedcapSection,
        records: pd.DataFrame,
        dic: Dictionary,
        *,
        id_field: str,
    ) -> None:
        self.study = study
        self.id_field = id_field
        self.opts = opts
        self.frame = records
        self.dic = dic
        self.name = str(records["_file"].iloc[0])
        self.problems: list[FileProblem] = []
        self.columns = [c for c in records.columns if c not in {"_file", "_row"}]

    def problem(self, code: str, message: str, *, column: str = "", row: int | None = 1) -> None:
        self.problems.append(FileProblem(self.name, code, message, column=column, row=row))

    def check_columns(self, id_field: str) -> None:
        known = set(self.dic.fields)
        forms = set(self.dic.forms)
        unknown = []
        for column in self.columns:
            base, sep, _ = column.partition("___")
            if column in known or column in SPECIAL_COLUMNS or column == id_field:
                continue
            if sep and self.dic.type_of.get(base) == "checkbox":
                continue
            for suffix in ("_complete", "_timestamp"):
                if column.endswith(suffix) and column[: -len(suffix)] in forms:
                    break
            else:
                unknown.append(column)
        labels = {v: k for k, v in self.dic.label_of.items()}
        if unknown and sum(c in labels for c in unknown) > len(unknown) / 2:
            self.problem(
                "label_headers",
                "the column headers are field labels, not variable names; export again with "
                "variable names as headers (REDCap: 'CSV / Microsoft Excel (raw data)', or "
                "labels for the values only)",
                column=unknown[0],
            )
            return
        for column in unknown:
            self.problem(
                "field_not_in_dictionary",
                f"field {column!r} is not in the data dictionary {Path(self.dic.path).name}; "
                "export the dictionary and the records from the same project version",
                column=column,
            )

    def decode(self, column: str) -> pd.Series:
        """A field's cells as codes: labels are decoded through the dictionary's choices."""
        cells = self.frame[column].str.strip()
        choices = self.dic.choices.get(column)
        if not choices:
            return cells
        by_label = {label.lower(): code for code, label in choices.items()}
        out = []
        for text, row in zip(cells, self.frame["_row"], strict=True):
            if text == "" or text in choices:
                out.append(text)
            elif text.lower() in by_label:
                out.append(by_label[text.lower()])
            elif _is_number(text) and float(text) in self.study.data.missing_codes:
                out.append(text)
            else:
                allowed = "; ".join(f"{c} = {lab}" for c, lab in choices.items())
                self.problem(
                    "label_not_in_choices",
                    f"{text!r} is neither a code nor a label of field {column!r}; its choices "
                    f"in the data dictionary are: {allowed}",
                    column=column,
                    row=int(row),
                )
                out.append("")
        return pd.Series(out, index=cells.index, dtype=object)

    def timepoints(self, has_data: pd.Series) -> pd.Series:
        """The timepoint of every record row (blank where it has no item data)."""
        frame = self.frame
        index = frame.index
        tp = pd.Series("", index=index, dtype=object)
        if "redcap_event_name" in frame.columns:
            event = frame["redcap_event_name"].str.strip()
            events = self.opts.events
            tp = event.map(lambda e: events.get(e) or events.get(strip_arm(e), "")).astype(object)
            unmapped = (tp == "") & has_data
            for name in dict.fromkeys(event[unmapped]):
                rows = frame.loc[unmapped & (event == name), "_row"]
                self.problem(
                    "unmapped_event",
                    f"event {name!r} ({len(rows)} row(s) with item data) is not mapped to a "
                    f"timepoint; {event_fix(name, self.study.timepoint_ids)}",
                    column="redcap_event_name",
                    row=int(rows.iloc[0]),
                )
        elif not self.opts.repeats:
            self.problem(
                "missing_column",
                "no redcap_event_name column: this is not a longitudinal export; put the "
                "timepoint in the field names (fields pattern with {timepoint}) or map "
                "repeating-instrument instances in [data.redcap.repeats]",
                column="redcap_event_name",
            )
        if "redcap_repeat_instance" in frame.columns:
            instance = frame["redcap_repeat_instance"].str.strip()
            form = (
                frame["redcap_repeat_instrument"].str.strip()
                if "redcap_repeat_instrument" in frame.columns
                else pd.Series("", index=index)
            )
            event = (
                frame["redcap_event_name"].str.strip()
                if "redcap_event_name" in frame.columns
                else pd.Series("", index=index)
            )
            repeats = {norm(k): v for k, v in self.opts.repeats.items()}
            for i in index[(instance != "") & has_data]:
                key = norm(form[i]) if form[i] else norm(event[i])
                table = repeats.get(key)
                if table is not None and instance[i] in table:
                    tp[i] = table[instance[i]]
                elif table is not None or instance[i] not in {"1", "1.0"}:
                    what = f"form {form[i]!r}" if form[i] else f"event {event[i]!r}"
                    self.problem(
                        "unmapped_repeat",
                        f"repeat instance {instance[i]} of {what} has no timepoint; map it in "
                        f'[data.redcap.repeats.{key}], e.g. "{instance[i]}" = "session2"',
                        column="redcap_repeat_instance",
                        row=int(str(frame.at[i, "_row"])),
                    )
                    tp[i] = ""
        return tp

    def arms(self) -> pd.Series:
        frame = self.frame
        mapping = self.opts.arms
        if self.opts.arm_field is not None:
            field = self.opts.arm_field
            if field not in frame.columns:
                raise ConfigError(
                    f"data.redcap.arm_field: field {field!r} is not a column of the records "
                    f"file {self.name}"
                )
            codes = self.decode(field)
            labels = self.dic.choices.get(field, {})
            values = []
            for code in codes:
                label = labels.get(code, "")
                values.append(mapping.get(code) or mapping.get(label) or label or code)
            arm = pd.Series(values, index=frame.index, dtype=object)
            # the arm field is filled in one event only: spread it over the record
            pid = frame[self.id_field].str.strip()
            first = arm[arm != ""].groupby(pid[arm != ""]).first()
            return pid.map(first).fillna("").astype(object)
        if "redcap_event_name" not in frame.columns:
            return pd.Series("", index=frame.index, dtype=object)
        out = []
        for event, row in zip(frame["redcap_event_name"].str.strip(), frame["_row"], strict=True):
            match = ARM_SUFFIX.search(event)
            number = (match.group(1) or match.group(2)) if match else None
            if number is None:
                out.append("")
            elif number in mapping:
                out.append(mapping[number])
            else:
                self.problem(
                    "unmapped_arm",
                    f"event {event!r} belongs to REDCap arm {number}, which is not mapped; add "
                    f'[data.redcap.arms] "{number}" = "<arm id>"',
                    column="redcap_event_name",
                    row=int(row),
                )
                out.append("")
        return pd.Series(out, index=frame.index, dtype=object)

    def complete_status(
        self, long: pd.DataFrame, form_of_instrument: Mapping[str, set[str]]
    ) -> list[FileProblem]:
        """Warnings for forms with answers whose ``*_complete`` status is not Complete."""
        out: list[FileProblem] = []
        if not len(long):
            return out
        rows = self.frame.set_index("_row")
        seen: set[tuple[int, str]] = set()
        for row, instrument in (
            long[["_row", "instrument"]].drop_duplicates().itertuples(index=False)
        ):
            for form in sorted(form_of_instrument.get(instrument, set())):
                column = f"{form}_complete"
                if column not in rows.columns or (row, column) in seen:
                    continue
                seen.add((row, column))
                status = str(rows.at[row, column]).strip()
                status = COMPLETE_CODES.get(status, status)
                if status in {"Incomplete", "Unverified"}:
                    out.append(
                        warning(
                            self.name,
                            "form_incomplete",
                            f"form {form!r} has answers but is marked {status} in REDCap; "
                            "check that it was finished",
                            column=column,
                            row=int(row),
                        )
                    )
        return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_redcap(study: Study) -> TrialData:
    """Read ``format = "redcap"`` data into a :class:`TrialData`.

    Raises
    ------
    ConfigError
        For a missing file or a field mapping that matches nothing (exit 2).
    """
    opts = study.data.redcap
    assert opts is not None  # checked when the study file was loaded
    rec_path = study.resolve(opts.records)
    dic_path = study.resolve(opts.dictionary)
    records, problems = read_table(rec_path, role="REDCap records")
    lines, separator = records.attrs.pop("lines", {}), records.attrs.pop("separator", ",")
    dic, dic_problems = read_dictionary(dic_path)
    problems.extend(dic_problems)
    name = str(rec_path)
    responses = _empty(RESPONSE_COLUMNS)
    participants = _empty(PARTICIPANT_REQUIRED)
    if not problems and dic is not None:
        id_field = opts.id_field or dic.fields[0]
        reader = _Reader(study, opts, records, dic, id_field=id_field)
        mapping = _item_fields(reader, dic_path)
        if not reader.problems:
            responses, derived, warnings = _read_items(reader, mapping, name)
            if derived is not None:
                participants = derived
            problems.extend(warnings)
            read = {*mapping, id_field, *opts.participant_fields, opts.arm_field or ""}
            problems.extend(redcap_unused(name, reader.columns, read, dic.form_of))
        problems.extend(reader.problems)
    inputs = [
        InputFile(name, sha256_of(rec_path), len(responses), "responses"),
        # the dictionary decodes the responses: its hash belongs with the inputs (no data rows)
        InputFile(str(dic_path), sha256_of(dic_path), 0, "responses"),
    ]
    if study.data.participants is not None:
        participants, p_problems, p_input = read_participants_file(study)
        problems.extend(p_problems)
        inputs.append(p_input)
    elif len(participants):
        inputs.append(InputFile(name, sha256_of(rec_path), len(participants), "participants"))
    return TrialData(
        responses=responses,
        participants=participants,
        prescored=_empty(PRESCORED_COLUMNS),
        inputs=tuple(inputs),
        file_problems=tuple(problems),
        lines={name: lines},
        decimal_comma_files=frozenset({name} if separator == ";" else ()),
    )


def _item_fields(reader: _Reader, dic_path: Path) -> dict[str, ItemColumn]:
    """The export's columns that hold items of the study's instruments.

    Problems with the columns (no id field, fields not in the dictionary, no item column)
    are collected by the reader.

    Raises
    ------
    ConfigError
        When no field of the dictionary matches one of the study's instruments.
    """
    study, opts, dic, id_field = reader.study, reader.opts, reader.dic, reader.id_field
    if id_field not in reader.columns:
        reader.problem(
            "missing_column",
            f"the record id field {id_field!r} is not a column of the export; set "
            "[data.redcap] id_field",
            column=id_field,
        )
    reader.check_columns(id_field)
    instruments = [m.instrument for m in study.measures.values()]
    tp_map = {t: t for t in study.timepoint_ids}
    candidates = [
        f
        for f in dic.fields
        if dic.type_of.get(f) not in {"descriptive", "checkbox"} and f != id_field
    ]
    checkbox_columns = [c for c in reader.columns if "___" in c]
    mapping = map_columns(
        [*candidates, *(c for c in checkbox_columns if c in opts.fields)],
        default_pattern="{instrument}_{item}",
        overrides=opts.fields,
        instruments=instruments,
        timepoints=tp_map,
        key_path="data.redcap.fields",
    )
    found = {spec.instrument for spec in mapping.values()}
    missing = sorted(set(instruments) - found)
    if missing:
        raise ConfigError(
            f"{dic_path}: no field of the data dictionary matches the instrument(s) "
            f"{', '.join(missing)} (default pattern '{{instrument}}_{{item}}', e.g. "
            f"'{missing[0]}_1'); map them in [data.redcap.fields], e.g. "
            f'{missing[0]} = "myprefix_{{item}}"'
        )
    absent = [c for c in mapping if c not in reader.columns]
    mapping = {c: s for c, s in mapping.items() if c in reader.columns}
    if not mapping and absent:
        reader.problem(
            "no_item_columns",
            f"none of the mapped fields ({', '.join(absent[:8])} ...) is a column of the "
            "export; export the instruments' fields",
            column=absent[0],
        )
    return mapping


def _read_items(
    reader: _Reader, mapping: Mapping[str, ItemColumn], name: str
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[FileProblem]]:
    """Long item responses, the participants the export gives (None with a participants file)
    and the warnings about forms not marked Complete."""
    study, records, dic = reader.study, reader.frame, reader.dic
    decoded = records.copy()
    for column in mapping:
        decoded[column] = reader.decode(column)
    has_data = (
        (decoded[list(mapping)] != "").any(axis=1)
        if mapping
        else pd.Series(False, index=records.index)
    )
    tp = reader.timepoints(has_data)
    arm = reader.arms()
    pid = records[reader.id_field].str.strip()
    responses = to_long(decoded, mapping, participant=pid, timepoint=tp)
    responses = responses[responses["timepoint"] != ""].reset_index(drop=True)
    extra = _participant_fields(reader, pid, name)
    participants = None
    if study.data.participants is None:
        keep = has_data | (arm != "")
        participants = derive_participants(
            records[keep],
            pid[keep],
            arm[keep],
            {k: v[keep] for k, v in extra.items()},
        )
        if (arm == "").all():
            participants = participants.assign(arm="")
    form_of_instrument: dict[str, set[str]] = {}
    for column, spec in mapping.items():
        form_of_instrument.setdefault(spec.instrument, set()).add(
            dic.form_of.get(column.partition("___")[0], "")
        )
    warnings = [] if reader.problems else reader.complete_status(responses, form_of_instrument)
    return responses, participants, warnings


def _participant_fields(reader: _Reader, pid: pd.Series, name: str) -> dict[str, pd.Series]:
    """Each ``participant_fields`` field, decoded to its label, spread over the record."""
    extra: dict[str, pd.Series] = {}
    for field in reader.opts.participant_fields:
        if field not in reader.columns:
            raise ConfigError(
                f"data.redcap.participant_fields: {field!r} is not a column of {name}"
            )
        values = reader.decode(field)
        labels = reader.dic.choices.get(field, {})
        values = values.map(lambda v, lab=labels: lab.get(v, v))
        first = values[values != ""].groupby(pid[values != ""]).first()
        extra[field] = pid.map(first).fillna("").astype(object)
    return extra


def export_from_api(url: str, token: str, out_dir: Path) -> tuple[Path, Path]:
    """Download the records (raw values, flat) and the data dictionary through the REDCap API.

    Uses PyCap (the ``patalliance[redcap]`` extra). Writes ``records.csv`` and
    ``dictionary.csv`` into ``out_dir`` for ``format = "redcap"``; files stay the primary path.

    Raises
    ------
    MissingDependencyError
        When PyCap is not installed.
    """
    try:
        import redcap  # PyCap
    except ImportError:
        raise MissingDependencyError(
            "the REDCap API export needs the optional package PyCap. Install it with: "
            "pip install 'patalliance[redcap]'"
        ) from None
    project: Any = redcap.Project(url, token)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = out_dir / "records.csv"
    dictionary = out_dir / "dictionary.csv"
    records.write_text(project.export_records(format_type="csv"), encoding="utf-8")
    dictionary.write_text(project.export_metadata(format_type="csv"), encoding="utf-8")
    return records, dictionary
