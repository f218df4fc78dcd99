"""The memory each resampling family of the plan needs, checked before anything runs.

Each estimate counts the 8-byte values that the family's arrays hold at once, per resample or
imputation, for the analysis table's ``n`` participants (:mod:`patalliance.limits`):

| key | estimate (values per resample) | the arrays |
|---|---|---|
| ``analysis.n_resamples`` (``ci = "bootstrap"``) | ``n + pairs`` | the resample indices (``n_resamples × n``) and one coefficient per x × y pair |
| ``analysis.sensitivity.n_resamples`` | ``n + pairs`` of the largest family | the same, one family at a time |
| ``analysis.mediation[i].n_boot`` | ``2 n (3 + mediators + covariates)`` | the resampled x, m, y and covariates, and the design matrices |
| ``analysis.mixed_models[i].n_boot`` | ``n (1 + timepoints)`` | the simulated random intercepts and residuals |
| ``analysis.multiple_imputation.m`` | ``n × variables`` | one imputed copy of the table per imputation |
"""

from __future__ import annotations

from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.limits import memory_problem
from patalliance.study import MultipleImputationSpec, SensitivitySpec, Study

__all__ = ["check_resample_memory", "resample_memory_problems"]


def resample_memory_problems(study: Study, n: int, n_variables: int) -> list[str]:
    """One sentence per resampling count of the plan whose arrays exceed the memory budget.

    ``n`` is the number of participants of the analysis table, ``n_variables`` its columns.
    """
    plan = study.analysis
    pairs = [len(f.x) * len(f.y) for f in plan.correlations] or [0]
    counts: list[tuple[str, int, int, str]] = []
    if plan.ci == "bootstrap" and plan.correlations:
        formula = "n_resamples × (n + pairs) × 8 bytes"
        counts.append(("analysis.n_resamples", plan.n_resamples, n + sum(pairs), formula))
    if isinstance(plan.sensitivity, SensitivitySpec) or plan.sensitivity is True:
        sens = plan.sensitivity if isinstance(plan.sensitivity, SensitivitySpec) else None
        count = sens.n_resamples if sens is not None else SensitivitySpec().n_resamples
        formula = "n_resamples × (n + pairs) × 8 bytes"
        counts.append(("analysis.sensitivity.n_resamples", count, n + max(pairs), formula))
    for i, med in enumerate(plan.mediation):
        width = 2 * n * (3 + len(med.m) + len(med.covariates))
        formula = "n_boot × 2n × (3 + mediators + covariates) × 8 bytes"
        counts.append((f"analysis.mediation[{i}].n_boot", med.n_boot, width, formula))
    for i, mm in enumerate(plan.mixed_models):
        width = n * (1 + len(mm.timepoints))
        formula = "n_boot × n × (1 + timepoints) × 8 bytes"
        counts.append((f"analysis.mixed_models[{i}].n_boot", mm.n_boot, width, formula))
    if plan.multiple_imputation:
        mi = plan.multiple_imputation
        m = mi.m if isinstance(mi, MultipleImputationSpec) else MultipleImputationSpec().m
        formula = "m × n × variables × 8 bytes"
        counts.append(("analysis.multiple_imputation.m", m, n * max(1, n_variables), formula))
    problems = [memory_problem(key, c, width, f) for key, c, width, f in counts]
    return [p for p in problems if p is not None]


def check_resample_memory(study: Study, table: AnalysisTable) -> None:
    """Raise :class:`ConfigError` (exit 2) naming every count over the memory budget."""
    problems = resample_memory_problems(study, table.n_participants, table.values.shape[1])
    if problems:
        raise ConfigError(f"{study.path}: " + "; ".join(problems) + ".")
