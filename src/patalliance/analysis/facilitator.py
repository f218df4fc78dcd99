"""Facilitator effects (``[[analysis.facilitator]]``): does alliance depend on the dyad?

Uses the participants file's ``facilitator`` column (a facilitator or facilitator-pair id).
For each alliance variable: ICC(1) by facilitator with its F-based interval; for each
alliance × outcome pair: the association with a facilitator random intercept. Few clusters
(< 5) or singleton clusters make the between-facilitator variance poorly estimated; the
results then carry an explicit warning.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.mixed import _to_dict as _mixed_dict
from patalliance.derive import AnalysisTable
from patalliance.stats.icc import icc1
from patalliance.stats.mixedlm import fit_random_intercept
from patalliance.study import Study

__all__ = ["run_facilitator"]

MIN_CLUSTERS = 5


def cluster_warnings(sizes: np.ndarray) -> list[str]:
    """Warnings about too few clusters (< 5) or singleton clusters."""
    out = []
    if sizes.size < MIN_CLUSTERS:
        out.append(
            f"only {sizes.size} facilitator(s): at least {MIN_CLUSTERS} are needed to estimate "
            f"the between-facilitator variance with any precision"
        )
    singles = int(np.sum(sizes == 1))
    if singles:
        out.append(
            f"{singles} facilitator(s) saw a single participant; a singleton cluster carries "
            f"no information about within-facilitator variance"
        )
    return out


def run_facilitator(study: Study, table: AnalysisTable) -> dict[str, Any]:
    """The ``facilitator`` results section: ICCs, random-intercept models and warnings."""
    level = study.analysis.confidence_level
    fac = table.facilitators.astype(str).to_numpy()
    present = ~np.isin(fac, ["", "nan", "None", "<NA>"])
    if not present.any():
        return {
            "status": "not_estimable",
            "reason": "the participants file has no 'facilitator' column (or it is empty)",
            "icc": [],
            "models": [],
            "warnings": [],
        }
    sizes = pd.Series(fac[present]).value_counts()
    section: dict[str, Any] = {
        "status": "ok",
        "n_facilitators": len(sizes),
        "cluster_sizes": {str(k): int(v) for k, v in sizes.sort_index().items()},
        "icc": [],
        "models": [],
        "warnings": cluster_warnings(sizes.to_numpy()),
    }
    for spec in study.analysis.facilitator:
        for var in spec.alliance:
            res = icc1(table.values[var].to_numpy(dtype=float), fac, confidence_level=level,
                       name=var, cluster_name="facilitator")  # fmt: skip
            sizes_var = pd.Series(fac[present & ~np.isnan(table.values[var].to_numpy(dtype=float))])
            notes = cluster_warnings(sizes_var.value_counts().to_numpy())
            section["icc"].append({**asdict(res), "warnings": notes})
            for outcome in spec.outcomes:
                x = table.values[var].to_numpy(dtype=float)
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
                section["models"].append(_mixed_dict(model))
    if all(r["status"] != "ok" for r in section["icc"]) and section["icc"]:
        section["status"] = "not_estimable"
        section["reason"] = section["icc"][0]["reason"]
    return section
