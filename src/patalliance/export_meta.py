"""Variable metadata for the SPSS (``.sav``) and Stata (``.dta``) exports of ``patalliance
export``: variable labels, value labels, declared missing values and display formats (the SAS
transport file, ``.xpt``, gets the variable labels).

- **Variable labels**: ``participant_id``, ``timepoint`` and ``arm`` get a plain label; an item
  column gets ``"<abbreviation> item <n>"`` from its scoring key (no item wording is shipped, so
  none is written); a participants column keeps its name as its label.
- **Value labels**: the key's ``anchors`` (response labels; no shipped key has them, since no
  item or response wording is shipped) on the item columns whose range holds them, and each of
  the study's ``[data] missing_codes`` labelled ``"missing (code <c>)"`` on every item column.
- **Declared missing values** (SPSS only): the study's missing codes are the item columns'
  user-missing values (up to three discrete values, or the range from the lowest to the
  highest code when there are more), so a value typed in later is read as missing. Stata has
  no user-missing values for numbers; there every missing answer is the system missing ``.``.
- **Formats**: an item of an integer-valued key is written with no decimals and a width that
  holds its range and the missing codes (``F1.0`` for a 1–5 item, ``F3.0`` with the code -99;
  ``%3.0f`` in Stata); any other item keeps two decimals.

The formats are documented in ``docs/data-formats.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from patalliance.instruments.key import InstrumentKey

_FIXED_LABELS = {"participant_id": "Participant ID", "timepoint": "Timepoint", "arm": "Arm"}


@dataclass(frozen=True)
class ColumnMeta:
    """Labels, value labels, missing values and formats of the columns of a wide export."""

    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[int | float, str]] = field(default_factory=dict)
    missing: dict[str, list[Any]] = field(default_factory=dict)
    #: (width, decimals) of each numeric column.
    formats: dict[str, tuple[int, int]] = field(default_factory=dict)

    def sav_formats(self) -> dict[str, str]:
        """SPSS print formats (``F2.0``)."""
        return {c: f"F{w}.{d}" for c, (w, d) in self.formats.items()}

    def dta_formats(self) -> dict[str, str]:
        """Stata display formats (``%2.0f``)."""
        return {c: f"%{w}.{d}f" for c, (w, d) in self.formats.items()}


def _width(values: list[float], decimals: int) -> int:
    """Characters needed to print every value with ``decimals`` decimals."""
    return max(len(f"{v:.{decimals}f}") for v in values)


def _code(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _sav_missing(codes: list[float]) -> list[Any]:
    if len(codes) <= 3:
        return list(codes)
    return [{"lo": min(codes), "hi": max(codes)}]


def column_meta(
    columns: list[str], keys: dict[str, InstrumentKey], missing_codes: list[float]
) -> ColumnMeta:
    """The metadata of the wide export's ``columns`` (``{instrument}_{item}`` item columns).

    ``keys`` maps an instrument id to its scoring key.
    """
    meta = ColumnMeta()
    codes = sorted({float(c) for c in missing_codes})
    for column in columns:
        if column in _FIXED_LABELS:
            meta.labels[column] = _FIXED_LABELS[column]
            continue
        inst, _, item_text = column.rpartition("_")
        key = keys.get(inst)
        if key is None or not item_text.isdigit():
            meta.labels[column] = column
            continue
        item = int(item_text)
        info = key.instrument
        meta.labels[column] = f"{info.abbreviation or inst} item {item}"
        lo, hi = key.item_min[item], key.item_max[item]
        decimals = 0 if info.integer else 2
        meta.formats[column] = (_width([lo, hi, *codes], decimals), decimals)
        labels = {
            _code(float(v)): text
            for v, text in info.anchors.items()
            if lo <= float(v) <= hi and float(v) not in codes
        }
        labels.update({_code(c): f"missing (code {c:g})" for c in codes})
        if labels:
            meta.value_labels[column] = labels
        if codes:
            meta.missing[column] = _sav_missing(codes)
    return meta


def write_sav(frame: Any, path: str, meta: ColumnMeta, pyreadstat: Any) -> None:
    """Write ``frame`` as SPSS with ``meta``."""
    pyreadstat.write_sav(
        frame,
        path,
        column_labels={c: meta.labels.get(c, c) for c in frame.columns},
        variable_value_labels=meta.value_labels or None,
        missing_ranges=meta.missing or None,
        variable_format=meta.sav_formats() or None,
        variable_measure={c: "nominal" for c in _FIXED_LABELS if c in frame.columns},
    )


def write_dta(frame: Any, path: str, meta: ColumnMeta, pyreadstat: Any) -> None:
    """Write ``frame`` as Stata with ``meta`` (no user-missing values: Stata has none)."""
    value_labels = {
        c: {int(v): text for v, text in labels.items() if float(v).is_integer()}
        for c, labels in meta.value_labels.items()
    }
    pyreadstat.write_dta(
        frame,
        path,
        column_labels={c: meta.labels.get(c, c) for c in frame.columns},
        variable_value_labels={c: v for c, v in value_labels.items() if v} or None,
        variable_format=meta.dta_formats() or None,
    )


def write_xpt(frame: Any, path: str, meta: ColumnMeta, pyreadstat: Any) -> None:
    """Write ``frame`` as SAS transport (version 8) with the variable labels of ``meta``."""
    pyreadstat.write_xport(
        frame,
        path,
        column_labels={c: meta.labels.get(c, c)[:40] for c in frame.columns},
        table_name="DATA",
        file_format_version=8,
    )
