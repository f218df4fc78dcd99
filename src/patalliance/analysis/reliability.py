"""Internal consistency (``[analysis] reliability``, on by default): Cronbach's α with its
Feldt interval and McDonald's ω of every scale of every measure at every timepoint with item
responses.

The items are those the scoring engine scores (:mod:`patalliance.instruments.engine`):
reverse-keyed items are reversed first (``min + max - value``, the item's own range), and a
``max_of`` group enters as one component, the maximum of its answered items when at least
``min_present`` are answered. Only complete sets of components are used; the number left out
is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance._blas import one_blas_thread
from patalliance.analysis.records import Family, Record
from patalliance.instruments.engine import sorted_codes
from patalliance.instruments.key import InstrumentKey, Scale
from patalliance.stats.reliability import cronbach_alpha
from patalliance.status import Status
from patalliance.study import Study

__all__ = ["ItemRecord", "ReliabilityRecord", "run_reliability"]


@dataclass(frozen=True)
class ItemRecord(Record):
    """One item (or ``max_of`` component) of a scale: corrected item–total r, α if deleted."""

    item: str
    item_total_r: float
    alpha_if_deleted: float


@dataclass(frozen=True)
class ReliabilityRecord(Record):
    """α (Feldt interval) and ω of one measure × scale × timepoint.

    ``n`` is the number of complete item sets used; ``n_excluded`` the administrations left
    out for a missing item.
    """

    measure: str
    scale: str
    timepoint: str
    n: int
    n_excluded: int
    n_items: int
    alpha: float
    alpha_ci_low: float
    alpha_ci_high: float
    omega: float
    confidence_level: float
    status: Status
    reason: str
    items: tuple[ItemRecord, ...] = ()

    @property
    def variable(self) -> str:
        """The scale's variable name at this timepoint (``measure.scale@timepoint``)."""
        return f"{self.measure}.{self.scale}@{self.timepoint}"


class _ItemRows:
    """The validated responses as integer codes, grouped by instrument and timepoint once.

    Participants are coded in sorted order of their ids, so each matrix has its rows in that
    order; selecting a group is a slice, never a filter of the whole long table.
    """

    def __init__(self, responses: pd.DataFrame) -> None:
        # categorical columns (as validation gives them) are coded without hashing each row
        self.participant, ids = sorted_codes(responses["participant_id"])
        self.n_participants = len(ids)
        inst, instruments = sorted_codes(responses["instrument"])
        tp, timepoints = sorted_codes(responses["timepoint"])
        self.instruments = {str(v): i for i, v in enumerate(instruments)}
        self.timepoints = {str(v): i for i, v in enumerate(timepoints)}
        group = inst.astype(np.int64) * max(len(self.timepoints), 1) + tp
        if group.size and group.max() < 2**15:
            group = group.astype(np.int16)  # a stable sort of 16-bit codes is a radix sort
        self.order = np.argsort(group, kind="stable")
        self.sorted_group = group[self.order]
        self.item = responses["item"].to_numpy(dtype=np.int64)
        self.value = responses["value"].to_numpy(dtype=np.float64)

    def matrix(self, instrument: str, timepoint: str, key: InstrumentKey) -> np.ndarray | None:
        """Participants × items of one instrument at one timepoint, reverse items reversed;
        None when there is no response."""
        inst = self.instruments.get(instrument, -1)
        tp = self.timepoints.get(timepoint, -1)
        if inst < 0 or tp < 0:
            return None
        code = inst * max(len(self.timepoints), 1) + tp
        lo, hi = np.searchsorted(self.sorted_group, [code, code + 1])
        if lo == hi:
            return None
        rows = self.order[lo:hi]
        who = self.participant[rows]
        present = np.bincount(who, minlength=self.n_participants) > 0
        position = np.cumsum(present) - 1  # row of each participant present, in id order
        item = self.item[rows]
        n_items = key.instrument.n_items
        ok = (item >= 1) & (item <= n_items)
        # validation guarantees one row per participant × item; all-missing sets are kept
        matrix = np.full((int(present.sum()), n_items), np.nan)
        matrix[position[who[ok]], item[ok] - 1] = self.value[rows][ok]
        for item_no in key.instrument.reverse_items:
            matrix[:, item_no - 1] = (
                key.item_min[item_no] + key.item_max[item_no] - matrix[:, item_no - 1]
            )
        return matrix


def _components(matrix: np.ndarray, scale: Scale) -> tuple[np.ndarray, tuple[str, ...]]:
    """The scale's components as the engine scores them, and their names."""
    grouped = {item for group in scale.max_of for item in group.items}
    columns, names = [], []
    for group in scale.max_of:
        block = matrix[:, [i - 1 for i in group.items]]
        answered = ~np.isnan(block)
        enough = answered.sum(axis=1) >= group.required
        columns.append(np.where(enough, np.max(np.where(answered, block, -np.inf), axis=1), np.nan))
        names.append(group.label or "max of items " + ", ".join(map(str, group.items)))
    for item in scale.items:
        if item not in grouped:
            columns.append(matrix[:, item - 1])
            names.append(f"item {item}")
    return np.column_stack(columns), tuple(names)


def _record(
    mid: str, scale: Scale, timepoint: str, matrix: np.ndarray, confidence_level: float
) -> ReliabilityRecord:
    items, names = _components(matrix, scale)
    res = cronbach_alpha(items, confidence_level=confidence_level, item_names=names)
    return ReliabilityRecord(
        measure=mid,
        scale=scale.id,
        timepoint=timepoint,
        n=res.n,
        n_excluded=res.n_excluded,
        n_items=res.n_items,
        alpha=res.alpha,
        alpha_ci_low=res.ci_low,
        alpha_ci_high=res.ci_high,
        omega=res.omega,
        confidence_level=res.confidence_level,
        status=res.status,
        reason=res.reason,
        items=tuple(ItemRecord(i.item, i.item_total_r, i.alpha_if_deleted) for i in res.items),
    )


def run_reliability(
    study: Study, responses: pd.DataFrame, keys: Mapping[str, InstrumentKey]
) -> Family[ReliabilityRecord]:
    """α, its Feldt interval and ω of every scale of every measure at every timepoint with
    item responses (validated, long: ``participant_id, timepoint, instrument, item, value``).

    Measures given only as pre-scored totals have no items and no record. A scale with fewer
    than 2 components or fewer than 3 complete sets is ``not_estimable`` with its reason.
    """
    level = study.analysis.confidence_level
    records: list[ReliabilityRecord] = []
    if responses.empty:
        return Family((), ReliabilityRecord)
    grouped = _ItemRows(responses)
    with one_blas_thread():  # n × k covariance products and k × k factor fits
        for mid, measure in study.measures.items():
            key = keys[mid]
            for tp in measure.timepoints:
                matrix = grouped.matrix(measure.instrument, tp, key)
                if matrix is None:
                    continue
                records.extend(_record(mid, s, tp, matrix, level) for s in key.scales)
    return Family(tuple(records), ReliabilityRecord)
