"""Correlation families (``[[analysis.correlations]]``): r, n, p, interval and adjusted p.

Each family is every x × y pair of its variables. The multiplicity adjustment runs within a
family over its distinct tests (:func:`family_adjust`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patalliance.analysis.records import Family, Record
from patalliance.analysis.variables import numeric_matrix
from patalliance.derive import AnalysisTable
from patalliance.stats import adjust_pvalues, bootstrap_correlations, correlate
from patalliance.study import AnalysisPlan, CorrelationFamily

__all__ = ["CorrelationRecord", "family_adjust", "run_correlations", "self_pairs"]


@dataclass(frozen=True)
class CorrelationRecord(Record):
    """One correlation of a family, with its interval and multiplicity adjustment."""

    family: str
    x: str
    y: str
    method: str
    missing: str
    n: int
    r: float
    ci_low: float
    ci_high: float
    ci_method: str
    p: float
    p_adj: float
    adjust: str
    confidence_level: float

    @property
    def decision_p(self) -> float:
        """The p that decides significance: adjusted when the family is adjusted."""
        return self.p if self.adjust == "none" else self.p_adj


def family_data(
    table: AnalysisTable, fam: CorrelationFamily, index: int
) -> tuple[np.ndarray, np.ndarray]:
    """The x and y variables of a family as (n, len(x)) and (n, len(y)) matrices."""
    key = f"analysis.correlations[{index}]"
    return numeric_matrix(table, fam.x, key=key), numeric_matrix(table, fam.y, key=key)


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


def self_pairs(x: list[str], y: list[str]) -> np.ndarray:
    """Mask (len(x), len(y)) of the cells where a variable is paired with itself: no test."""
    return np.array([[xv == yv for yv in y] for xv in x], dtype=bool).reshape(len(x), len(y))


def run_correlations(
    table: AnalysisTable,
    plan: AnalysisPlan,
    *,
    method: str | None = None,
    ci: str | None = None,
    adjust: str | None = None,
) -> Family[CorrelationRecord]:
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
    for index, (fam, seed) in enumerate(zip(plan.correlations, seeds, strict=False)):
        x, y = family_data(table, fam, index)
        res = correlate(
            x,
            y,
            method=method,  # type: ignore[arg-type]
            missing=plan.missing,
            confidence_level=plan.confidence_level,
        )
        lo, hi = res.ci_low, res.ci_high
        ci_method = "fisher_bonett_wright" if res.ci_method.endswith("bonett_wright") else "fisher"
        if ci == "bootstrap":
            boot = bootstrap_correlations(
                x,
                y,
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
        same = self_pairs(fam.x, fam.y)
        r_fam = np.where(same, np.nan, res.r)
        lo, hi = np.where(same, np.nan, lo), np.where(same, np.nan, hi)
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
                        r=float(r_fam[j, k]),
                        ci_low=float(lo[j, k]),
                        ci_high=float(hi[j, k]),
                        ci_method=ci_method,
                        p=float(p_raw[j, k]),
                        p_adj=float(p_adj[j, k]),
                        adjust=adjust,
                        confidence_level=plan.confidence_level,
                    )
                )
    return Family(tuple(records), CorrelationRecord)
