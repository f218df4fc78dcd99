"""Facilitator effects (``[[analysis.facilitator]]``): does alliance depend on the dyad?

Uses the participants file's ``facilitator`` column (a facilitator or facilitator-pair id).
For each alliance variable: ICC(1) by facilitator with its F-based interval; for each
alliance × outcome pair: the association with a facilitator random intercept. Few clusters
(< 5) or singleton clusters make the between-facilitator variance poorly estimated; the
results then carry an explicit warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.mixed import ModelRecord
from patalliance.analysis.records import Record, records_frame
from patalliance.derive import AnalysisTable
from patalliance.stats.icc import ICCResult, icc1
from patalliance.stats.mixedlm import fit_random_intercept
from patalliance.status import Note, Status
from patalliance.study import Study

__all__ = ["FacilitatorResults", "ICCRecord", "cluster_warnings", "run_facilitator"]

MIN_CLUSTERS = 5


def cluster_warnings(sizes: np.ndarray) -> list[Note]:
    """Notes about too few clusters (< 5) or singleton clusters."""
    out = []
    if sizes.size < MIN_CLUSTERS:
        out.append(
            Note(
                "few_clusters",
                f"Only {sizes.size} facilitator(s): at least {MIN_CLUSTERS} are needed to "
                "estimate the between-facilitator variance with any precision.",
            )
        )
    singles = int(np.sum(sizes == 1))
    if singles:
        out.append(
            Note(
                "singleton_clusters",
                f"{singles} facilitator(s) saw a single participant; a facilitator with one "
                "participant carries no information about the variance within facilitators.",
            )
        )
    return out


@dataclass(frozen=True)
class ICCRecord(Record):
    """ICC(1) of one alliance variable by facilitator, with warnings about the clusters."""

    result: ICCResult
    warnings: tuple[Note, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ICC's fields, then ``warnings``."""
        return {**Record.to_dict(self)["result"], "warnings": Record.to_dict(self)["warnings"]}


@dataclass(frozen=True)
class FacilitatorResults(Record):
    """The ``facilitator`` section: ICC(1) per alliance variable and alliance–outcome models
    with a facilitator random intercept.

    ``status`` is ``not_estimable`` (with ``reason``) when the participants file has no
    facilitators, or when no ICC could be estimated.
    """

    status: Status = Status.OK
    reason: str = ""
    n_facilitators: int = 0
    cluster_sizes: dict[str, int] = field(default_factory=dict)
    icc: tuple[ICCRecord, ...] = ()
    models: tuple[ModelRecord, ...] = ()
    warnings: tuple[Note, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.icc or self.models or self.reason)

    def to_dict(self) -> dict[str, Any]:
        """As in ``results.json``: status, counts, ``icc``, ``models`` and ``warnings``."""
        doc: dict[str, Any] = {"status": self.status.value}
        if self.reason:
            doc["reason"] = self.reason
        if self.status == Status.OK or self.n_facilitators:
            doc["n_facilitators"] = self.n_facilitators
            doc["cluster_sizes"] = dict(self.cluster_sizes)
        doc["icc"] = [r.to_dict() for r in self.icc]
        doc["models"] = [m.to_dict() for m in self.models]
        doc["warnings"] = [{"code": w.code, "message": w.message} for w in self.warnings]
        return doc

    def to_frame(self) -> pd.DataFrame:
        """One row per ICC (alliance variable)."""
        return records_frame(self.icc, ICCRecord)

    def models_frame(self) -> pd.DataFrame:
        """One row per alliance × outcome model."""
        return records_frame(self.models, ModelRecord)


def run_facilitator(study: Study, table: AnalysisTable) -> FacilitatorResults:
    """ICC(1) of each alliance variable by facilitator, and each alliance × outcome model with
    a facilitator random intercept."""
    level = study.analysis.confidence_level
    fac = table.facilitators.astype(str).to_numpy()
    present = table.facilitators.notna().to_numpy() & ~np.isin(fac, ["", "nan", "None", "<NA>"])
    if not present.any():
        return FacilitatorResults(
            status=Status.NOT_ESTIMABLE,
            reason="the participants file has no 'facilitator' column (or it is empty)",
        )
    sizes = pd.Series(fac[present]).value_counts()
    iccs: list[ICCRecord] = []
    models: list[ModelRecord] = []
    for spec in study.analysis.facilitator:
        for var in spec.alliance:
            x = table.values[var].to_numpy(dtype=float)
            res = icc1(x, fac, confidence_level=level, name=var, cluster_name="facilitator")
            seen = pd.Series(fac[present & ~np.isnan(x)]).value_counts().to_numpy()
            iccs.append(ICCRecord(res, tuple(cluster_warnings(seen))))
            for outcome in spec.outcomes:
                y = table.values[outcome].to_numpy(dtype=float)
                ok = ~np.isnan(x) & ~np.isnan(y) & present
                model = fit_random_intercept(
                    y[ok],
                    np.column_stack([np.ones(int(ok.sum())), x[ok]]),
                    fac[ok],
                    names=["Intercept", var],
                    focus=var,
                    outcome=outcome,
                    groups_name="facilitator",
                    confidence_level=level,
                )
                models.append(ModelRecord(model))
    status, reason = Status.OK, ""
    if iccs and all(r.result.status != Status.OK for r in iccs):
        status, reason = Status.NOT_ESTIMABLE, iccs[0].result.reason
    return FacilitatorResults(
        status=status,
        reason=reason,
        n_facilitators=len(sizes),
        cluster_sizes={str(k): int(v) for k, v in sizes.sort_index().items()},
        icc=tuple(iccs),
        models=tuple(models),
        warnings=tuple(cluster_warnings(sizes.to_numpy())),
    )
