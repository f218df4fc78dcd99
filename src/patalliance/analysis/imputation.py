"""Multiple imputation (``multiple_imputation``) beside the complete-case analyses.

The analysis variables of the correlation families and the change tests, with the arm as 0/1
dummies (one per arm but the first), are imputed by chained equations
(:class:`patalliance.stats.mice.MiceChain`, the algorithm of statsmodels' ``MICEData``:
predictive mean matching from OLS models whose parameters are drawn from their approximate
posterior). Each of the ``m`` imputations is its own
chain of ``burn_in`` cycles from the mean-filled start, drawing from its own
``numpy.random.Generator`` spawned from the plan's seed (``SeedSequence(seed).spawn(m)``), so
the results are deterministic and never touch numpy's global random state. Each correlation and
change test is run on every completed data set and pooled by Rubin's rules
(:mod:`patalliance.stats.rubin`). The missingness of the same variables is described: its
patterns, Little's (1988) MCAR test, and tests of whether it relates to arm and baseline
severity.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from patalliance.analysis.records import Family, Record
from patalliance.analysis.variables import numeric
from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.stats.correlation import correlate
from patalliance.stats.missingness import LittleMCARResult, little_mcar, missing_patterns
from patalliance.stats.rubin import pool, pool_correlation
from patalliance.study import MultipleImputationSpec, Study

__all__ = [
    "ImputedChangeRecord",
    "ImputedCorrelationRecord",
    "MissingPattern",
    "MissingnessTest",
    "MultipleImputation",
    "imputation_memory_bytes",
    "imputation_variables",
    "impute",
    "run_multiple_imputation",
]

METHOD = "mice_pmm_statsmodels"
_THREADED_FROM = 100_000  # values (rows × columns) from which the chains run on two threads


@dataclass(frozen=True)
class ImputedCorrelationRecord(Record):
    """A correlation pooled over the imputations (Fisher z, Rubin's rules)."""

    family: str
    x: str
    y: str
    method: str
    n: int
    r: float
    ci_low: float
    ci_high: float
    p: float
    df: float
    fmi: float
    riv: float
    within: float
    between: float
    m: int
    confidence_level: float


@dataclass(frozen=True)
class ImputedChangeRecord(Record):
    """A paired change mean difference pooled over the imputations (Rubin's rules)."""

    variable_from: str
    variable_to: str
    label: str
    n: int
    mean_diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p: float
    fmi: float
    riv: float
    within: float
    between: float
    m: int
    confidence_level: float


@dataclass(frozen=True)
class MissingPattern(Record):
    """One pattern of missingness: the variables missing together, and how many have it."""

    missing: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class MissingnessTest(Record):
    """A test of a missingness mechanism (Little's MCAR test, or missingness by arm/baseline)."""

    name: str
    test: str
    statistic: float
    df: float
    p: float
    n: int
    note: str = ""


@dataclass(frozen=True)
class MultipleImputation:
    """The ``multiple_imputation`` section: settings, pooled estimates and missingness."""

    m: int = 0
    seed: int = 0
    method: str = METHOD
    burn_in: int = 0
    variables: tuple[str, ...] = ()
    n: int = 0
    correlations: Family[ImputedCorrelationRecord] = field(
        default_factory=lambda: Family((), ImputedCorrelationRecord)
    )
    change: Family[ImputedChangeRecord] = field(
        default_factory=lambda: Family((), ImputedChangeRecord)
    )
    patterns: Family[MissingPattern] = field(default_factory=lambda: Family((), MissingPattern))
    tests: Family[MissingnessTest] = field(default_factory=lambda: Family((), MissingnessTest))

    def __bool__(self) -> bool:
        return self.m > 0

    def to_frame(self) -> pd.DataFrame:
        """The pooled correlations, one row each (as ``correlations.to_frame()``)."""
        return self.correlations.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """The ``multiple_imputation`` object of ``results.json``."""
        return {
            "m": self.m,
            "seed": self.seed,
            "method": self.method,
            "burn_in": self.burn_in,
            "variables": list(self.variables),
            "n": self.n,
            "correlations": self.correlations.to_list(),
            "change": self.change.to_list(),
            "patterns": self.patterns.to_list(),
            "tests": self.tests.to_list(),
        }


def impute(
    data: NDArray[np.float64], *, m: int, burn_in: int, seed: int
) -> list[NDArray[np.float64]]:
    """``m`` completed copies of ``data`` (NaN = missing) by chained equations.

    Each imputation is its own chain (:class:`patalliance.stats.mice.MiceChain`: predictive
    mean matching, OLS conditional models on every other column, Gaussian parameter draws, as
    statsmodels' ``MICEData``) of ``burn_in`` cycles, drawing from
    ``numpy.random.default_rng(SeedSequence(seed).spawn(m)[i])``. Data with no missing value
    are returned ``m`` times unchanged. No row may be missing on every column.
    """
    values = np.asarray(data, dtype=np.float64)
    if not np.isnan(values).any():
        return [values.copy() for _ in range(m)]
    from threadpoolctl import threadpool_limits

    from patalliance.stats.mice import MiceChain

    start = MiceChain(values)
    rngs = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(m)]
    # Every update multiplies an n × k design with k small: a threaded BLAS gains nothing on
    # such thin matrices, and where cores are shared its threads wait on each other. One
    # thread computes the same numbers. The chains are independent, each with its own
    # generator, so large data run them two at a time on threads (numpy's sorts and products
    # release the GIL); the results are the same in either case.
    with threadpool_limits(limits=1, user_api="blas"):
        if values.size < _THREADED_FROM or (os.cpu_count() or 1) < 2:
            return [start.run(rng, burn_in) for rng in rngs]
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda rng: start.run(rng, burn_in), rngs))


def imputation_variables(study: Study) -> list[str]:
    """The variables imputed: those of the change tests and of the correlation families."""
    plan = study.analysis
    names: list[str] = []
    for spec in plan.change:
        names += [spec.variable_from, spec.variable_to]
    for fam in plan.correlations:
        names += [*fam.x, *fam.y]
    return list(dict.fromkeys(names))


def imputation_memory_bytes(n_obs: int, n_columns: int, m: int) -> int:
    """Bytes that the ``multiple_imputation`` family holds at its peak, estimated (an upper
    bound): the ``m`` completed copies of the ``n_obs × n_columns`` data, one chain's working
    copies (its state, row subsets, predictions and matching arrays: fewer than forty more), and 32 MiB
    that do not grow with the data."""
    return 8 * n_obs * max(n_columns, 1) * (m + 40) + 2**25


def _arm_dummies(table: AnalysisTable) -> NDArray[np.float64]:
    arms = table.arms.reindex(table.values.index).astype(str)
    levels = sorted(set(arms))
    cols = [(arms == level).to_numpy(dtype=np.float64) for level in levels[1:]]
    return np.column_stack(cols) if cols else np.empty((len(arms), 0))


def _correlations(
    study: Study, completed: list[NDArray[np.float64]], names: list[str], m: int
) -> list[ImputedCorrelationRecord]:
    plan = study.analysis
    col = {name: i for i, name in enumerate(names)}
    out = []
    for fam in plan.correlations:
        rs = [
            correlate(
                data[:, [col[v] for v in fam.x]],
                data[:, [col[v] for v in fam.y]],
                method=plan.correlation,
            ).r
            for data in completed
        ]
        n = completed[0].shape[0]
        for j, xv in enumerate(fam.x):
            for k, yv in enumerate(fam.y):
                if xv == yv:
                    continue  # a variable with itself is no test
                res = pool_correlation(
                    [r[j, k] for r in rs], n, confidence_level=plan.confidence_level
                )
                out.append(
                    ImputedCorrelationRecord(
                        family=fam.family,
                        x=xv,
                        y=yv,
                        method=plan.correlation,
                        n=n,
                        r=res.estimate,
                        ci_low=res.ci_low,
                        ci_high=res.ci_high,
                        p=res.p,
                        df=res.df,
                        fmi=res.fmi,
                        riv=res.riv,
                        within=res.within,
                        between=res.between,
                        m=m,
                        confidence_level=plan.confidence_level,
                    )
                )
    return out


def _change(
    study: Study, completed: list[NDArray[np.float64]], names: list[str], m: int
) -> list[ImputedChangeRecord]:
    plan = study.analysis
    col = {name: i for i, name in enumerate(names)}
    out = []
    for spec in plan.change:
        diffs = [d[:, col[spec.variable_to]] - d[:, col[spec.variable_from]] for d in completed]
        n = len(diffs[0])
        res = pool(
            [float(d.mean()) for d in diffs],
            [float(d.var(ddof=1)) / n for d in diffs],
            df_complete=n - 1,
            confidence_level=plan.confidence_level,
        )
        out.append(
            ImputedChangeRecord(
                variable_from=spec.variable_from,
                variable_to=spec.variable_to,
                label=spec.label,
                n=n,
                mean_diff=res.estimate,
                diff_ci_low=res.ci_low,
                diff_ci_high=res.ci_high,
                t=res.t,
                df=res.df,
                p=res.p,
                fmi=res.fmi,
                riv=res.riv,
                within=res.within,
                between=res.between,
                m=m,
                confidence_level=plan.confidence_level,
            )
        )
    return out


def _baseline_name(study: Study, spec: MultipleImputationSpec, table: AnalysisTable) -> str:
    if spec.baseline is not None:
        if spec.baseline not in table.values.columns:
            raise ConfigError(
                f"{study.path}: analysis.multiple_imputation.baseline: unknown variable "
                f"{spec.baseline!r}; give a score of the analysis table, such as "
                "'depression.total@baseline'."
            )
        return spec.baseline
    for eff in study.analysis.efficacy:
        name = f"{eff.measure}.{eff.scale}@{eff.baseline}"
        if name in table.values.columns:
            return name
    return ""


def missingness_tests(
    data: NDArray[np.float64],
    arms: NDArray[Any],
    baseline: NDArray[np.float64] | None,
    baseline_name: str,
) -> list[MissingnessTest]:
    """Little's MCAR test of ``data``; Fisher's exact (two arms) or Pearson's chi-square test of
    arm × incomplete; Welch's t test of the baseline between incomplete and complete rows."""
    out = []
    little: LittleMCARResult = little_mcar(data)
    out.append(
        MissingnessTest(
            "mcar",
            "little_1988",
            little.statistic,
            little.df,
            little.p,
            little.n,
            "" if little.converged else "the EM estimates did not converge",
        )
    )
    incomplete = np.asarray(np.isnan(data).any(axis=1), dtype=bool)
    table = pd.crosstab(np.asarray(arms), incomplete)
    n = int(incomplete.shape[0])
    if table.shape[1] < 2 or table.shape[0] < 2:
        out.append(
            MissingnessTest(
                "arm", "none", np.nan, np.nan, np.nan, n, "no variation in arm or missingness"
            )
        )
    elif table.shape == (2, 2):
        res = stats.fisher_exact(table.to_numpy())
        out.append(MissingnessTest("arm", "fisher_exact", float(res[0]), np.nan, float(res[1]), n))
    else:
        chi = stats.chi2_contingency(table.to_numpy(), correction=False)
        out.append(
            MissingnessTest("arm", "pearson_chi2", float(chi[0]), float(chi[2]), float(chi[1]), n)
        )
    if baseline is not None:
        a, b = baseline[incomplete], baseline[~incomplete]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if len(a) >= 2 and len(b) >= 2:
            welch = stats.ttest_ind(a, b, equal_var=False)
            out.append(
                MissingnessTest(
                    "baseline",
                    "welch_t",
                    float(welch.statistic),
                    float(welch.df),
                    float(welch.pvalue),
                    len(a) + len(b),
                    baseline_name,
                )
            )
        else:
            out.append(
                MissingnessTest(
                    "baseline", "none", np.nan, np.nan, np.nan, len(a) + len(b), baseline_name
                )
            )
    return out


def _check_observed(study: Study, names: list[str], full: NDArray[np.float64]) -> None:
    """Each imputed variable's OLS model (an intercept and every other column) needs more
    observed values than it has coefficients; name every variable that has too few."""
    from patalliance.stats.mice import too_rarely_observed

    observed = (~np.isnan(full)).sum(axis=0)
    short = [f"{names[j]!r} ({observed[j]})" for j in too_rarely_observed(full).tolist()]
    if short:
        n, need = full.shape[0], full.shape[1] + 1
        raise ConfigError(
            f"{study.path}: analysis.multiple_imputation: too few observed values to impute "
            f"{', '.join(short)} of the {n} participants: each imputation model (an intercept "
            f"and the {full.shape[1] - 1} other variables) needs at least {need}. Drop the "
            "family or change test that uses the variable, or set multiple_imputation = false."
        )


def run_multiple_imputation(study: Study, table: AnalysisTable) -> MultipleImputation:
    """The ``multiple_imputation`` section of the plan (see the module docstring)."""
    plan = study.analysis
    spec = plan.multiple_imputation
    opts = spec if isinstance(spec, MultipleImputationSpec) else MultipleImputationSpec()
    names = imputation_variables(study)
    data = np.column_stack(
        [numeric(table, v, key="analysis.multiple_imputation") for v in names]
    ).reshape(len(table.values.index), len(names))
    keep = ~np.isnan(data).all(axis=1)  # a row with no analysis value is no participant here
    data = data[keep]
    arms = table.arms.reindex(table.values.index).astype(str).to_numpy()[keep]
    full = np.column_stack([data, _arm_dummies(table)[keep]])
    _check_observed(study, names, full)
    completed = [
        c[:, : len(names)] for c in impute(full, m=opts.m, burn_in=opts.burn_in, seed=plan.seed)
    ]
    patterns = [
        MissingPattern(tuple(v for v, miss in zip(names, pat, strict=True) if miss), count)
        for pat, count in missing_patterns(data)
    ]
    base_name = _baseline_name(study, opts, table)
    baseline = table.values[base_name].to_numpy(dtype=float)[keep] if base_name else None
    return MultipleImputation(
        m=opts.m,
        seed=plan.seed,
        method=METHOD,
        burn_in=opts.burn_in,
        variables=tuple(names),
        n=int(keep.sum()),
        correlations=Family(
            tuple(_correlations(study, completed, names, opts.m)), ImputedCorrelationRecord
        ),
        change=Family(tuple(_change(study, completed, names, opts.m)), ImputedChangeRecord),
        patterns=Family(tuple(patterns), MissingPattern),
        tests=Family(tuple(missingness_tests(data, arms, baseline, base_name)), MissingnessTest),
    )
