"""Numeric statistics on arrays: every estimator of the package, with its formula and source.

Every function takes arrays (NaN for missing), returns a frozen result dataclass with
unrounded floats, ``n`` and the method, and documents its formula and source. Nothing here
knows about studies, reports or the command line; :mod:`patalliance.analysis` runs these
functions over the analysis plan.
"""

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
