"""Paired change tests (``[[analysis.change]]``): the change in alliance between two timepoints.

Each test uses the participants with both scores (complete pairs) and runs
:func:`patalliance.stats.paired_change`: paired t test, d_z with its noncentral-t interval,
d_av (the d of Levin et al. 2024) and the Wilcoxon signed-rank test.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from patalliance.analysis.records import Family, Record
from patalliance.derive import AnalysisTable
from patalliance.stats import paired_change
from patalliance.study import AnalysisPlan

__all__ = ["ChangeRecord", "run_change"]


@dataclass(frozen=True)
class ChangeRecord(Record):
    """A paired change test, ``variable_from`` → ``variable_to`` (complete pairs)."""

    variable_from: str
    variable_to: str
    label: str
    n: int
    n_dropped: int
    mean_from: float
    mean_to: float
    sd_from: float
    sd_to: float
    mean_diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p: float
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    wilcoxon_statistic: float
    wilcoxon_p: float
    wilcoxon_method: str
    confidence_level: float
    notes: str = ""  # why a statistic is NaN, and warnings of the tests ("; "-separated)


#: The fields a ChangeRecord takes from the PairedChangeResult of its test.
_CHANGE_STATS = tuple(
    f.name
    for f in fields(ChangeRecord)
    if f.name not in {"variable_from", "variable_to", "label", "notes"}
)


def run_change(table: AnalysisTable, plan: AnalysisPlan) -> Family[ChangeRecord]:
    """Paired change tests (complete pairs) for every ``[[analysis.change]]``."""
    records = []
    for spec in plan.change:
        res = paired_change(
            table.values[spec.variable_from].to_numpy(dtype=float),
            table.values[spec.variable_to].to_numpy(dtype=float),
            confidence_level=plan.confidence_level,
        )
        records.append(
            ChangeRecord(
                variable_from=spec.variable_from,
                variable_to=spec.variable_to,
                label=spec.label,
                **{name: getattr(res, name) for name in _CHANGE_STATS},
                notes="; ".join(res.notes),
            )
        )
    return Family(tuple(records), ChangeRecord)
