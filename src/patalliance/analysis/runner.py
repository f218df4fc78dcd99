"""Running the analysis plan: every family the study file asks for, in report order.

This module only runs the plan; each family's statistics are in its own module, and every
estimator is in :mod:`patalliance.stats`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from patalliance.analysis.bayes import run_bayes_factors
from patalliance.analysis.change import run_change
from patalliance.analysis.correlations import run_correlations
from patalliance.analysis.descriptives import describe
from patalliance.analysis.efficacy import run_efficacy
from patalliance.analysis.facilitator import run_facilitator
from patalliance.analysis.imputation import run_multiple_imputation
from patalliance.analysis.mediation import run_mediation
from patalliance.analysis.memory import check_resample_memory
from patalliance.analysis.mixed import run_mixed_models
from patalliance.analysis.moderation import run_moderation
from patalliance.analysis.partial import run_partial_correlations
from patalliance.analysis.plan import validate_plan
from patalliance.analysis.regression import run_regressions
from patalliance.analysis.reliability import run_reliability
from patalliance.analysis.results import PlanResults
from patalliance.analysis.sensitivity import run_sensitivity
from patalliance.analysis.trajectories import run_trajectories
from patalliance.derive import AnalysisTable
from patalliance.instruments.key import InstrumentKey
from patalliance.study import Study

__all__ = ["run_plan"]


def run_plan(
    study: Study,
    table: AnalysisTable,
    *,
    responses: pd.DataFrame | None = None,
    keys: Mapping[str, InstrumentKey] | None = None,
) -> PlanResults:
    """Check the plan's variable names, then run every family it asks for.

    ``responses`` (the validated item responses) and ``keys`` (the scoring keys) feed the
    reliability family; without them it is empty.

    Raises
    ------
    ConfigError
        When the plan names an unknown variable, arm or correlation family, or a resampling
        count whose arrays exceed the memory budget (exit code 2).
    """
    validate_plan(study, table)
    check_resample_memory(study, table)
    plan = study.analysis
    empty = PlanResults()
    return PlanResults(
        descriptives=describe(table),
        reliability=run_reliability(study, responses, keys)
        if plan.reliability and responses is not None and keys is not None
        else empty.reliability,
        change=run_change(table, plan),
        correlations=run_correlations(table, plan),
        efficacy=run_efficacy(study, table) if plan.efficacy else empty.efficacy,
        partial_correlations=(
            run_partial_correlations(study, table)
            if plan.partial_correlations
            else empty.partial_correlations
        ),
        mixed_models=run_mixed_models(study, table) if plan.mixed_models else empty.mixed_models,
        mediation=run_mediation(study, table) if plan.mediation else empty.mediation,
        facilitator=run_facilitator(study, table) if plan.facilitator else empty.facilitator,
        sensitivity=run_sensitivity(study, table) if plan.sensitivity else empty.sensitivity,
        bayes_factors=run_bayes_factors(study, table)
        if plan.bayes_factors
        else empty.bayes_factors,
        multiple_imputation=run_multiple_imputation(study, table)
        if plan.multiple_imputation
        else empty.multiple_imputation,
        regressions=run_regressions(study, table) if plan.regressions else empty.regressions,
        moderation=run_moderation(study, table) if plan.moderation else empty.moderation,
        trajectories=run_trajectories(study, table) if plan.trajectories else empty.trajectories,
    )
