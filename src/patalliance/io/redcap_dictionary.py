"""REDCap data dictionaries: the project's fields, their forms, types, labels and choices.

Read by :func:`read_dictionary` from the standard 18-column CSV (Project Setup → Data
Dictionary) or the API's metadata CSV. Shared by the records reader
(:mod:`patalliance.io.redcap`) and the study drafter (:mod:`patalliance.io.redcap_draft`),
with the naming rules both apply to REDCap names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
#: The whole arm suffix of an event: ``_arm_2`` or `` (Arm 2: Delayed)``, with the arm's label.
_ARM_TAIL = re.compile(r"_arm_\d+$|\s*\(arm \d+\b(?::\s*(?P<label>[^)]*))?\)\s*$", re.IGNORECASE)
#: Optional columns: the lowest and highest value of a text field's validation or a slider.
_LIMIT_COLUMNS = {
    "min": ("text validation min", "text_validation_min"),
    "max": ("text validation max", "text_validation_max"),
}


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
    #: lowest and highest value of numeric text fields with validation limits, and of sliders
    limits: Mapping[str, tuple[float, float]] = field(default_factory=dict)

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
            limits=_limits(frame, lower, fields, types),
        ),
        [],
    )


def norm(text: str) -> str:
    """A REDCap name in lower case with every run of other characters as one ``_``.

    >>> norm("Session Ratings (MEQ-30)")
    'session_ratings_meq_30'
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _limits(
    frame: pd.DataFrame, lower: Mapping[str, str], fields: pd.Series, types: pd.Series
) -> dict[str, tuple[float, float]]:
    """Validation limits of numeric text fields and sliders (a slider is 0-100 by default)."""
    cols = {k: next((lower[n] for n in ns if n in lower), None) for k, ns in _LIMIT_COLUMNS.items()}
    empty = pd.Series("", index=frame.index)
    lows = frame[cols["min"]] if cols["min"] else empty
    highs = frame[cols["max"]] if cols["max"] else empty
    out: dict[str, tuple[float, float]] = {}
    for name, ftype, lo_text, hi_text in zip(fields, types, lows, highs, strict=True):
        lo, hi = _number(lo_text), _number(hi_text)
        if ftype == "slider":
            out[name] = (0.0 if lo is None else lo, 100.0 if hi is None else hi)
        elif ftype == "text" and lo is not None and hi is not None:
            out[name] = (lo, hi)
    return out


def _number(text: str) -> float | None:
    try:
        return float(str(text).strip())
    except ValueError:
        return None


def strip_arm(event: str) -> str:
    """An event's name without its arm suffix: the unique name or the label.

    >>> strip_arm("week_1_arm_2"), strip_arm("Screening (Arm 1: Psilocybin)")
    ('week_1', 'Screening')
    """
    return _ARM_TAIL.sub("", event.strip()).strip()


def arm_label(event: str) -> str:
    """The arm's label in an event label (``"Screening (Arm 1: Psilocybin)"`` → ``"Psilocybin"``),
    else ``""``.

    >>> arm_label("Screening (Arm 1: Psilocybin)"), arm_label("screening_arm_1")
    ('Psilocybin', '')
    """
    match = _ARM_TAIL.search(event.strip())
    return (match["label"] or "").strip() if match else ""


def timepoint_id(event: str) -> str:
    """A timepoint id for an event: its name without the arm suffix, as an identifier.

    >>> timepoint_id("week_1_arm_2"), timepoint_id("Week 1 (Arm 2: Waiting list)")
    ('week_1', 'week_1')
    """
    ident = norm(strip_arm(event)) or "event"
    return ident if ident[0].isalpha() else f"t_{ident}"


def event_fix(event: str, timepoints: Sequence[str]) -> str:
    """How to map an unmapped event, suggesting only one of the study's timepoints.

    >>> print(event_fix("week_4_arm_2", ["baseline", "week_4"]))
    add it to [data.redcap.events], e.g. "week_4_arm_2" = "week_4" (or "week_4" = "week_4" for every arm); the study's timepoints: baseline, week_4
    """
    base = strip_arm(event)
    guess = timepoint_id(event)
    close = [guess] if guess in timepoints else difflib.get_close_matches(guess, timepoints, n=1)
    listed = ", ".join(timepoints)
    if not close:
        return (
            f'add it to [data.redcap.events] as "{event}" = "<timepoint>" with one of the '
            f"study's timepoints ({listed}), or declare a new [[timepoints]] for it"
        )
    every_arm = f' (or "{base}" = "{close[0]}" for every arm)' if base != event else ""
    return (
        f'add it to [data.redcap.events], e.g. "{event}" = "{close[0]}"{every_arm}; '
        f"the study's timepoints: {listed}"
    )
