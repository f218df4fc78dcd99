"""Running the analysis plan: every family the study file asks for, in report order.

This module only runs the plan; each family's statistics are in its own module, and every
estimator is in :mod:`patalliance.stats`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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


#: A step of the plan: its PlanResults field, its plain name, and the call that runs it.
_Step = tuple[str, str, Callable[[], object]]


def _steps(
    study: Study,
    table: AnalysisTable,
    responses: pd.DataFrame | None,
    keys: Mapping[str, InstrumentKey] | None,
) -> list[_Step]:
    """The families the plan asks for, in report order."""
    plan = study.analysis
    steps: list[_Step] = [
        ("descriptives", "descriptive statistics", lambda: describe(table)),
    ]
    if plan.reliability and responses is not None and keys is not None:
        items, scoring = responses, keys
        steps.append(("reliability", "reliability", lambda: run_reliability(study, items, scoring)))
    steps += [
        ("change", "change", lambda: run_change(table, plan)),
        ("correlations", "correlations", lambda: run_correlations(table, plan)),
    ]
    optional: list[tuple[object, _Step]] = [
        (plan.efficacy, ("efficacy", "efficacy", lambda: run_efficacy(study, table))),
        (
            plan.partial_correlations,
            (
                "partial_correlations",
                "partial correlations",
                lambda: run_partial_correlations(study, table),
            ),
        ),
        (
            plan.mixed_models,
            ("mixed_models", "mixed models", lambda: run_mixed_models(study, table)),
        ),
        (plan.mediation, ("mediation", "mediation", lambda: run_mediation(study, table))),
        (
            plan.facilitator,
            ("facilitator", "facilitator effects", lambda: run_facilitator(study, table)),
        ),
        (
            plan.sensitivity,
            ("sensitivity", "sensitivity analyses", lambda: run_sensitivity(study, table)),
        ),
        (
            plan.bayes_factors,
            ("bayes_factors", "Bayes factors", lambda: run_bayes_factors(study, table)),
        ),
        (
            plan.multiple_imputation,
            (
                "multiple_imputation",
                "multiple imputation",
                lambda: run_multiple_imputation(study, table),
            ),
        ),
        (plan.regressions, ("regressions", "regressions", lambda: run_regressions(study, table))),
        (plan.moderation, ("moderation", "moderation", lambda: run_moderation(study, table))),
        (
            plan.trajectories,
            ("trajectories", "trajectories", lambda: run_trajectories(study, table)),
        ),
    ]
    return steps + [step for wanted, step in optional if wanted]


def run_plan(
    study: Study,
    table: AnalysisTable,
    *,
    responses: pd.DataFrame | None = None,
    keys: Mapping[str, InstrumentKey] | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlanResults:
    """Check the plan's variable names, then run every family it asks for.

    ``responses`` (the validated item responses) and ``keys`` (the scoring keys) feed the
    reliability family; without them it is empty. ``progress``, when given, is called with
    the plain name of each family (``"mixed models"``) before it runs. Families the plan does
    not ask for are empty.

    Raises
    ------
    ConfigError
        When the plan names an unknown variable, arm or correlation family, or a resampling
        count whose arrays exceed the memory budget (exit code 2).
    """
    validate_plan(study, table)
    check_resample_memory(study, table)
    say = progress or (lambda message: None)
    done: dict[str, Any] = {}
    for name, label, run in _steps(study, table, responses, keys):
        say(label)
        done[name] = run()
    return PlanResults(**done)
