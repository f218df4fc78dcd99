"""Numeric statistics on arrays: every estimator of the package, with its formula and source.

Every function takes arrays (NaN for missing), returns a frozen result dataclass with
unrounded floats, ``n`` and the method, and documents its formula and source. Nothing here
knows about studies, reports or the command line; :mod:`patalliance.analysis` runs these
functions over the analysis plan.

Names are imported on first use, so that importing one estimator does not load the others
(and scipy.stats or statsmodels with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patalliance._lazy import lazy_exports

if TYPE_CHECKING:
    from patalliance.stats.bayes import BayesFactorResult, bayes_factor_pearson
    from patalliance.stats.bootstrap import BootstrapResult, bootstrap_correlations
    from patalliance.stats.change import PairedChangeResult, paired_change
    from patalliance.stats.correlation import (
        ConfidenceInterval,
        CorrelationResult,
        correlate,
        fisher_ci,
        pearson,
        spearman,
    )
    from patalliance.stats.group import (
        AncovaResult,
        EffectSizeResult,
        ProportionResult,
        WelchResult,
        ancova,
        cohens_d,
        welch_t,
        wilson_interval,
    )
    from patalliance.stats.icc import ICCResult, icc1
    from patalliance.stats.influence import LeaveOneOut, leave_one_out
    from patalliance.stats.mediation import IndirectEffect, MediationResult, PathEstimate, mediation
    from patalliance.stats.mixed import (
        RandomInterceptBatch,
        RandomInterceptFit,
        reml_random_intercept,
        reml_random_intercept_batch,
    )
    from patalliance.stats.mixed_bootstrap import (
        ParametricBootstrap,
        parametric_bootstrap_random_intercept,
    )
    from patalliance.stats.mixedlm import FixedEffect, MixedModelResult, fit_random_intercept
    from patalliance.stats.moderation import ModerationResult, SimpleSlope, moderation
    from patalliance.stats.multiplicity import adjust_pvalues, adjust_pvalues_batch
    from patalliance.stats.partial import PartialCorrelationResult, partial_correlation
    from patalliance.stats.regression import Coefficient, OLSResult, ols
    from patalliance.stats.reml import RandomEffectsFit, reml_random_effects
    from patalliance.stats.tdist import correlation_t, t_two_sided_p

#: Public name → the module that defines it.
_EXPORTS = {
    "AncovaResult": "patalliance.stats.group",
    "BayesFactorResult": "patalliance.stats.bayes",
    "BootstrapResult": "patalliance.stats.bootstrap",
    "Coefficient": "patalliance.stats.regression",
    "ConfidenceInterval": "patalliance.stats.correlation",
    "CorrelationResult": "patalliance.stats.correlation",
    "EffectSizeResult": "patalliance.stats.group",
    "FixedEffect": "patalliance.stats.mixedlm",
    "ICCResult": "patalliance.stats.icc",
    "IndirectEffect": "patalliance.stats.mediation",
    "LeaveOneOut": "patalliance.stats.influence",
    "MediationResult": "patalliance.stats.mediation",
    "MixedModelResult": "patalliance.stats.mixedlm",
    "ModerationResult": "patalliance.stats.moderation",
    "OLSResult": "patalliance.stats.regression",
    "PairedChangeResult": "patalliance.stats.change",
    "ParametricBootstrap": "patalliance.stats.mixed_bootstrap",
    "PartialCorrelationResult": "patalliance.stats.partial",
    "PathEstimate": "patalliance.stats.mediation",
    "ProportionResult": "patalliance.stats.group",
    "RandomEffectsFit": "patalliance.stats.reml",
    "RandomInterceptBatch": "patalliance.stats.mixed",
    "RandomInterceptFit": "patalliance.stats.mixed",
    "SimpleSlope": "patalliance.stats.moderation",
    "WelchResult": "patalliance.stats.group",
    "adjust_pvalues": "patalliance.stats.multiplicity",
    "adjust_pvalues_batch": "patalliance.stats.multiplicity",
    "ancova": "patalliance.stats.group",
    "bayes_factor_pearson": "patalliance.stats.bayes",
    "bootstrap_correlations": "patalliance.stats.bootstrap",
    "cohens_d": "patalliance.stats.group",
    "correlate": "patalliance.stats.correlation",
    "correlation_t": "patalliance.stats.tdist",
    "fisher_ci": "patalliance.stats.correlation",
    "fit_random_intercept": "patalliance.stats.mixedlm",
    "icc1": "patalliance.stats.icc",
    "leave_one_out": "patalliance.stats.influence",
    "mediation": "patalliance.stats.mediation",
    "moderation": "patalliance.stats.moderation",
    "ols": "patalliance.stats.regression",
    "paired_change": "patalliance.stats.change",
    "parametric_bootstrap_random_intercept": "patalliance.stats.mixed_bootstrap",
    "partial_correlation": "patalliance.stats.partial",
    "pearson": "patalliance.stats.correlation",
    "reml_random_effects": "patalliance.stats.reml",
    "reml_random_intercept": "patalliance.stats.mixed",
    "reml_random_intercept_batch": "patalliance.stats.mixed",
    "spearman": "patalliance.stats.correlation",
    "t_two_sided_p": "patalliance.stats.tdist",
    "welch_t": "patalliance.stats.group",
    "wilson_interval": "patalliance.stats.group",
}

__all__ = [
    "AncovaResult",
    "BayesFactorResult",
    "BootstrapResult",
    "Coefficient",
    "ConfidenceInterval",
    "CorrelationResult",
    "EffectSizeResult",
    "FixedEffect",
    "ICCResult",
    "IndirectEffect",
    "LeaveOneOut",
    "MediationResult",
    "MixedModelResult",
    "ModerationResult",
    "OLSResult",
    "PairedChangeResult",
    "ParametricBootstrap",
    "PartialCorrelationResult",
    "PathEstimate",
    "ProportionResult",
    "RandomEffectsFit",
    "RandomInterceptBatch",
    "RandomInterceptFit",
    "SimpleSlope",
    "WelchResult",
    "adjust_pvalues",
    "adjust_pvalues_batch",
    "ancova",
    "bayes_factor_pearson",
    "bootstrap_correlations",
    "cohens_d",
    "correlate",
    "correlation_t",
    "fisher_ci",
    "fit_random_intercept",
    "icc1",
    "leave_one_out",
    "mediation",
    "moderation",
    "ols",
    "paired_change",
    "parametric_bootstrap_random_intercept",
    "partial_correlation",
    "pearson",
    "reml_random_effects",
    "reml_random_intercept",
    "reml_random_intercept_batch",
    "spearman",
    "t_two_sided_p",
    "welch_t",
    "wilson_interval",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())
