"""Partial correlations (``[[analysis.partial_correlations]]``): x × y, controlling for covariates.

The paper's correlations ignore baseline severity; a partial correlation with baseline
GRID-HAMD as covariate answers whether alliance predicts *change* rather than level.
Each pair uses the complete cases on x, y and all covariates (listwise within the pair).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from patalliance.derive import AnalysisTable
from patalliance.stats.partial import partial_correlation
from patalliance.study import Study

__all__ = ["run_partial_correlations"]


def run_partial_correlations(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """Every pair of every ``[[analysis.partial_correlations]]`` family, JSON-ready."""
    out = []
    level = study.analysis.confidence_level
    for fam in study.analysis.partial_correlations:
        cov = table.values[fam.covariates].to_numpy(dtype=float)
        for xv in fam.x:
            for yv in fam.y:
                res = partial_correlation(
                    table.values[xv].to_numpy(dtype=float),
                    table.values[yv].to_numpy(dtype=float),
                    cov,
                    confidence_level=level,
                    names=(xv, yv, tuple(fam.covariates)),
                )
                out.append({"family": fam.family, **asdict(res)})
    return out
