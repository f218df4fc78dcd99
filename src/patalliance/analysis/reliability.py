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

from patalliance.analysis.records import Family, Record
from patalliance.instruments.engine import responses_matrix
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


def _reversed_matrix(rows: pd.DataFrame, key: InstrumentKey) -> np.ndarray:
    """Participants × items matrix of one measure at one timepoint, reverse items reversed."""
    # validation guarantees one row per participant × item; all-missing sets are kept. The
    # rows are the participants in sorted order, whatever the type of the id column.
    _, matrix = responses_matrix(rows, key)
    for item in key.instrument.reverse_items:
        matrix[:, item - 1] = key.item_min[item] + key.item_max[item] - matrix[:, item - 1]
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
    for mid, measure in study.measures.items():
        key = keys[mid]
        of_measure = responses[responses["instrument"] == measure.instrument]
        for tp in measure.timepoints:
            rows = of_measure[of_measure["timepoint"] == tp]
            if rows.empty:
                continue
            matrix = _reversed_matrix(rows, key)
            records.extend(_record(mid, s, tp, matrix, level) for s in key.scales)
    return Family(tuple(records), ReliabilityRecord)
