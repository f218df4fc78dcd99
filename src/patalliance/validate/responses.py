"""Checks of item responses: who, when, which instrument and item, and the value given.

The checks run in a fixed order, and a row excluded for several reasons is excluded for the
first: participant, instrument, timepoint, item, value, then duplicates. Every check works on
the distinct texts of a column (or the distinct combinations of instrument, item and value,
:mod:`.items`) and reaches the rows through their codes (:mod:`.coded`): array operations
over the rows, never a Python loop over them, only over the problems found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from patalliance._text import show_cell
from patalliance.instruments.key import InstrumentKey
from patalliance.study import Study, suggest
from patalliance.validate._collector import Collector, Table, instrument_keys
from patalliance.validate.coded import Coded, spread
from patalliance.validate.duplicates import Duplicates, find_duplicates
from patalliance.validate.identifiers import case_twins
from patalliance.validate.items import Combos, check_items, check_values, combos, compared
from patalliance.validate.rows import Rows


@dataclass(frozen=True)
class Parsed:
    """Every row's item number and value, parsed once per combination (``combo`` per row,
    ``item`` and ``value`` per combination; meaningful in the rows that pass)."""

    combo: np.ndarray
    item: np.ndarray
    value: np.ndarray

    def items(self, rows: np.ndarray | slice) -> np.ndarray:
        return self.item[self.combo[rows]]

    def values(self, rows: np.ndarray | slice) -> np.ndarray:
        return self.value[self.combo[rows]]


def check_responses(
    table: Table,
    active: np.ndarray,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    known_participants: set[str] | None,
    col: Collector,
    listed: set[str] | None = None,
) -> Parsed:
    """Check the item responses of ``active``; return every row's item number and value."""
    by_instrument = instrument_keys(study, keys)
    rows = Rows(table, active, col)
    _check_participant_ids(rows, known_participants, listed)
    undeclared = _check_instrument_timepoint(rows, study, sorted(by_instrument))
    # reported once per (instrument, timepoint): their items and values are not checked
    cells = combos(Rows(table, active & ~undeclared, col))
    item_num, item_ok = check_items(cells, by_instrument)
    missing_codes = set(study.data.missing_codes)
    value = check_values(cells, by_instrument, missing_codes, item_num, item_ok)
    item_key, value_key = compared(cells, missing_codes)
    declared = cells.rows
    found = find_duplicates(
        declared.active,
        [declared.pid, declared.tp, declared.inst],
        Coded(item_key.codes[cells.combo], item_key.values),
        Coded(value_key.codes[cells.combo], value_key.values),
    )
    if found is not None:
        _report_duplicates(cells, item_key, found)
    return Parsed(cells.combo, item_num, value)


def _messages(cells: Coded, mask: np.ndarray, message: Callable[[str], str]) -> list[str]:
    """``message(text)`` for each row of ``mask``, computed once per distinct text."""
    codes = cells.codes[mask]
    by_code = {int(c): message(str(cells.values[c])) for c in np.unique(codes)}
    return [by_code[c] for c in codes.tolist()]


def _check_participant_ids(
    rows: Rows, known_participants: set[str] | None, listed: set[str] | None
) -> None:
    pid = rows.pid
    rows.add(
        rows.active & pid.equals(""),
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
    )
    if known_participants is not None:
        unknown = np.array([v != "" and v not in known_participants for v in pid.values])
        unknown_p = rows.active & pid.per_value(unknown.astype(bool))
        twins = case_twins(known_participants) if unknown_p.any() else {}
        rows.add(
            unknown_p,
            column="participant_id",
            code="unknown_participant",
            message=_messages(pid, unknown_p, lambda p: _unknown_participant(p, listed, twins)),
        )


def _unknown_participant(pid: str, listed: set[str] | None, twins: Mapping[str, str]) -> str:
    if listed and pid in listed:
        return (
            f"participant {show_cell(pid)} has no valid row in the participants file; fix the "
            "problems reported there"
        )
    twin = twins.get(pid.casefold())
    if twin is not None:
        return (
            f"participant {show_cell(pid)} is not in the participants file, which has "
            f"participant {show_cell(twin)}: the two differ only in upper/lower case. Ids are compared "
            "exactly; write the id one way in every file"
        )
    return (
        f"participant {show_cell(pid)} is not in the participants file; add them there with "
        "their arm"
    )


def _check_instrument_timepoint(rows: Rows, study: Study, instruments: list[str]) -> np.ndarray:
    """Unknown instruments and timepoints, and instruments not declared at a timepoint.

    One problem per (instrument, timepoint) pair, under the ``[data] undeclared`` policy
    (:mod:`.undeclared`). Returns the mask of the rows so reported.
    """
    inst, tp = rows.inst, rows.tp
    exclude = study.data.undeclared == "exclude"
    unknown_i = rows.active & ~inst.is_in(instruments)
    rows.add(
        unknown_i,
        column="instrument",
        code="unknown_instrument",
        exclude=exclude,
        per_pair=lambda i, _t: (
            f"instrument {show_cell(i)} is not measured in this study{suggest(i, instruments)}; "
            f"study instruments: {', '.join(instruments)}"
        ),
    )
    tps = study.timepoint_ids
    tp_known = tp.is_in(tps)
    unknown_t = rows.active & ~unknown_i & ~tp_known
    rows.add(
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        exclude=exclude,
        per_pair=lambda _i, t: (
            f"timepoint {show_cell(t)} is not declared in the study file{suggest(t, tps)}; "
            f"declared: {', '.join(tps)}"
        ),
    )
    allowed = {(m.instrument, t) for m in study.measures.values() for t in m.timepoints}
    not_declared = np.array(
        [[(i, t) not in allowed for t in tp.values] for i in inst.values], dtype=bool
    ).reshape(len(inst.values), len(tp.values))
    # a pair key per row only when some pair of the data is not declared
    pair = (
        inst.codes.astype(np.int64) * len(tp.values) + tp.codes
        if not_declared.any()
        else np.zeros(len(inst.codes), dtype=np.int8)
    )
    undeclared = rows.active & ~unknown_i & tp_known & spread(not_declared.ravel(), pair)
    rows.add(
        undeclared,
        column="timepoint",
        code="instrument_timepoint",
        exclude=exclude,
        per_pair=lambda i, t: (
            f"{i} is not declared at timepoint {show_cell(t)}; add it to the measure's "
            "timepoints in the study file"
        ),
    )
    return unknown_i | unknown_t | undeclared


def _report_duplicates(cells: Combos, item_key: Coded, found: Duplicates) -> None:
    """A ``conflicting_duplicate`` for every row of a group whose values differ; a
    ``duplicate_row`` for every repeat of the same value."""
    rows = cells.rows
    pid, tp, inst = rows.pid, rows.tp, rows.inst
    raw = rows.table["item"].values.to_numpy(dtype=object)
    keys = item_key.values.to_numpy(dtype=object)[item_key.codes]
    shown = np.array(
        [_item_shown(k, raw[i]) for k, i in zip(keys, cells.item, strict=True)], dtype=object
    )

    def where(mask: np.ndarray) -> Iterable[tuple[str, str, str, str]]:
        items = cells.of_rows(shown, mask)
        return zip(pid.text(mask), tp.text(mask), inst.text(mask), items, strict=True)

    rows.add(
        found.conflicting,
        column="value",
        code="conflicting_duplicate",
        message=[
            f"participant {show_cell(p)} at {show_cell(t)}, {show_cell(i)} item {k}, "
            "appears more than once with different values; keep the correct row"
            for p, t, i, k in where(found.conflicting)
        ],
    )
    first_rows = rows.table.rows[found.first].tolist()
    rows.add(
        found.repeat,
        column="",
        code="duplicate_row",
        message=[
            f"this row repeats the answer of row {int(r)} (participant {show_cell(p)} at "
            f"{show_cell(t)}, {show_cell(i)} item {k}, same value); delete the repeat"
            for r, (p, t, i, k) in zip(first_rows, where(found.repeat), strict=True)
        ],
    )


def _item_shown(key: str, raw: str) -> str:
    """An item number, with its spelling when it differs (``1`` written as ``'1.0'``)."""
    if key.startswith("text:"):
        return show_cell(raw)
    return key if raw == key else f"{key} (written {show_cell(raw)})"
