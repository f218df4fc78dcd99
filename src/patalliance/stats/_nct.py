"""Confidence limits for the noncentrality parameter of a noncentral t distribution.

Shared by the standardized effect sizes whose interval inverts the noncentral t: ``d_z`` of
:func:`patalliance.stats.change.paired_change` and Cohen's d / Hedges' g of
:func:`patalliance.stats.group.cohens_d` (Steiger & Fouladi, 1997; Cumming & Finch, 2001).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

__all__ = ["nct_limits"]

_MAX_STEPS = 60


def _bracket(f: Callable[[float], float], start: float) -> tuple[float, float] | None:
    """An interval around the root of the decreasing ``f``, stepping out from ``start``.

    The step doubles from 1, so the far end is at most twice as far from ``start`` as the
    root: the search never wanders into the far tails, where ``scipy.stats.nct.cdf`` can
    return NaN.
    """
    f0 = f(start)
    if math.isnan(f0):
        return None
    if f0 == 0.0:
        return start, start
    direction = 1.0 if f0 > 0 else -1.0  # f decreases: a positive value lies left of the root
    near, step = start, 1.0
    for _ in range(_MAX_STEPS):
        far = start + direction * step
        value = f(far)
        if math.isnan(value):
            return None
        if (value < 0) == (direction > 0) or value == 0.0:
            return (near, far) if direction > 0 else (far, near)
        near, step = far, 2.0 * step
    return None


def _cdf(t_obs: float, df: float, nc: float) -> float:
    """``scipy.stats.nct.cdf(t_obs, df, nc)``, or ``nct.sf(-t_obs, df, -nc)`` where it is NaN.

    The two are equal (T with noncentrality nc is distributed as -T with -nc);
    scipy's CDF returns NaN in parts of the far tails (e.g. ``t = 8, df = 1, nc = -8``), where
    the mirrored survival function still evaluates (to 0 or 1 there).
    """
    value = float(stats.nct.cdf(t_obs, df, nc))
    if math.isnan(value):
        value = float(stats.nct.sf(-t_obs, df, -nc))
    return value


def _solve(t_obs: float, df: float, target: float) -> float:
    """The noncentrality ``lambda`` with ``scipy.stats.nct.cdf(t_obs, df, lambda) == target``."""

    def f(nc: float) -> float:
        return _cdf(t_obs, df, nc) - target

    bracket = _bracket(f, t_obs)
    if bracket is None:
        return float("nan")
    lo, hi = bracket
    if lo == hi:
        return lo
    try:
        return float(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500))
    except (ValueError, RuntimeError):  # pragma: no cover - a NaN CDF inside the bracket
        return float("nan")


def nct_limits(t_obs: float, df: float, confidence_level: float) -> tuple[float, float]:
    r"""Equal-tailed confidence limits :math:`(\lambda_L, \lambda_U)` of a noncentrality.

    Parameters
    ----------
    t_obs : float
        The observed t statistic.
    df : float
        Its degrees of freedom (> 0).
    confidence_level : float
        In (0, 1).

    Returns
    -------
    tuple of float
        :math:`\lambda_L` and :math:`\lambda_U`, the noncentrality parameters with

        .. math:: F_{\nu,\lambda_L}(t_{\mathrm{obs}}) = 1 - \alpha/2, \qquad
                  F_{\nu,\lambda_U}(t_{\mathrm{obs}}) = \alpha/2,

        where :math:`F_{\nu,\lambda}` is the noncentral t CDF (``scipy.stats.nct.cdf``),
        which decreases in :math:`\lambda`; each root is found by Brent's method on a
        bracket stepped out from :math:`t_{\mathrm{obs}}`. NaN when ``t_obs`` or ``df`` is
        not finite or the CDF cannot be evaluated.

    References
    ----------
    .. [1] Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation and the
       evaluation of statistical models. In L. L. Harlow, S. A. Mulaik, & J. H. Steiger
       (Eds.), *What If There Were No Significance Tests?* (pp. 221-257). Lawrence Erlbaum.
    .. [2] Cumming, G., & Finch, S. (2001). A primer on the understanding, use, and
       calculation of confidence intervals that are based on central and noncentral
       distributions. *Educational and Psychological Measurement*, 61(4), 532-574.

    Examples
    --------
    >>> from patalliance.stats._nct import nct_limits
    >>> low, high = nct_limits(2.0, 10.0, 0.95)
    >>> print(f"{low:.4f} {high:.4f}")
    -0.1835 4.1011
    """
    nan = float("nan")
    if not (math.isfinite(t_obs) and math.isfinite(df) and df > 0):
        return nan, nan
    alpha = 1.0 - confidence_level
    with np.errstate(all="ignore"):
        return _solve(t_obs, df, 1.0 - alpha / 2.0), _solve(t_obs, df, alpha / 2.0)
