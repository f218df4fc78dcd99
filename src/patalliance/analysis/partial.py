"""Partial correlations (``[[analysis.partial_correlations]]``): x × y, controlling for covariates.

The paper's correlations ignore baseline severity; a partial correlation with baseline
GRID-HAMD as covariate answers whether alliance predicts *change* rather than level.
Each pair uses the complete cases on x, y and all covariates (listwise within the pair); the
estimator is :func:`patalliance.stats.partial_correlation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patalliance.analysis.records import Family, Record
from patalliance.analysis.variables import design, numeric
from patalliance.derive import AnalysisTable
from patalliance.stats.partial import PartialCorrelationResult, partial_correlation
from patalliance.study import Study

__all__ = ["PartialCorrelationRecord", "run_partial_correlations"]


@dataclass(frozen=True)
class PartialCorrelationRecord(Record):
    """One pair of a partial-correlation family: the family's name and the estimate."""

    family: str
    result: PartialCorrelationResult

    def to_dict(self) -> dict[str, Any]:
        """``family`` then the fields of the estimate, as in ``results.json``."""
        inner = Record.to_dict(self)["result"]
        return {"family": self.family, **inner}


def run_partial_correlations(
    study: Study, table: AnalysisTable
) -> Family[PartialCorrelationRecord]:
    """Every pair of every ``[[analysis.partial_correlations]]`` family, in plan order."""
    out = []
    level = study.analysis.confidence_level
    for i, fam in enumerate(study.analysis.partial_correlations):
        key = f"analysis.partial_correlations[{i}]"
        cov, cov_names = design(table, fam.covariates, key=f"{key}.covariates")
        for xv in fam.x:
            for yv in fam.y:
                res = partial_correlation(
                    numeric(table, xv, key=f"{key}.x"),
                    numeric(table, yv, key=f"{key}.y"),
                    cov,
                    confidence_level=level,
                    names=(xv, yv, cov_names),
                )
                out.append(PartialCorrelationRecord(fam.family, res))
    return Family(tuple(out), PartialCorrelationRecord)
