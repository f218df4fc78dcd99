"""The paper-level analysis (Levin et al. 2024): descriptives, change tests, correlation families.

Each family of tests is computed from the analysis table with the functions of
:mod:`patalliance.stats`; every record carries the n actually analysed.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.plan import beyond_problems, check_variables, plan_references
from patalliance.analysis.results import (
    AnalysisResults,
    ArmDescriptive,
    ChangeRecord,
    CorrelationRecord,
    Descriptive,
)
from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.stats import adjust_pvalues, bootstrap_correlations, correlate, paired_change
from patalliance.study import AnalysisPlan, CorrelationFamily, Study


def _moments(values: np.ndarray) -> tuple[int, float, float, float, float]:
    v = values[~np.isnan(values)]
    n = int(v.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    sd = float(np.std(v, ddof=1)) if n > 1 else np.nan
    return n, float(np.mean(v)), sd, float(np.min(v)), float(np.max(v))


def describe(table: AnalysisTable) -> tuple[list[Descriptive], list[ArmDescriptive]]:
    """n, mean, SD (n − 1), min and max of every variable; n, mean and SD by arm."""
    overall = []
    by_arm = []
    arms = table.arms.astype(str)
    arm_ids = [a for a in dict.fromkeys(arms) if a not in {"nan", "", "None"}]
    for name in table.values.columns:
        col = table.values[name].to_numpy(dtype=float)
        n, mean, sd, lo, hi = _moments(col)
        overall.append(Descriptive(name, n, mean, sd, lo, hi))
        for arm in arm_ids:
            n_a, mean_a, sd_a, _, _ = _moments(col[(arms == arm).to_numpy()])
            by_arm.append(ArmDescriptive(arm, name, n_a, mean_a, sd_a))
    return overall, by_arm


#: The fields a ChangeRecord takes from the PairedChangeResult of its test.
_CHANGE_STATS = tuple(
    f.name
    for f in fields(ChangeRecord)
    if f.name not in {"variable_from", "variable_to", "label", "notes"}
)


def run_change(table: AnalysisTable, plan: AnalysisPlan) -> list[ChangeRecord]:
    """Paired change tests (complete pairs) for every ``[[analysis.change]]``."""
    records = []
    for spec in plan.change:
        res = paired_change(
            table.values[spec.variable_from].to_numpy(dtype=float),
            table.values[spec.variable_to].to_numpy(dtype=float),
            confidence_level=plan.confidence_level,
        )
        records.append(
            ChangeRecord(
                variable_from=spec.variable_from,
                variable_to=spec.variable_to,
                label=spec.label,
                **{name: getattr(res, name) for name in _CHANGE_STATS},
                notes="; ".join(res.notes),
            )
        )
    return records


def _family_data(table: AnalysisTable, fam: CorrelationFamily) -> tuple[pd.DataFrame, pd.DataFrame]:
    return table.values[fam.x], table.values[fam.y]


def family_adjust(
    p: np.ndarray, x: list[str], y: list[str], *, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Raw and adjusted p of a family, counting each distinct test once.

    A family's tests are the unordered pairs of *different* variables among ``x`` × ``y``.
    A variable paired with itself (when ``x`` and ``y`` overlap) is no test: its p and
    adjusted p are NaN. A pair listed both ways (``(a, b)`` and ``(b, a)``) is one test and
    gets the same adjusted p. The adjustment (:func:`patalliance.stats.adjust_pvalues`) runs
    over the distinct tests only, so the family size ``m`` is the number of distinct tests.

    Returns
    -------
    p, p_adj : ndarray, shape ``(len(x), len(y))``
    """
    raw = np.array(p, dtype=np.float64, copy=True)
    first: dict[frozenset[str], tuple[int, int]] = {}
    for j, xv in enumerate(x):
        for k, yv in enumerate(y):
            if xv == yv:
                raw[j, k] = np.nan
            else:
                first.setdefault(frozenset((xv, yv)), (j, k))
    distinct = list(first.values())
    adj_distinct = adjust_pvalues(
        np.array([raw[j, k] for j, k in distinct], dtype=np.float64),
        method=method,  # type: ignore[arg-type]
    )
    by_pair = {key: float(a) for key, a in zip(first, adj_distinct, strict=True)}
    adj = np.full(raw.shape, np.nan)
    for j, xv in enumerate(x):
        for k, yv in enumerate(y):
            if xv != yv:
                adj[j, k] = by_pair[frozenset((xv, yv))]
    return raw, adj


def run_correlations(
    table: AnalysisTable,
    plan: AnalysisPlan,
    *,
    method: str | None = None,
    ci: str | None = None,
    adjust: str | None = None,
) -> list[CorrelationRecord]:
    """Every correlation family: r, n, p, CI (Fisher z or bootstrap) and adjusted p.

    The multiplicity adjustment is applied within each family, over its distinct tests
    (see :func:`family_adjust`: a variable paired with itself has p = NaN, and a pair listed
    both ways counts once). Bootstrap intervals use one
    ``numpy.random.Generator`` per family, spawned from the plan's seed, so results do not
    depend on the order or number of families.
    """
    method = method or plan.correlation
    ci = ci or plan.ci
    adjust = adjust or plan.adjust
    seeds = np.random.SeedSequence(plan.seed).spawn(max(len(plan.correlations), 1))
    records: list[CorrelationRecord] = []
    for fam, seed in zip(plan.correlations, seeds, strict=False):
        x, y = _family_data(table, fam)
        res = correlate(
            x.to_numpy(dtype=float),
            y.to_numpy(dtype=float),
            method=method,  # type: ignore[arg-type]
            missing=plan.missing,
            confidence_level=plan.confidence_level,
        )
        lo, hi = res.ci_low, res.ci_high
        ci_method = "fisher"
        if ci == "bootstrap":
            boot = bootstrap_correlations(
                x.to_numpy(dtype=float),
                y.to_numpy(dtype=float),
                method=method,  # type: ignore[arg-type]
                missing=plan.missing,
                n_resamples=plan.n_resamples,
                confidence_level=plan.confidence_level,
                ci_method=plan.bootstrap_ci,
                rng=np.random.default_rng(seed),
            )
            lo, hi = boot.ci_low, boot.ci_high
            ci_method = f"bootstrap_{plan.bootstrap_ci}"
        p_raw, p_adj = family_adjust(res.p, fam.x, fam.y, method=adjust)
        for j, xv in enumerate(fam.x):
            for k, yv in enumerate(fam.y):
                records.append(
                    CorrelationRecord(
                        family=fam.family,
                        x=xv,
                        y=yv,
                        method=method,
                        missing=plan.missing,
                        n=int(res.n[j, k]),
                        r=float(res.r[j, k]),
                        ci_low=float(lo[j, k]),
                        ci_high=float(hi[j, k]),
                        ci_method=ci_method,
                        p=float(p_raw[j, k]),
                        p_adj=float(p_adj[j, k]),
                        adjust=adjust,
                        confidence_level=plan.confidence_level,
                    )
                )
    return records


def validate_plan(study: Study, table: AnalysisTable) -> None:
    """Check that every variable in the plan exists (ConfigError, exit 2, otherwise)."""
    check_variables(study, plan_references(study), table.values.columns)
    problems = beyond_problems(study)
    if problems:
        raise ConfigError(f"{study.path}: " + "; ".join(problems))


def run_beyond(study: Study, table: AnalysisTable) -> dict[str, Any]:
    """The families beyond the paper that the plan asks for, as JSON-ready results sections.

    Keys: ``efficacy``, ``partial_correlations``, ``mixed_models``, ``mediation``,
    ``facilitator``, ``sensitivity``, ``bayes_factors`` (only those in the plan).
    """
    from patalliance.analysis import bayes, efficacy, facilitator, mediation, mixed, partial
    from patalliance.analysis import sensitivity as sens

    plan = study.analysis
    extra: dict[str, Any] = {}
    if plan.efficacy:
        extra["efficacy"] = efficacy.run_efficacy(study, table)
    if plan.partial_correlations:
        extra["partial_correlations"] = partial.run_partial_correlations(study, table)
    if plan.mixed_models:
        extra["mixed_models"] = mixed.run_mixed_models(study, table)
    if plan.mediation:
        extra["mediation"] = mediation.run_mediation(study, table)
    if plan.facilitator:
        extra["facilitator"] = facilitator.run_facilitator(study, table)
    if plan.sensitivity:
        extra["sensitivity"] = sens.run_sensitivity(study, table)
    if plan.bayes_factors:
        extra["bayes_factors"] = bayes.run_bayes_factors(study, table)
    return extra


def run_analysis(study: Study, table: AnalysisTable) -> AnalysisResults:
    """Validate the plan, then run descriptives, change tests and correlation families."""
    validate_plan(study, table)
    descriptives, by_arm = describe(table)
    return AnalysisResults(
        descriptives=descriptives,
        descriptives_by_arm=by_arm,
        change=run_change(table, study.analysis),
        correlations=run_correlations(table, study.analysis),
        extra=run_beyond(study, table),
    )
