"""Numeric statistics on arrays: correlations, bootstrap intervals, paired change, p-values.

Every function takes arrays (NaN for missing), returns a frozen result dataclass with
unrounded floats, ``n`` and the method, and documents its formula and source. Nothing here
knows about studies, reports or the command line.
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
from patalliance.stats.mixed import (
    RandomInterceptBatch,
    RandomInterceptFit,
    reml_random_intercept,
    reml_random_intercept_batch,
)
from patalliance.stats.multiplicity import adjust_pvalues

__all__ = [
    "AncovaResult",
    "BayesFactorResult",
    "BootstrapResult",
    "ConfidenceInterval",
    "CorrelationResult",
    "EffectSizeResult",
    "PairedChangeResult",
    "ProportionResult",
    "RandomInterceptBatch",
    "RandomInterceptFit",
    "WelchResult",
    "adjust_pvalues",
    "ancova",
    "bayes_factor_pearson",
    "bootstrap_correlations",
    "cohens_d",
    "correlate",
    "fisher_ci",
    "paired_change",
    "pearson",
    "reml_random_intercept",
    "reml_random_intercept_batch",
    "spearman",
    "welch_t",
    "wilson_interval",
]
