"""The pooled analysis: the random-effects model, the studies' weights and intervals, and the
diagnostics, as one frozen :class:`PoolResult`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from scipy import stats

from patalliance.pool.diagnostics import (
    EggerTest,
    LeaveOneOut,
    SubgroupAnalysis,
    egger_test,
    leave_one_out,
    subgroup_analysis,
)
from patalliance.pool.model import METHODS, Method, RandomEffects, random_effects
from patalliance.pool.studies import EffectTable, effect_label, pooling_scale, to_analysis_scale

__all__ = ["Benchmark", "PoolResult", "StudyRecord", "pool"]


@dataclass(frozen=True)
class Benchmark:
    """A published pooled estimate shown beside the result (never pooled with it).

    ``estimate``, ``ci_low`` and ``ci_high`` are on the analysis scale (e.g. r).
    """

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    citation: str
    doi: str = ""
    note: str = ""


@dataclass(frozen=True)
class StudyRecord:
    """One study in the result: its effect and interval on the analysis scale, the SE on the
    pooling scale, and its random-effects weight (a proportion)."""

    study: str
    label: str
    subgroup: str
    effect: float
    se: float
    ci_low: float
    ci_high: float
    weight: float
    n: float
    higher_is_better: bool
    sign_flipped: bool
    source: str
    detail: str = ""


@dataclass(frozen=True)
class PoolResult:
    """Everything a pooled analysis produced (unrounded).

    Attributes
    ----------
    table : EffectTable
        The input studies.
    model : RandomEffects
        The model on the pooling scale (Fisher's z for correlations).
    estimate, ci_low, ci_high, pi_low, pi_high : float
        The pooled effect, its interval and the prediction interval on the analysis scale
        (r back-transformed from z for correlations).
    studies : tuple of StudyRecord
        Per study, on the analysis scale, with weights.
    leave_one_out, egger, subgroups
        Diagnostics (``subgroups`` is None without a subgroup column).
    benchmark : Benchmark or None
        A published estimate shown beside the result.
    title, description : str
        For the report.
    """

    table: EffectTable
    model: RandomEffects
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    studies: tuple[StudyRecord, ...]
    leave_one_out: LeaveOneOut
    egger: EggerTest
    subgroups: SubgroupAnalysis | None = None
    benchmark: Benchmark | None = None
    title: str = "Pooled analysis"
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def measure(self) -> str:
        return self.table.measure

    @property
    def pooling_scale(self) -> str:
        return pooling_scale(self.table.measure)

    @property
    def effect_label(self) -> str:
        return effect_label(self.table.measure)

    @property
    def confidence_level(self) -> float:
        return self.model.confidence_level

    @property
    def total_n(self) -> float:
        ns = [s.n for s in self.studies]
        return float(sum(ns)) if ns and all(math.isfinite(n) for n in ns) else math.nan

    def to_frame(self) -> pd.DataFrame:
        """The studies, one row each, with the fields of ``pool_results.json``."""
        cols = list(StudyRecord.__dataclass_fields__)
        return pd.DataFrame([{c: getattr(s, c) for c in cols} for s in self.studies], columns=cols)


def _study_records(table: EffectTable, model: RandomEffects) -> tuple[StudyRecord, ...]:
    crit = float(stats.norm.ppf(0.5 + model.confidence_level / 2))
    weights = model.weights or tuple(math.nan for _ in table.studies)
    if table.k == 1:
        weights = (1.0,)
    out = []
    for s, w in zip(table.studies, weights, strict=True):
        out.append(
            StudyRecord(
                study=s.study,
                label=s.label,
                subgroup=s.subgroup,
                effect=to_analysis_scale(s.effect, table.measure),
                se=s.se,
                ci_low=to_analysis_scale(s.effect - crit * s.se, table.measure),
                ci_high=to_analysis_scale(s.effect + crit * s.se, table.measure),
                weight=w,
                n=s.n,
                higher_is_better=s.higher_is_better,
                sign_flipped=s.sign_flipped,
                source=s.source,
                detail=s.detail,
            )
        )
    return tuple(out)


def pool(
    table: EffectTable,
    *,
    method: Method = "REML",
    hksj: bool = False,
    confidence_level: float = 0.95,
    benchmark: Benchmark | None = None,
    title: str = "Pooled analysis",
    description: str = "",
    subgroup_column: str = "subgroup",
) -> PoolResult:
    """Pool the studies of ``table`` with a random-effects model and run the diagnostics.

    Parameters
    ----------
    table : EffectTable
        One effect per study (from a reader or built by hand).
    method : {"REML", "DL", "PM"}, keyword-only
        τ² estimator (default REML).
    hksj : bool, keyword-only
        Hartung–Knapp–Sidik–Jonkman interval for the pooled effect.
    confidence_level : float, keyword-only
        Level of every interval (default 0.95).
    benchmark : Benchmark, keyword-only
        A published estimate shown beside the result; never pooled.
    title, description : str, keyword-only
        For the report.
    subgroup_column : str, keyword-only
        What the studies' ``subgroup`` values are (e.g. ``rating``), for the report.

    Returns
    -------
    PoolResult
        With ``model.status = not_estimable`` when the table has a single study (the single
        study is then shown beside the benchmark, unpooled).

    Raises
    ------
    ValueError
        For an unknown method, a level outside (0, 1), or an empty table.

    Notes
    -----
    Correlations are pooled on Fisher's z and every estimate and interval is back-transformed
    with :math:`r = \\tanh z`; τ² and the SEs stay on the z scale. See
    :func:`patalliance.pool.model.random_effects` for the formulas and references.

    Examples
    --------
    >>> from patalliance.pool.studies import EffectTable, StudyEffect
    >>> table = EffectTable("g", tuple(
    ...     StudyEffect(f"s{i}", f"Study {i}", "", g, 0.3, 40.0)
    ...     for i, g in enumerate([0.2, 0.5, 0.8])))
    >>> res = pool(table, method="DL")
    >>> round(res.estimate, 3), res.model.k, res.egger.status.value
    (0.5, 3, 'not_estimable')
    """
    if method not in METHODS:
        raise ValueError(
            f"The 'method' parameter of pool must be one of {', '.join(METHODS)}. "
            f"Got {method!r} instead."
        )
    if table.k == 0:
        raise ValueError("The 'table' parameter of pool has no studies; give at least 2.")
    y, se = table.effects, table.ses
    model = random_effects(y, se, method=method, hksj=hksj, confidence_level=confidence_level)
    ids = [s.study for s in table.studies]
    opts = {"method": method, "hksj": hksj, "confidence_level": confidence_level}
    loo = leave_one_out(y, se, ids, measure=table.measure, **opts)  # type: ignore[arg-type]
    egger = egger_test(y, se, confidence_level=confidence_level)
    groups = [s.subgroup for s in table.studies]
    subgroups = None
    if any(groups) and table.k >= 2:
        labels = [g or "(none)" for g in groups]
        subgroups = subgroup_analysis(
            y,
            se,
            labels,
            measure=table.measure,
            column=subgroup_column,
            **opts,  # type: ignore[arg-type]
        )
    m = table.measure
    return PoolResult(
        table=table,
        model=model,
        estimate=to_analysis_scale(model.estimate, m),
        ci_low=to_analysis_scale(model.ci_low, m),
        ci_high=to_analysis_scale(model.ci_high, m),
        pi_low=to_analysis_scale(model.pi_low, m),
        pi_high=to_analysis_scale(model.pi_high, m),
        studies=_study_records(table, model),
        leave_one_out=loo,
        egger=egger,
        subgroups=subgroups,
        benchmark=benchmark,
        title=title,
        description=description,
        notes=table.notes,
    )
