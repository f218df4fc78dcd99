"""Checking the analysis plan against the analysis table before any computation.

Every variable named in ``[analysis]`` must exist in the analysis table. An unknown name is a
configuration error (exit 2) whose message suggests the closest existing name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from patalliance.derive import AnalysisTable
from patalliance.errors import ConfigError
from patalliance.qc import Problem
from patalliance.study import SensitivitySpec, Study


def closest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest variable name, or ''."""
    match = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def check_variables(study: Study, references: Mapping[str, str], available: Iterable[str]) -> None:
    """Raise ConfigError naming every unknown variable, with a suggestion for each.

    ``references`` maps a key path in the study file (e.g. ``analysis.correlations[0].x[1]``)
    to the variable named there.
    """
    names = set(available)
    problems = [
        f"{path}: {_unknown(var, names)}" for path, var in references.items() if var not in names
    ]
    if problems:
        raise ConfigError(
            f"{study.path}: "
            + "; ".join(problems)
            + ". Variables are named measure.scale@timepoint (`patalliance score` lists them "
            "all), or are columns of the participants file."
        )


def _unknown(var: str, names: set[str]) -> str:
    if var == "facilitator":  # a reserved column of the participants file, not a variable
        return (
            "'facilitator' is the participants file's facilitator column, the grouping of "
            "[analysis.facilitator]; it cannot be a variable of this analysis"
        )
    return f"unknown variable {var!r}{closest(var, names)}"


def plan_references(study: Study) -> dict[str, str]:
    """Every variable the paper-level plan (change tests and correlation families) names."""
    refs: dict[str, str] = {}
    plan = study.analysis
    for i, change in enumerate(plan.change):
        refs[f"analysis.change[{i}].variable_from"] = change.variable_from
        refs[f"analysis.change[{i}].variable_to"] = change.variable_to
    for i, fam in enumerate(plan.correlations):
        for axis in ("x", "y"):
            for j, var in enumerate(getattr(fam, axis)):
                refs[f"analysis.correlations[{i}].{axis}[{j}]"] = var
    refs.update(beyond_references(study))
    return refs


def beyond_references(study: Study) -> dict[str, str]:
    """Every variable the families beyond the paper name (efficacy, mediation, ...)."""
    refs: dict[str, str] = {}
    plan = study.analysis
    for i, eff in enumerate(plan.efficacy):
        head = f"{eff.measure}.{eff.scale}"
        refs[f"analysis.efficacy[{i}].baseline"] = f"{head}@{eff.baseline}"
        for j, tp in enumerate(eff.timepoints):
            refs[f"analysis.efficacy[{i}].timepoints[{j}]"] = f"{head}@{tp}"
    for i, pfam in enumerate(plan.partial_correlations):
        for axis in ("x", "y", "covariates"):
            for j, var in enumerate(getattr(pfam, axis)):
                refs[f"analysis.partial_correlations[{i}].{axis}[{j}]"] = var
    for i, mm in enumerate(plan.mixed_models):
        for j, tp in enumerate(mm.timepoints):
            refs[f"analysis.mixed_models[{i}].timepoints[{j}]"] = f"{mm.outcome}@{tp}"
        for j, var in enumerate(mm.predictors):
            refs[f"analysis.mixed_models[{i}].predictors[{j}]"] = var
        if mm.baseline is not None:
            refs[f"analysis.mixed_models[{i}].baseline"] = mm.baseline
    for i, med in enumerate(plan.mediation):
        refs[f"analysis.mediation[{i}].x"] = med.x
        refs[f"analysis.mediation[{i}].y"] = med.y
        for axis in ("m", "covariates"):
            for j, var in enumerate(getattr(med, axis)):
                refs[f"analysis.mediation[{i}].{axis}[{j}]"] = var
    for i, fac in enumerate(plan.facilitator):
        for axis in ("alliance", "outcomes"):
            for j, var in enumerate(getattr(fac, axis)):
                refs[f"analysis.facilitator[{i}].{axis}[{j}]"] = var
    return refs


#: Fewer bootstrap resamples than this give an interval whose bounds move from seed to seed.
MIN_RESAMPLES = 1000


def resample_warnings(study: Study) -> list[Problem]:
    """A QC warning (``few_resamples``) for every bootstrap of the plan with fewer than
    1,000 resamples; the report also states how many were used."""
    plan = study.analysis
    counts: list[tuple[str, int]] = []
    if plan.ci == "bootstrap" and plan.correlations:
        counts.append(("analysis.n_resamples", plan.n_resamples))
    if plan.sensitivity and isinstance(plan.sensitivity, SensitivitySpec):
        counts.append(("analysis.sensitivity.n_resamples", plan.sensitivity.n_resamples))
    counts += [(f"analysis.mediation[{i}].n_boot", m.n_boot) for i, m in enumerate(plan.mediation)]
    counts += [
        (f"analysis.mixed_models[{i}].n_boot", m.n_boot)
        for i, m in enumerate(plan.mixed_models)
        if m.n_boot > 0
    ]
    counts += [
        (f"analysis.regressions[{i}].n_boot", r.n_boot)
        for i, r in enumerate(plan.regressions)
        if r.n_boot > 0
    ]
    return [
        Problem(
            file=str(study.path),
            row=None,
            column=key,
            code="few_resamples",
            message=(
                f"{key} = {n}: a bootstrap interval from fewer than {MIN_RESAMPLES:,} resamples "
                f"changes noticeably with the seed; set it to {MIN_RESAMPLES:,} or more"
            ),
            severity="warning",
        )
        for key, n in counts
        if n < MIN_RESAMPLES
    ]


def validate_plan(study: Study, table: AnalysisTable) -> None:
    """Check that every variable, arm and family the plan names exists.

    Raises
    ------
    ConfigError
        Naming every unknown name with a suggestion (exit code 2).
    """
    available = [*table.values.columns, *(str(c) for c in table.covariates.columns)]
    check_variables(study, plan_references(study), available)
    problems = beyond_problems(study)
    if problems:
        raise ConfigError(f"{study.path}: " + "; ".join(problems))


def beyond_problems(study: Study) -> list[str]:
    """Unknown arms in ``efficacy`` and unknown family names in ``sensitivity``/``bayes_factors``."""
    plan = study.analysis
    names = [fam.family for fam in plan.correlations]
    problems = []
    arms = list(study.arms)
    for i, eff in enumerate(plan.efficacy):
        for key in ("treatment_arm", "control_arm"):
            arm = getattr(eff, key)
            if arm not in arms:
                problems.append(
                    f"analysis.efficacy[{i}].{key}: unknown arm {arm!r}{closest(arm, arms)}; "
                    f"arms: {', '.join(arms)}"
                )
    for key in ("sensitivity", "bayes_factors"):
        spec = getattr(plan, key)
        families = getattr(spec, "families", None) or []
        for j, fam in enumerate(families):
            if fam not in names:
                problems.append(
                    f"analysis.{key}.families[{j}]: unknown correlation family {fam!r}"
                    f"{closest(fam, names)}; families: {', '.join(names) or '(none)'}"
                )
    return problems
