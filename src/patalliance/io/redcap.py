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
The format is documented in ``docs/data-formats.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from patalliance.errors import ConfigError, MissingDependencyError
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
from patalliance.io.wide import derive_participants, map_columns, to_long
from patalliance.study import RedcapSection, Study

#: The data dictionary's columns: CSV header as REDCap writes it, and the API's metadata names.
DICTIONARY_COLUMNS = {
    "field": ("variable / field name", "field_name"),
    "form": ("form name", "form_name"),
    "type": ("field type", "field_type"),
    "label": ("field label", "field_label"),
    "choices": ("choices, calculations, or slider labels", "select_choices_or_calculations"),
}
CHOICE_TYPES = {"radio", "dropdown", "checkbox"}
FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
SPECIAL_COLUMNS = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
COMPLETE_CODES = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
_ARM_SUFFIX = re.compile(r"_arm_(\d+)$|\(arm (\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Dictionary:
    """The parts of a REDCap data dictionary the reader needs."""

    path: str
    fields: tuple[str, ...]
    form_of: Mapping[str, str]
    type_of: Mapping[str, str]
    label_of: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]]
    row_of: Mapping[str, int]

    @property
    def forms(self) -> list[str]:
        return list(dict.fromkeys(self.form_of.values()))


def parse_choices(text: str) -> dict[str, str]:
    """``"1, Never | 2, Rarely"`` → ``{"1": "Never", "2": "Rarely"}``.

    >>> parse_choices("1, Never | 2, Rarely | 3, Sometimes")
    {'1': 'Never', '2': 'Rarely', '3': 'Sometimes'}
    """
    out: dict[str, str] = {}
    for part in text.split("|"):
        code, sep, label = part.partition(",")
        if sep and code.strip():
            out[code.strip()] = label.strip()
    return out


def read_dictionary(path: Path) -> tuple[Dictionary | None, list[FileProblem]]:
    """Read a REDCap data dictionary CSV (or the API's metadata CSV)."""
    frame, problems = read_table(path, role="REDCap data dictionary")
    name = str(path)
    if problems:
        return None, problems
    lower = {c.lower().strip(): c for c in frame.columns if c not in {"_file", "_row"}}
    cols: dict[str, str] = {}
    for key, names in DICTIONARY_COLUMNS.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found is None:
            return None, [
                FileProblem(
                    name,
                    "missing_column",
                    f"not a REDCap data dictionary: column {names[0]!r} is missing. Download it "
                    "from REDCap (Project Setup → Data Dictionary → Download the current Data "
                    "Dictionary)",
                    column=names[0],
                    row=1,
                )
            ]
        cols[key] = found
    fields = frame[cols["field"]].str.strip()
    types = frame[cols["type"]].str.strip().str.lower()
    choices: dict[str, dict[str, str]] = {}
    for field_name, ftype, text in zip(fields, types, frame[cols["choices"]], strict=True):
        if ftype in CHOICE_TYPES:
            choices[field_name] = parse_choices(text)
        elif ftype in FIXED_CHOICES:
            choices[field_name] = FIXED_CHOICES[ftype]
    return (
        Dictionary(
            path=name,
            fields=tuple(fields),
            form_of=dict(zip(fields, frame[cols["form"]].str.strip(), strict=True)),
            type_of=dict(zip(fields, types, strict=True)),
            label_of=dict(zip(fields, frame[cols["label"]].str.strip(), strict=True)),
            choices=choices,
            row_of=dict(zip(fields, frame["_row"].astype(int), strict=True)),
        ),
        [],
    )


def warning(
    file: str, code: str, message: str, *, column: str = "", row: int | None = None
) -> FileProblem:
    """A QC warning: reported with file, row and column; the rows are kept."""
    return FileProblem(file, code, message, column=column, row=row, severity="warning")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


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
            tp = event.map(lambda e: self.opts.events.get(e, "")).astype(object)
            unmapped = (tp == "") & has_data
            for name in dict.fromkeys(event[unmapped]):
                rows = frame.loc[unmapped & (event == name), "_row"]
                self.problem(
                    "unmapped_event",
                    f"event {name!r} ({len(rows)} row(s) with item data) is not mapped to a "
                    f'timepoint; add it to [data.redcap.events], e.g. "{name}" = "baseline"',
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
            repeats = {_norm(k): v for k, v in self.opts.repeats.items()}
            for i in index[(instance != "") & has_data]:
                key = _norm(form[i]) if form[i] else _norm(event[i])
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
            match = _ARM_SUFFIX.search(event)
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
    dic, dic_problems = read_dictionary(dic_path)
    problems.extend(dic_problems)
    name = str(rec_path)
    responses = _empty(RESPONSE_COLUMNS)
    participants = _empty(PARTICIPANT_REQUIRED)
    if not problems and dic is not None:
        id_field = opts.id_field or dic.fields[0]
        reader = _Reader(study, opts, records, dic, id_field=id_field)
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
        if not reader.problems:
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
            pid = records[id_field].str.strip()
            responses = to_long(decoded, mapping, participant=pid, timepoint=tp)
            responses = responses[responses["timepoint"] != ""].reset_index(drop=True)
            extra: dict[str, pd.Series] = {}
            for field in opts.participant_fields:
                if field not in reader.columns:
                    raise ConfigError(
                        f"data.redcap.participant_fields: {field!r} is not a column of {name}"
                    )
                values = reader.decode(field)
                labels = dic.choices.get(field, {})
                values = values.map(lambda v, lab=labels: lab.get(v, v))
                first = values[values != ""].groupby(pid[values != ""]).first()
                extra[field] = pid.map(first).fillna("").astype(object)
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
            if not reader.problems:
                problems.extend(reader.complete_status(responses, form_of_instrument))
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
    )


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


@dataclass(frozen=True)
class Draft:
    """A drafted study file and the notes on what could not be inferred."""

    text: str
    inferred: tuple[str, ...]
    not_inferred: tuple[str, ...]


def draft_study(dictionary: Path, *, records: Path | None = None) -> Draft:
    """Draft a ``format = "redcap"`` study file from a data dictionary (and, optionally, the
    records export, which gives the events and arms).

    Each instrument of the dictionary whose numbered fields (``prefix1`` … ``prefixN``) match a
    shipped scoring key, by form name, field prefix or abbreviation, becomes a measure.

    Raises
    ------
    ConfigError
        When the dictionary cannot be read.
    """
    from patalliance.instruments.key import builtin_keys

    dic, problems = read_dictionary(dictionary)
    if dic is None:
        raise ConfigError("; ".join(f"{p.file}: {p.message}" for p in problems))
    keys = builtin_keys()
    aliases: dict[str, str] = {}
    for kid, key in keys.items():
        aliases[_norm(kid)] = kid
        aliases[_norm(key.instrument.abbreviation)] = kid
        aliases[_norm(key.instrument.abbreviation).replace("_", "")] = kid
    numbered = re.compile(r"^(?P<prefix>.*?)(?P<item>\d+)$")
    groups: dict[tuple[str, str], list[int]] = {}
    for field in dic.fields:
        m = numbered.match(field)
        if m and dic.type_of.get(field) not in {"descriptive", "calc", "checkbox"}:
            groups.setdefault((dic.form_of[field], m["prefix"]), []).append(int(m["item"]))
    inferred: list[str] = []
    not_inferred: list[str] = []
    found: dict[str, tuple[str, str]] = {}  # instrument → (form, prefix)
    for (form, prefix), items in groups.items():
        candidates = [_norm(prefix), _norm(prefix).replace("_", ""), _norm(form)]
        match = next((aliases[c] for c in candidates if c in aliases), None)
        if match is None and _norm(prefix):
            # a shortened prefix ("meq_" for meq30) with exactly the key's number of items
            close = [
                kid
                for kid, key in keys.items()
                if any(
                    a.startswith(_norm(prefix))
                    for a in (_norm(kid), _norm(key.instrument.abbreviation))
                )
                and key.instrument.n_items == len(set(items))
            ]
            match = close[0] if len(close) == 1 else None
        if match is None or match in found:
            continue
        kid = match
        n = keys[kid].instrument.n_items
        if sorted(set(items)) != list(range(1, n + 1)):
            not_inferred.append(
                f"form {form!r}: fields {prefix}1.. look like {kid}, but items "
                f"{min(items)}..{max(items)} do not match its {n} items; check the mapping"
            )
        found[kid] = (form, prefix)
        inferred.append(f"instrument {kid}: form {form!r}, fields {prefix}1..{prefix}{n}")
    mapped_forms = {f for f, _ in found.values()}
    for form in dic.forms:
        if form not in mapped_forms and any(g[0] == form for g in groups):
            not_inferred.append(
                f"form {form!r}: numbered fields that match no shipped scoring key; add a user "
                "key and map it in [data.redcap.fields]"
            )
    if not found:
        not_inferred.append("no instrument: no numbered fields matched a shipped scoring key")
    events: list[str] = []
    arm_numbers: list[str] = []
    tp_of_instrument: dict[str, list[str]] = {}
    if records is not None:
        frame, rec_problems = read_table(records, role="REDCap records")
        if rec_problems:
            raise ConfigError("; ".join(f"{p.file}: {p.message}" for p in rec_problems))
        if "redcap_event_name" in frame.columns:
            events = list(dict.fromkeys(frame["redcap_event_name"].str.strip()))
            for event in events:
                m = _ARM_SUFFIX.search(event)
                if m and (m.group(1) or m.group(2)) not in arm_numbers:
                    arm_numbers.append(m.group(1) or m.group(2))
            for kid, (_, prefix) in found.items():
                cols = [c for c in frame.columns if numbered.match(c) and c.startswith(prefix)]
                rows = frame[(frame[cols] != "").any(axis=1)] if cols else frame.iloc[0:0]
                tps = [
                    _timepoint_id(e) for e in dict.fromkeys(rows["redcap_event_name"].str.strip())
                ]
                tp_of_instrument[kid] = list(dict.fromkeys(tps))
            inferred.append(f"{len(events)} event(s) from {records.name}")
        if (
            "redcap_repeat_instrument" in frame.columns
            and "redcap_repeat_instance" in frame.columns
        ):
            repeating = frame[frame["redcap_repeat_instrument"].str.strip() != ""]
            for rform, grp in repeating.groupby("redcap_repeat_instrument"):
                instances = sorted(set(grp["redcap_repeat_instance"].str.strip()), key=_sort_key)
                not_inferred.append(
                    f"repeating form {rform!r}: instances {', '.join(instances)} need timepoints; "
                    f'add [data.redcap.repeats.{rform}] with "1" = "<timepoint>", ...'
                )
        else:
            not_inferred.append("events: the records file has no redcap_event_name column")
    else:
        not_inferred.append(
            "events and timepoints: the data dictionary does not list events; give the "
            "records export (--records) or fill in [data.redcap.events] by hand"
        )
    timepoints = list(dict.fromkeys(_timepoint_id(e) for e in events)) or ["baseline"]
    if not arm_numbers:
        not_inferred.append(
            "arms: no _arm_N event suffix found; set [data.redcap] arm_field or a participants file"
        )
    lines = [
        "# Drafted by `patalliance init --from-redcap`: check every mapping before use.",
        "[study]",
        'id = "redcap_study"',
        'title = "Study drafted from a REDCap data dictionary"',
        "",
        "[arms]",
    ]
    for arm_no in arm_numbers or ["1"]:
        lines.append(f'arm_{arm_no} = {{ label = "REDCap arm {arm_no} (rename)" }}')
    for tp in timepoints:
        lines += ["", "[[timepoints]]", f'id = "{tp}"']
    lines += [
        "",
        "[data]",
        'format = "redcap"',
        "",
        "[data.redcap]",
        f'records = "{records.name if records is not None else "records.csv"}"',
        f'dictionary = "{dictionary.name}"',
        f'id_field = "{dic.fields[0]}"',
        "",
        "[data.redcap.events]",
    ]
    lines += [f'"{e}" = "{_timepoint_id(e)}"' for e in events]
    if arm_numbers:
        lines += ["", "[data.redcap.arms]"] + [f'"{n}" = "arm_{n}"' for n in arm_numbers]
    overrides = [(k, p) for k, (_, p) in found.items() if p != f"{k}_"]
    if overrides:
        lines += ["", "[data.redcap.fields]"] + [f'{k} = "{p}{{item}}"' for k, p in overrides]
    for kid in found:
        tps = tp_of_instrument.get(kid) or timepoints
        lines += [
            "",
            f"[measures.{kid}]",
            f'instrument = "{kid}"',
            "timepoints = [" + ", ".join(f'"{t}"' for t in tps) + "]",
        ]
    return Draft("\n".join(lines) + "\n", tuple(inferred), tuple(not_inferred))


def _sort_key(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def _timepoint_id(event: str) -> str:
    """``"week_1_arm_2"`` → ``"week_1"``: an event's name without its arm suffix."""
    base = _ARM_SUFFIX.sub("", event).strip()
    ident = _norm(base) or "event"
    return ident if ident[0].isalpha() else f"t_{ident}"
