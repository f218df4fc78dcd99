"""Mediation (``[[analysis.mediation]]``): x → m → y, with one or several parallel mediators.

Paths are unstandardized OLS coefficients on the complete cases of x, every mediator, y and
the covariates. The indirect effect of each mediator, :math:`a_j b_j`, gets a seeded
nonparametric bootstrap interval (percentile and BCa). All bootstrap fits are computed at once
as batched least squares: no Python loop over resamples.

Parallel mediators follow Murphy et al. (2022): alliance → emotional breakthrough and mystical
experience → depression.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from patalliance.derive import AnalysisTable
from patalliance.stats.mediation import MediationResult, mediation
from patalliance.study import MediationSpec, Study

__all__ = ["run_mediation"]

_FAMILY_STREAM = 3  # distinguishes this family's random streams from other families'


def _to_dict(self: MediationResult) -> dict[str, Any]:
    """JSON-ready; ``indirect_ci_low/high`` are the BCa bounds of the total indirect effect."""
    doc = asdict(self)
    total = next((i for i in self.indirect if i.mediator == "total"), None)
    doc["indirect"] = [asdict(i) for i in self.indirect]
    doc["indirect_effect"] = total.estimate if total else float("nan")
    doc["indirect_ci_low"] = total.bca_ci_low if total else float("nan")
    doc["indirect_ci_high"] = total.bca_ci_high if total else float("nan")
    for p in self.paths:
        key = p.path if not p.mediator or len(self.m) == 1 else None
        if key is not None:
            doc[key] = p.estimate
    return doc


def run_mediation(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """Every ``[[analysis.mediation]]`` model, JSON-ready, each with its own random stream."""
    out = []
    plan = study.analysis
    for i, spec in enumerate(plan.mediation):
        out.append(_run_one(table, spec, plan.seed, i, plan.confidence_level))
    return out


def _run_one(
    table: AnalysisTable, spec: MediationSpec, seed: int, i: int, level: float
) -> dict[str, Any]:
    vals = table.values
    rng = np.random.default_rng(np.random.SeedSequence([seed, _FAMILY_STREAM, i]))
    res = mediation(
        vals[spec.x].to_numpy(dtype=float),
        vals[spec.m].to_numpy(dtype=float),
        vals[spec.y].to_numpy(dtype=float),
        vals[spec.covariates].to_numpy(dtype=float) if spec.covariates else None,
        n_boot=spec.n_boot,
        confidence_level=level,
        rng=rng,
        names=(spec.x, tuple(spec.m), spec.y, tuple(spec.covariates)),
    )
    return {"label": spec.label, "n_obs": len(vals), **_to_dict(res)}
