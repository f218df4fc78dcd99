"""Linear mixed models (``[[analysis.mixed_models]]``): the outcome over all follow-ups.

One model per alliance predictor: outcome at each follow-up ~ time (categorical) + predictor
(+ baseline), with a random intercept per participant, fitted by REML (the exact profiled
REML, with statsmodels ``MixedLM`` as fallback: :func:`patalliance.stats.fit_random_intercept`). Unlike one
correlation per timepoint with pairwise deletion, it uses every observed follow-up of every
participant with the predictor. Fixed effects are tested with t on Satterthwaite's degrees of
freedom; the predictor's effect also gets a seeded parametric-bootstrap interval, simulated
through the sufficient statistics of the exact REML and refitted by it
(:mod:`patalliance.stats.mixed_bootstrap`), in time and memory that do not grow with the
number of replicates times participants.

Convergence problems and singular fits never raise: a model that did not converge has the
status ``not_converged`` and one whose participant variance is zero the status ``singular``
(its estimates are those of ordinary regression), each with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from patalliance.analysis.records import Family, Record, records_frame
from patalliance.derive import AnalysisTable
from patalliance.stats.mixedlm import FixedEffect, MixedModelResult, fit_random_intercept
from patalliance.study import MixedModelSpec, Study

__all__ = ["MixedModelRecord", "ModelRecord", "mixed_model", "run_mixed_models"]

_FAMILY_STREAM = 4


@dataclass(frozen=True)
class ModelRecord(Record):
    """A fitted random-intercept model, with the focus predictor's effect copied out."""

    result: MixedModelResult

    derived_keys: ClassVar[tuple[str, ...]] = (
        "effect",
        "effect_se",
        "effect_df",
        "effect_t",
        "effect_p",
        "effect_ci_low",
        "effect_ci_high",
    )

    @property
    def effect(self) -> FixedEffect | None:
        """The fixed effect of the model's predictor (``None`` when not estimated)."""
        res = self.result
        return next((f for f in res.fixed_effects if f.term == res.predictor), None)

    def to_dict(self) -> dict[str, Any]:
        """The model's fields, then the predictor's ``effect``, ``effect_se``, ``effect_df``,
        ``effect_t``, ``effect_p`` and its interval."""
        doc = dict(Record.to_dict(self)["result"])
        eff = self.effect
        nan = float("nan")
        doc["effect"] = eff.estimate if eff else nan
        doc["effect_se"] = eff.se if eff else nan
        doc["effect_df"] = eff.df if eff else nan
        doc["effect_t"] = eff.t if eff else nan
        doc["effect_p"] = eff.p if eff else nan
        doc["effect_ci_low"] = eff.ci_low if eff else nan
        doc["effect_ci_high"] = eff.ci_high if eff else nan
        return doc

    def fixed_effects_frame(self) -> pd.DataFrame:
        """One row per fixed effect (term, estimate, se, z, p, ci_low, ci_high)."""
        return records_frame(self.result.fixed_effects, FixedEffect)


@dataclass(frozen=True)
class MixedModelRecord(ModelRecord):
    """One predictor's model of one ``[[analysis.mixed_models]]`` entry."""

    label: str = ""
    timepoints: tuple[str, ...] = ()
    baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``label``, ``timepoints`` and ``baseline`` of the entry, then the model."""
        return {
            "label": self.label,
            "timepoints": list(self.timepoints),
            "baseline": self.baseline,
            **ModelRecord.to_dict(self),
        }


@dataclass(frozen=True)
class MixedModels(Family[MixedModelRecord]):
    """Every predictor of every ``[[analysis.mixed_models]]`` entry."""

    def fixed_effects_frame(self) -> pd.DataFrame:
        """One row per model × fixed effect, with the model's outcome and predictor."""
        frames = []
        for rec in self.records:
            frame = rec.fixed_effects_frame()
            frame.insert(0, "predictor", rec.result.predictor)
            frame.insert(0, "outcome", rec.result.outcome)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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


def run_mixed_models(study: Study, table: AnalysisTable) -> MixedModels:
    """Every predictor of every ``[[analysis.mixed_models]]`` entry, each with its own stream."""
    out = []
    plan = study.analysis
    for i, spec in enumerate(plan.mixed_models):
        for j, predictor in enumerate(spec.predictors):
            rng = np.random.default_rng(np.random.SeedSequence([plan.seed, _FAMILY_STREAM, i, j]))
            res = mixed_model(
                table, spec, predictor, rng=rng, confidence_level=plan.confidence_level
            )
            out.append(MixedModelRecord(res, spec.label, tuple(spec.timepoints), spec.baseline))
    return MixedModels(tuple(out), MixedModelRecord)
