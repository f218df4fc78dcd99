"""Regression (``[[analysis.regressions]]``): OLS of one outcome on several predictors.

Each model runs :func:`patalliance.stats.regression.ols` on the complete cases of the outcome
and every predictor (listwise deletion; the rows left out are counted in ``n_excluded``).
Predictors are scores (``measure.scale@timepoint``), participants-file columns, or ``arm``.
Numeric columns are used as they are; text columns (and ``arm``) are dummy-coded, one 0/1
column ``column[level]`` per level except the reference level, the first in sorted order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.analysis.plan import check_variables
from patalliance.analysis.records import Family, Record
from patalliance.analysis.variables import design, numeric
from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.stats.regression import (
    BootstrapCoefficients,
    Coefficient,
    OLSResult,
    bootstrap_coefficients,
    ols,
)
from patalliance.study import Study

__all__ = [
    "ARM",
    "RegressionRecord",
    "Regressions",
    "predictor_matrix",
    "run_regressions",
    "variable_cells",
]

#: The name by which the plan refers to each participant's arm.
ARM = "arm"
_FAMILY_STREAM = 18  # distinguishes this family's random streams from other families'


def variable_cells(table: AnalysisTable, name: str) -> list[object]:
    """The raw values of one variable (a score, a participants-file column or ``arm``), with
    None for a missing cell."""
    if name == ARM:
        col = table.arms.reindex(table.values.index)
    elif name in table.values.columns:
        return [None if np.isnan(v) else float(v) for v in table.values[name].to_numpy(float)]
    else:
        col = table.covariates[name]
    return [None if _blank(v) else str(v).strip() for v in col]


def _blank(value: object) -> bool:
    """A missing cell: None, NaN, pandas' NA, or only whitespace."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return not str(value).strip()


def predictor_matrix(
    table: AnalysisTable, names: Sequence[str], *, key: str
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """Predictor columns: scores and numeric columns as they are, text columns and ``arm``
    dummy-coded (module docstring). Returns the (n, k) matrix and the column names."""
    columns: list[NDArray[np.float64]] = []
    labels: list[str] = []
    for j, name in enumerate(names):
        if name != ARM:
            mat, lab = design(table, [name], key=f"{key}[{j}]")
            columns.append(mat)
            labels.extend(lab)
            continue
        cells = variable_cells(table, ARM)
        levels = sorted({c for c in cells if c is not None}, key=str)
        if len(levels) < 2:
            raise ConfigError(
                f"{key}[{j}]: every participant of the analysis is in one arm "
                f"({levels[0] if levels else 'none'}), so arm cannot be a predictor."
            )
        for level in levels[1:]:
            columns.append(np.array([[np.nan if c is None else float(c == level)] for c in cells]))
            labels.append(f"{ARM}[{level}]")
    return np.column_stack(columns), tuple(labels)


def check_names(study: Study, table: AnalysisTable, refs: dict[str, str]) -> None:
    """ConfigError naming every unknown variable of ``refs`` (key path → name)."""
    available = [*table.values.columns, *(str(c) for c in table.covariates.columns), ARM]
    check_variables(study, refs, available)


@dataclass(frozen=True)
class RegressionRecord(Record):
    """One ``[[analysis.regressions]]`` model: its label, predictors as named in the plan, and
    the fit."""

    label: str
    predictors: tuple[str, ...]
    result: OLSResult
    bootstrap: BootstrapCoefficients | None = None

    derived_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def frame_columns(cls) -> list[str]:
        """The columns of :meth:`to_row` (the model summary; coefficients are in
        :meth:`Regressions.coefficients_frame`)."""
        skip = {"predictors", "coefficients", "covariance"}
        summary = [f for f in OLSResult.__dataclass_fields__ if f not in skip]
        return ["label", "predictors", "terms", *summary, "n_boot"]

    def to_dict(self) -> dict[str, Any]:
        """``outcome``, ``n``, ``r2``, ``adj_r2``, ``f``, ``f_df1``, ``f_df2``, ``f_p``,
        ``se_type`` and ``coefficients`` (``term``, ``estimate``, ``se``, ``t``, ``df``, ``p``,
        ``ci_low``, ``ci_high``, ``beta``, ``vif``), with ``label``, ``predictors``, ``terms``,
        ``n_excluded``, ``confidence_level``, ``status``, ``reason`` and ``notes``."""
        r = Record.to_dict(self)["result"]
        r.pop("covariance", None)
        terms = r.pop("predictors")
        doc = {"label": self.label, "predictors": list(self.predictors), "terms": terms, **r}
        boot = self.bootstrap
        doc["n_boot"] = boot.n_boot if boot else 0
        doc["bootstrap"] = (
            {
                "method": boot.method,
                "n_boot_valid": boot.n_boot_valid,
                "confidence_level": boot.confidence_level,
                "intervals": [
                    {"term": t, "ci_low": lo, "ci_high": hi}
                    for t, lo, hi in zip(boot.terms, boot.ci_low, boot.ci_high, strict=True)
                ],
            }
            if boot
            else None
        )
        return doc

    def to_row(self) -> dict[str, Any]:
        row = super().to_row()
        row.pop("coefficients", None)
        row.pop("bootstrap", None)
        return row


@dataclass(frozen=True)
class Regressions(Family[RegressionRecord]):
    """Every ``[[analysis.regressions]]`` model; ``to_frame()`` has one row per model."""

    def coefficients_frame(self) -> pd.DataFrame:
        """One row per model × term, with the model's ``label`` and ``outcome``."""
        rows = [
            {"label": rec.label, "outcome": rec.result.outcome, **asdict(c)}
            for rec in self.records
            for c in rec.result.coefficients
        ]
        columns = ["label", "outcome", *Coefficient.__dataclass_fields__]
        return pd.DataFrame(rows, columns=columns)


def run_regressions(study: Study, table: AnalysisTable) -> Regressions:
    """Every ``[[analysis.regressions]]`` model, in plan order.

    Raises
    ------
    ConfigError
        When a model names an unknown variable, a text outcome, or a text predictor with a
        single value (exit code 2).
    """
    specs = study.analysis.regressions
    refs = {}
    for i, spec in enumerate(specs):
        refs[f"analysis.regressions[{i}].outcome"] = spec.outcome
        for j, var in enumerate(spec.predictors):
            refs[f"analysis.regressions[{i}].predictors[{j}]"] = var
    check_names(study, table, refs)
    level = study.analysis.confidence_level
    records = []
    for i, spec in enumerate(specs):
        key = f"{study.path}: analysis.regressions[{i}]"
        if spec.outcome == ARM:
            raise ConfigError(
                f"{key}.outcome: arm is text; the outcome of a regression must "
                "be a number (a score or a numeric participants-file column)."
            )
        y = numeric(table, spec.outcome, key=f"{key}.outcome")
        x, names = predictor_matrix(table, spec.predictors, key=f"{key}.predictors")
        fit = ols(y, x, names=names, outcome=spec.outcome, se_type=spec.se, confidence_level=level)
        boot = None
        if spec.n_boot > 0:
            seq = np.random.SeedSequence([study.analysis.seed, _FAMILY_STREAM, i])
            boot = bootstrap_coefficients(
                y, x, names=names, n_boot=spec.n_boot, confidence_level=level,
                rng=np.random.default_rng(seq),
            )  # fmt: skip
        records.append(RegressionRecord(spec.label, tuple(spec.predictors), fit, boot))
    return Regressions(tuple(records), RegressionRecord)
