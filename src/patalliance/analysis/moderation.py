"""Moderation (``[[analysis.moderation]]``): Hayes' PROCESS model 1, x × w → y.

Each model runs :func:`patalliance.stats.moderation.moderation` on the complete cases of x,
w, y and the covariates. x and w are scores or numeric participants-file columns; w may also
be ``arm`` or a text column (a categorical moderator: simple slopes at each level, the first
in sorted order being the reference). Covariates are coded as regression predictors
(:mod:`patalliance.analysis.regression`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from patalliance.analysis.records import Family, Record
from patalliance.analysis.regression import ARM, check_names, predictor_matrix, variable_cells
from patalliance.analysis.variables import numeric
from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.stats.moderation import ModerationResult, SimpleSlope, moderation
from patalliance.study import ModerationSpec, Study

__all__ = ["ModerationModels", "ModerationRecord", "run_moderation"]

_SUMMARY = (
    "n", "n_excluded", "se_type", "confidence_level", "r2", "adj_r2", "f", "f_df1", "f_df2",
    "f_p", "status", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class ModerationRecord(Record):
    """One ``[[analysis.moderation]]`` model: its label, the covariates as named in the plan,
    and the estimate."""

    label: str
    covariate_names: tuple[str, ...]
    result: ModerationResult

    derived_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def interaction_terms(self) -> tuple[str, ...]:
        r = self.result
        return tuple(c.term for c in r.model.coefficients if c.term.startswith(f"{r.x}×"))

    @property
    def jn_in_range(self) -> tuple[float, ...]:
        """The Johnson–Neyman boundaries inside the observed range of w."""
        r = self.result
        return tuple(b for b in r.jn_boundaries if r.w_min <= b <= r.w_max)

    @classmethod
    def frame_columns(cls) -> list[str]:
        return [
            "label", "x", "w", "y", "covariates", "w_type", *_SUMMARY, "r2_change",
            "f_change", "f_change_df1", "f_change_df2", "f_change_p", "jn_boundaries",
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The model's options, summary, ``coefficients``, the interaction's ΔR² test,
        ``simple_slopes`` and the Johnson–Neyman boundaries (``jn_boundaries``: every real
        root; ``jn_in_range``: those inside the observed range of w)."""
        r = self.result
        model = Record.to_dict(self)["result"]["model"]
        doc: dict[str, Any] = {
            "label": self.label,
            "x": r.x,
            "w": r.w,
            "y": r.y,
            "covariates": list(self.covariate_names),
            "covariate_terms": list(r.covariates),
            "w_type": r.w_type,
            "w_levels": list(r.w_levels),
            **{k: model[k] for k in _SUMMARY},
            "x_mean": r.x_mean,
            "w_mean": r.w_mean,
            "w_sd": r.w_sd,
            "coefficients": model["coefficients"],
            "interaction_terms": list(self.interaction_terms),
            "r2_change": r.r2_change,
            "f_change": r.f_change,
            "f_change_df1": r.f_change_df1,
            "f_change_df2": r.f_change_df2,
            "f_change_p": r.f_change_p,
            "simple_slopes": [asdict(s) for s in r.slopes],
            "jn_method": r.jn_method,
            "t_crit": r.t_crit,
            "w_min": r.w_min,
            "w_max": r.w_max,
            "jn_boundaries": list(r.jn_boundaries),
            "jn_in_range": list(self.jn_in_range),
        }
        return doc

    def to_row(self) -> dict[str, Any]:
        doc = self.to_dict()
        row = {k: doc[k] for k in self.frame_columns()}
        row["covariates"] = "; ".join(row["covariates"])
        row["jn_boundaries"] = "; ".join(repr(b) for b in row["jn_boundaries"])
        return row


@dataclass(frozen=True)
class ModerationModels(Family[ModerationRecord]):
    """Every ``[[analysis.moderation]]`` model; ``to_frame()`` has one row per model."""

    def slopes_frame(self) -> pd.DataFrame:
        """One row per model × simple slope, with the model's x, w and y."""
        rows = [
            {"label": rec.label, "x": rec.result.x, "w": rec.result.w, "y": rec.result.y,
             **asdict(s)}
            for rec in self.records
            for s in rec.result.slopes
        ]  # fmt: skip
        return pd.DataFrame(
            rows, columns=["label", "x", "w", "y", *SimpleSlope.__dataclass_fields__]
        )


def run_moderation(study: Study, table: AnalysisTable) -> ModerationModels:
    """Every ``[[analysis.moderation]]`` model, in plan order.

    Raises
    ------
    ConfigError
        When a model names an unknown variable, or x or y is text (exit code 2).
    """
    specs = study.analysis.moderation
    refs: dict[str, str] = {}
    for i, spec in enumerate(specs):
        for axis in ("x", "w", "y"):
            refs[f"analysis.moderation[{i}].{axis}"] = getattr(spec, axis)
        for j, var in enumerate(spec.covariates):
            refs[f"analysis.moderation[{i}].covariates[{j}]"] = var
    check_names(study, table, refs)
    level = study.analysis.confidence_level
    return ModerationModels(
        tuple(_run_one(study, table, spec, i, level) for i, spec in enumerate(specs)),
        ModerationRecord,
    )


def _run_one(
    study: Study, table: AnalysisTable, spec: ModerationSpec, i: int, level: float
) -> ModerationRecord:
    key = f"{study.path}: analysis.moderation[{i}]"
    for axis in ("x", "y"):
        if getattr(spec, axis) == ARM:
            raise ConfigError(
                f"{key}.{axis}: arm is text, but {axis} must be a number. "
                "Make arm the moderator (w) instead."
            )
    x = numeric(table, spec.x, key=f"{key}.x")
    y = numeric(table, spec.y, key=f"{key}.y")
    w = variable_cells(table, spec.w)
    if spec.covariates:
        cov, cov_names = predictor_matrix(table, spec.covariates, key=f"{key}.covariates")
    else:
        cov, cov_names = np.empty((len(x), 0)), ()
    res = moderation(
        x, w, y, cov,
        names=(spec.x, spec.w, spec.y, cov_names), se_type=spec.se, confidence_level=level,
    )  # fmt: skip
    return ModerationRecord(spec.label, tuple(spec.covariates), res)
