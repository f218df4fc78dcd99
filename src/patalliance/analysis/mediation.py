"""Mediation (``[[analysis.mediation]]``): x → m → y, with one or several parallel mediators.

Each model runs :func:`patalliance.stats.mediation` on the complete cases of x, the
mediators, y and the covariates, with its own seeded random stream for the bootstrap.

Parallel mediators follow Murphy et al. (2022): alliance → emotional breakthrough and mystical
experience → depression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from patalliance.analysis.records import Family, Record
from patalliance.analysis.variables import design, numeric, numeric_matrix
from patalliance.derive import AnalysisTable
from patalliance.stats.mediation import IndirectEffect, MediationResult, PathEstimate, mediation
from patalliance.study import MediationSpec, Study

__all__ = ["MediationModels", "MediationRecord", "run_mediation"]

_FAMILY_STREAM = 3  # distinguishes this family's random streams from other families'


@dataclass(frozen=True)
class MediationRecord(Record):
    """One ``[[analysis.mediation]]`` model: its label, the rows of the table, the estimate."""

    label: str
    n_obs: int
    result: MediationResult

    derived_keys: ClassVar[tuple[str, ...]] = (
        "indirect_effect",
        "indirect_ci_low",
        "indirect_ci_high",
    )

    @property
    def total_indirect(self) -> IndirectEffect | None:
        """The total indirect effect (the sum over mediators), when estimated."""
        return next((i for i in self.result.indirect if i.mediator == "total"), None)

    def to_dict(self) -> dict[str, Any]:
        """``label``, ``n_obs``, the model's fields, the total indirect effect with its BCa
        bounds, and the path coefficients by name (``c``, ``c_prime``; ``a`` and ``b`` too with
        a single mediator)."""
        doc: dict[str, Any] = {
            "label": self.label,
            "n_obs": self.n_obs,
            **Record.to_dict(self)["result"],
        }
        total = self.total_indirect
        nan = float("nan")
        doc["indirect_effect"] = total.estimate if total else nan
        doc["indirect_ci_low"] = total.bca_ci_low if total else nan
        doc["indirect_ci_high"] = total.bca_ci_high if total else nan
        for p in self.result.paths:
            if not p.mediator or len(self.result.m) == 1:
                doc[p.path] = p.estimate
        return doc


@dataclass(frozen=True)
class MediationModels(Family[MediationRecord]):
    """Every ``[[analysis.mediation]]`` model."""

    def paths_frame(self) -> pd.DataFrame:
        """One row per model × path coefficient, with the model's x and y."""
        rows = [
            {"x": rec.result.x, "y": rec.result.y, **p.__dict__}
            for rec in self.records
            for p in rec.result.paths
        ]
        return (
            pd.DataFrame(rows)
            if rows
            else pd.DataFrame(columns=["x", "y", *PathEstimate.__dataclass_fields__])
        )

    def indirect_frame(self) -> pd.DataFrame:
        """One row per model × indirect effect (each mediator, then the total)."""
        rows = [
            {"x": rec.result.x, "y": rec.result.y, **i.__dict__}
            for rec in self.records
            for i in rec.result.indirect
        ]
        return (
            pd.DataFrame(rows)
            if rows
            else pd.DataFrame(columns=["x", "y", *IndirectEffect.__dataclass_fields__])
        )


def run_mediation(study: Study, table: AnalysisTable) -> MediationModels:
    """Every ``[[analysis.mediation]]`` model, each with its own random stream."""
    plan = study.analysis
    return MediationModels(
        tuple(
            _run_one(table, spec, plan.seed, i, plan.confidence_level)
            for i, spec in enumerate(plan.mediation)
        ),
        MediationRecord,
    )


def _run_one(
    table: AnalysisTable, spec: MediationSpec, seed: int, i: int, level: float
) -> MediationRecord:
    key = f"analysis.mediation[{i}]"
    rng = np.random.default_rng(np.random.SeedSequence([seed, _FAMILY_STREAM, i]))
    cov, cov_names = design(table, spec.covariates, key=f"{key}.covariates")
    res = mediation(
        numeric(table, spec.x, key=f"{key}.x"),
        numeric_matrix(table, spec.m, key=f"{key}.m"),
        numeric(table, spec.y, key=f"{key}.y"),
        cov if spec.covariates else None,
        n_boot=spec.n_boot,
        confidence_level=level,
        rng=rng,
        names=(spec.x, tuple(spec.m), spec.y, cov_names),
    )
    return MediationRecord(spec.label, len(table.values), res)
