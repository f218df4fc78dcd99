"""Linear mixed models (``[[analysis.mixed_models]]``): the outcome over all follow-ups.

One model per alliance predictor: outcome at each follow-up ~ time (categorical) + predictor
(+ baseline), with a random intercept per participant, fitted by REML with statsmodels
``MixedLM``. Unlike one correlation per timepoint with pairwise deletion, it uses every
observed follow-up of every participant with the predictor. With N ≈ 24 the Wald z interval
can be too narrow, so the predictor's effect also gets a seeded parametric-bootstrap interval,
whose refits use the vectorized exact REML of :mod:`patalliance.stats.mixed`.

Convergence problems and singular fits never raise: they are recorded as ``warnings`` (and
``converged = false``) in the results.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from patalliance.derive import AnalysisTable
from patalliance.stats.mixedlm import MixedModelResult, fit_random_intercept
from patalliance.study import MixedModelSpec, Study

__all__ = ["mixed_model", "run_mixed_models"]

_FAMILY_STREAM = 4


def _to_dict(self: MixedModelResult) -> dict[str, Any]:
    """JSON-ready, with the predictor's estimate copied to ``effect``/``effect_*``."""
    doc = asdict(self)
    eff = next((f for f in self.fixed_effects if f.term == self.predictor), None)
    doc["effect"] = eff.estimate if eff else float("nan")
    doc["effect_se"] = eff.se if eff else float("nan")
    doc["effect_p"] = eff.p if eff else float("nan")
    doc["effect_ci_low"] = eff.ci_low if eff else float("nan")
    doc["effect_ci_high"] = eff.ci_high if eff else float("nan")
    return doc


def mixed_model(
    table: AnalysisTable,
    spec: MixedModelSpec,
    predictor: str,
    *,
    rng: np.random.Generator,
    confidence_level: float = 0.95,
) -> MixedModelResult:
    """Long-format data for one predictor of ``spec`` and its random-intercept model.

    Participants need the predictor (and the baseline covariate when given); every
    follow-up where the outcome is present is one observation. See
    :func:`fit_random_intercept` for the model.
    """
    vals = table.values
    tps = spec.timepoints
    outcome = np.column_stack([vals[f"{spec.outcome}@{tp}"].to_numpy(dtype=float) for tp in tps])
    pred = vals[predictor].to_numpy(dtype=float)
    keep = ~np.isnan(pred)
    covs = [pred]
    names = ["Intercept", *[f"time[{tp}]" for tp in tps[1:]], predictor]
    if spec.baseline is not None:
        basev = vals[spec.baseline].to_numpy(dtype=float)
        keep &= ~np.isnan(basev)
        covs.append(basev)
        names.append(spec.baseline)
    rows, cols = np.nonzero(~np.isnan(outcome) & keep[:, None])
    y = outcome[rows, cols]
    time = (cols[:, None] == np.arange(1, len(tps))[None, :]).astype(float)
    exog = np.column_stack([np.ones(y.size), time, *[c[rows] for c in covs]])
    return fit_random_intercept(
        y,
        exog,
        np.asarray(vals.index)[rows],
        names=names,
        focus=predictor,
        outcome=spec.outcome,
        n_boot=spec.n_boot,
        rng=rng,
        confidence_level=confidence_level,
    )


def run_mixed_models(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """Every predictor of every ``[[analysis.mixed_models]]`` entry, JSON-ready."""
    out = []
    plan = study.analysis
    for i, spec in enumerate(plan.mixed_models):
        for j, predictor in enumerate(spec.predictors):
            rng = np.random.default_rng(np.random.SeedSequence([plan.seed, _FAMILY_STREAM, i, j]))
            res = mixed_model(
                table, spec, predictor, rng=rng, confidence_level=plan.confidence_level
            )
            out.append(
                {
                    "label": spec.label,
                    "timepoints": list(spec.timepoints),
                    "baseline": spec.baseline,
                    **_to_dict(res),
                }
            )
    return out
