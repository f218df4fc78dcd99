"""REDCap data dictionaries: the project's fields, their forms, types, labels and choices.

Read by :func:`read_dictionary` from the standard 18-column CSV (Project Setup → Data
Dictionary) or the API's metadata CSV. Shared by the records reader
(:mod:`patalliance.io.redcap`) and the study drafter (:mod:`patalliance.io.redcap_draft`),
with the naming rules both apply to REDCap names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from patalliance.io.tidy import read_table
from patalliance.io.trialdata import FileProblem

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
#: The REDCap arm number at the end of an event name: ``week_1_arm_2`` or ``Week 1 (Arm 2: ...)``.
ARM_SUFFIX = re.compile(r"_arm_(\d+)$|\(arm (\d+)\b", re.IGNORECASE)


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


def norm(text: str) -> str:
    """A REDCap name in lower case with every run of other characters as one ``_``.

    >>> norm("Session Ratings (MEQ-30)")
    'session_ratings_meq_30'
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
