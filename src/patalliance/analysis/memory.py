"""The memory each resampling family of the plan needs, checked before anything runs.

Each estimate is the estimator's own (next to the code that allocates the arrays), for the
analysis table's ``n`` participants, and must fit :data:`patalliance.limits.MEMORY_BUDGET_BYTES`:

| key | estimate | the arrays |
|---|---|---|
| ``analysis.n_resamples`` (``ci = "bootstrap"``) | :func:`~patalliance.stats.bootstrap.bootstrap_memory_bytes` of the largest family | replicates ``n_resamples × pairs``, one block of resampling counts, the jackknife |
| ``analysis.sensitivity.n_resamples`` | the same | the same |
| ``analysis.mediation[i].n_boot`` | :func:`~patalliance.stats.mediation.mediation_memory_bytes` | replicates, column products, one block of resampling counts or leave-one-out cross products |
| ``analysis.mixed_models[i].n_boot`` | :func:`~patalliance.stats.mixed_bootstrap.parametric_bootstrap_memory_bytes` | the design's sums, one block of simulated sums and refits, and the kept estimates |
| ``analysis.multiple_imputation.m`` | :func:`~patalliance.analysis.imputation.imputation_memory_bytes` | one imputed copy of the imputed variables per imputation, and one chain's working copies |
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from patalliance.analysis.imputation import imputation_memory_bytes, imputation_variables
from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.limits import memory_problem
from patalliance.stats.bootstrap import bootstrap_memory_bytes
from patalliance.stats.mediation import mediation_memory_bytes
from patalliance.stats.mixed_bootstrap import parametric_bootstrap_memory_bytes
from patalliance.study import MultipleImputationSpec, SensitivitySpec, Study

__all__ = ["check_resample_memory", "resample_memory_problems"]

_Need = Callable[[int], int]


def _bootstrap_need(study: Study, n: int) -> _Need:
    shapes = [(len(f.x), len(f.y)) for f in study.analysis.correlations] or [(1, 1)]
    method = study.analysis.correlation
    return lambda c: max(bootstrap_memory_bytes(n, p, q, c, method) for p, q in shapes)


def _counts(study: Study, n: int, n_variables: int) -> list[tuple[str, int, _Need, str]]:
    plan = study.analysis
    boot = "replicates and one block of resampling counts"
    counts: list[tuple[str, int, _Need, str]] = []
    if plan.ci == "bootstrap" and plan.correlations:
        counts.append(("analysis.n_resamples", plan.n_resamples, _bootstrap_need(study, n), boot))
    if plan.sensitivity is True or isinstance(plan.sensitivity, SensitivitySpec):
        sens = plan.sensitivity if isinstance(plan.sensitivity, SensitivitySpec) else None
        count = (sens or SensitivitySpec()).n_resamples
        key = "analysis.sensitivity.n_resamples"
        counts.append((key, count, _bootstrap_need(study, n), boot))
    for i, med in enumerate(plan.mediation):
        k_m, k_c = len(med.m), len(med.covariates)
        counts.append(
            (
                f"analysis.mediation[{i}].n_boot",
                med.n_boot,
                partial(mediation_memory_bytes, n, k_m, k_c),
                "replicates, column products and one block of resampling counts",
            )
        )
    for i, mm in enumerate(plan.mixed_models):
        n_times = len(mm.timepoints)
        n_fixed = n_times + 1 + (mm.baseline is not None)  # intercept, times, predictor
        need = partial(
            parametric_bootstrap_memory_bytes, n * n_times, n, n_fixed=n_fixed, n_sizes=n_times
        )
        counts.append(
            (
                f"analysis.mixed_models[{i}].n_boot",
                mm.n_boot,
                need,
                "simulated sufficient statistics and refits",
            )
        )
    if plan.multiple_imputation:
        mi = plan.multiple_imputation
        m = (mi if isinstance(mi, MultipleImputationSpec) else MultipleImputationSpec()).m
        # the imputed variables and the arm dummies (one per arm but the first)
        width = len(imputation_variables(study)) + max(len(study.arms) - 1, 0)
        counts.append(
            (
                "analysis.multiple_imputation.m",
                m,
                partial(imputation_memory_bytes, n, width),
                "m imputed copies of the imputed variables",
            )
        )
    return counts


def resample_memory_problems(study: Study, n: int, n_variables: int) -> list[str]:
    """One sentence per resampling count of the plan whose arrays exceed the memory budget.

    ``n`` is the number of participants of the analysis table, ``n_variables`` its columns.
    """
    problems = [memory_problem(*count) for count in _counts(study, n, n_variables)]
    return [p for p in problems if p is not None]


def check_resample_memory(study: Study, table: AnalysisTable) -> None:
    """Raise :class:`ConfigError` (exit 2) naming every count over the memory budget."""
    problems = resample_memory_problems(study, table.n_participants, table.values.shape[1])
    if problems:
        raise ConfigError(f"{study.path}: " + "; ".join(problems) + ".")
