"""Numeric statistics on arrays: correlations, bootstrap intervals, paired change, p-values.

Every function takes arrays (NaN for missing), returns a frozen result dataclass with
unrounded floats, ``n`` and the method, and documents its formula and source. Nothing here
knows about studies, reports or the command line.
"""

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
from patalliance.stats.multiplicity import adjust_pvalues

__all__ = [
    "BootstrapResult",
    "ConfidenceInterval",
    "CorrelationResult",
    "PairedChangeResult",
    "adjust_pvalues",
    "bootstrap_correlations",
    "correlate",
    "fisher_ci",
    "paired_change",
    "pearson",
    "spearman",
]
