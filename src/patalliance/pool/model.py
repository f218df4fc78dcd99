"""The random-effects model: τ² by REML, DerSimonian–Laird or Paule–Mandel, and its summaries.

:func:`random_effects` takes study effects on the pooling scale (g, Fisher's z, or a generic
effect) with their standard errors and returns a frozen :class:`RandomEffects`: the pooled
estimate with its Wald (z) or Hartung–Knapp–Sidik–Jonkman (t) interval, τ² with its Q-profile
interval, Cochran's Q, I² with an interval, and the prediction interval. Nothing here rounds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from patalliance.status import Status

__all__ = ["METHODS", "Method", "RandomEffects", "random_effects"]

Method = Literal["REML", "DL", "PM"]
METHODS: tuple[str, ...] = ("REML", "DL", "PM")
_XTOL = 1e-14


@dataclass(frozen=True)
class RandomEffects:
    """A random-effects meta-analysis (unrounded; intervals at ``confidence_level``).

    Attributes
    ----------
    method : {"REML", "DL", "PM"}
        Estimator of τ².
    k : int
        Number of studies.
    estimate, se, ci_low, ci_high : float
        Pooled effect on the pooling scale, its SE and interval (HKSJ when ``hksj``).
    statistic, p, df : float
        Test of the pooled effect: z (``df`` NaN) or, with HKSJ, t on ``df = k − 1``.
    tau2, tau2_ci_low, tau2_ci_high, tau : float
        Between-study variance, its Q-profile interval, and τ.
    q, q_df, q_p : float
        Cochran's Q (fixed-effect weights), its df (k − 1) and p.
    i2, i2_ci_low, i2_ci_high : float
        I² as a proportion, :math:`\\max(0, (Q - df)/Q)`, and its interval from the τ² interval.
    pi_low, pi_high : float
        Prediction interval for the effect in a new study (k ≥ 3).
    weights : tuple of float
        Random-effects weights as proportions (sum 1), in input order.
    hksj : bool
        Whether the HKSJ interval and t test were used.
    confidence_level : float
        Level of every interval.
    status : Status
        ``ok``, or ``not_estimable`` (k < 2), or ``not_converged``.
    reason : str
        Why a value is missing, or ``""``.
    """

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p: float
    df: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    tau: float
    q: float
    q_df: float
    q_p: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    pi_low: float
    pi_high: float
    hksj: bool
    confidence_level: float
    status: Status = Status.OK
    reason: str = ""
    weights: tuple[float, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row with every scalar field (``weights`` left out)."""
        row = asdict(self)
        row.pop("weights")
        row["status"] = str(self.status)
        return pd.DataFrame([row])


def _check(effect: object, se: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.atleast_1d(np.asarray(effect, dtype=float))
    s = np.atleast_1d(np.asarray(se, dtype=float))
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError(
            "The 'effect' and 'se' parameters of random_effects must be one-dimensional and of "
            f"the same length. Got shapes {y.shape} and {s.shape} instead."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("The 'effect' parameter of random_effects must be finite everywhere.")
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError(
            "The 'se' parameter of random_effects must be finite and positive everywhere."
        )
    return y, s


def _q_gen(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Generalised Q: :math:`\\sum (y_i - \\hat\\mu(\\tau^2))^2 / (v_i + \\tau^2)`."""
    w = 1 / (v + tau2)
    mu = float(w @ y / w.sum())
    return float(w @ (y - mu) ** 2)


def _upper_bracket(func: object, start: float) -> float:
    """A τ² large enough that ``func`` (decreasing) is negative there."""
    hi = max(start, 1e-4)
    for _ in range(200):
        if func(hi) < 0:  # type: ignore[operator]
            return hi
        hi *= 4
    raise RuntimeError("no upper bracket for tau^2 was found")


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    q = _q_gen(y, v, 0.0)
    c = w.sum() - (w**2).sum() / w.sum()
    return max(0.0, float((q - (len(y) - 1)) / c))


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    df = len(y) - 1

    def f(t2: float) -> float:
        return _q_gen(y, v, t2) - df

    if f(0.0) <= 0:
        return 0.0
    hi = _upper_bracket(f, float(np.var(y, ddof=1)))
    return float(optimize.brentq(f, 0.0, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps))


def _reml_score(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1 / (v + tau2)
    sw = w.sum()
    mu = float(w @ y / sw)
    return 0.5 * float((w**2) @ (y - mu) ** 2 - sw + (w**2).sum() / sw)


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    def f(t2: float) -> float:
        return _reml_score(y, v, t2)

    if f(0.0) <= 0:
        return 0.0
    hi = _upper_bracket(f, float(np.var(y, ddof=1)))
    return float(optimize.brentq(f, 0.0, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps))


def _q_profile(y: np.ndarray, v: np.ndarray, level: float) -> tuple[float, float]:
    """Q-profile interval for τ² (Viechtbauer, 2007): the τ² values where the generalised Q
    equals the χ²(k − 1) quantiles; bounds truncated at 0."""
    df = len(y) - 1
    alpha = 1 - level
    crit_lo = float(stats.chi2.ppf(1 - alpha / 2, df))  # gives the lower bound of tau^2
    crit_hi = float(stats.chi2.ppf(alpha / 2, df))  # gives the upper bound of tau^2
    bounds = []
    for crit in (crit_lo, crit_hi):

        def f(t2: float, crit: float = crit) -> float:
            return _q_gen(y, v, t2) - crit

        if f(0.0) <= 0:
            bounds.append(0.0)
            continue
        hi = _upper_bracket(f, float(np.var(y, ddof=1)))
        bounds.append(float(optimize.brentq(f, 0.0, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps)))
    return bounds[0], bounds[1]


def _typical_variance(v: np.ndarray) -> float:
    """Higgins & Thompson's (2002, eq. 9) typical within-study variance."""
    w = 1 / v
    return float((len(v) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def _not_estimable(method: str, k: int, *, hksj: bool, level: float) -> RandomEffects:
    nan = math.nan
    return RandomEffects(
        method=method, k=k, estimate=nan, se=nan, ci_low=nan, ci_high=nan, statistic=nan,
        p=nan, df=nan, tau2=nan, tau2_ci_low=nan, tau2_ci_high=nan, tau=nan, q=nan, q_df=nan,
        q_p=nan, i2=nan, i2_ci_low=nan, i2_ci_high=nan, pi_low=nan, pi_high=nan, hksj=hksj,
        confidence_level=level, status=Status.NOT_ESTIMABLE,
        reason=f"k = {k}: a random-effects model needs at least 2 studies",
    )  # fmt: skip


def random_effects(
    effect: object,
    se: object,
    *,
    method: Method = "REML",
    hksj: bool = False,
    confidence_level: float = 0.95,
) -> RandomEffects:
    """Pool study effects with a random-effects model.

    Parameters
    ----------
    effect : array_like
        Study effects on the pooling scale (g, Fisher's z, or a generic effect).
    se : array_like
        Their standard errors (positive).
    method : {"REML", "DL", "PM"}, keyword-only
        τ² estimator: restricted maximum likelihood (default), DerSimonian–Laird or
        Paule–Mandel.
    hksj : bool, keyword-only
        Use the Hartung–Knapp–Sidik–Jonkman interval and t test (k − 1 df).
    confidence_level : float, keyword-only
        Level of every interval (default 0.95).

    Returns
    -------
    RandomEffects
        With ``status = not_estimable`` and NaN numbers when k < 2.

    Raises
    ------
    ValueError
        For an unknown method, a level outside (0, 1), or non-finite effects or SEs.

    Notes
    -----
    With :math:`v_i = SE_i^2`, :math:`w_i = 1/v_i` and :math:`w_i^* = 1/(v_i + \\hat\\tau^2)`:

    .. math::

        \\hat\\mu = \\frac{\\sum w_i^* y_i}{\\sum w_i^*}, \\quad SE(\\hat\\mu) = (\\textstyle\\sum
        w_i^*)^{-1/2}, \\quad Q = \\sum w_i (y_i - \\bar y_w)^2, \\quad
        I^2 = \\max\\left(0, \\frac{Q - (k-1)}{Q}\\right)

    - DL: :math:`\\hat\\tau^2 = \\max(0, (Q - (k-1)) / (\\sum w_i - \\sum w_i^2/\\sum w_i))`;
    - PM: the root of :math:`\\sum w_i^*(y_i - \\hat\\mu)^2 = k - 1` (0 when none is positive);
    - REML: the root of the restricted-likelihood score
      :math:`\\sum w_i^{*2}(y_i-\\hat\\mu)^2 - \\sum w_i^* + \\sum w_i^{*2}/\\sum w_i^* = 0`
      (0 when the score is negative at 0), both found by Brent's method.
    - HKSJ: :math:`SE_{HK}^2 = \\sum w_i^*(y_i - \\hat\\mu)^2 / ((k-1)\\sum w_i^*)`, with
      :math:`t_{k-1}` quantiles (not truncated at the Wald SE).
    - τ² interval: Q-profile, the τ² where :math:`\\sum w_i^*(y_i-\\hat\\mu)^2` equals the
      :math:`\\chi^2_{k-1}` quantiles; the I² interval maps it through
      :math:`\\tau^2/(\\tau^2 + s^2)` with the typical within-study variance
      :math:`s^2 = (k-1)\\sum w_i / ((\\sum w_i)^2 - \\sum w_i^2)`.
    - Prediction interval (k ≥ 3):
      :math:`\\hat\\mu \\pm t_{k-2}\\sqrt{\\hat\\tau^2 + SE(\\hat\\mu)^2}`, with the SE of the
      interval above (HKSJ when chosen).

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical
    Trials*, 7(3), 177–188. https://doi.org/10.1016/0197-2456(86)90046-2

    Paule, R. C., & Mandel, J. (1982). Consensus values and weighting factors. *Journal of
    Research of the National Bureau of Standards*, 87(5), 377–385.
    https://doi.org/10.6028/jres.087.022

    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. *Journal of Educational and Behavioral Statistics*, 30(3), 261–293.
    https://doi.org/10.3102/10769986030003261

    Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. *Statistics in Medicine*, 26(1), 37–52. https://doi.org/10.1002/sim.2514

    Hartung, J., & Knapp, G. (2001). A refined method for the meta-analysis of controlled
    clinical trials with binary outcome. *Statistics in Medicine*, 20(24), 3875–3889.
    https://doi.org/10.1002/sim.1009

    Sidik, K., & Jonkman, J. N. (2002). A simple confidence interval for meta-analysis.
    *Statistics in Medicine*, 21(21), 3153–3159. https://doi.org/10.1002/sim.1262

    Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    *Statistics in Medicine*, 21(11), 1539–1558. https://doi.org/10.1002/sim.1186

    Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation of
    random-effects meta-analysis. *Journal of the Royal Statistical Society: Series A*, 172(1),
    137–159. https://doi.org/10.1111/j.1467-985X.2008.00552.x

    Examples
    --------
    >>> res = random_effects([0.1, 0.5, 0.9], [0.2, 0.2, 0.2], method="DL")
    >>> round(res.estimate, 6), round(res.tau2, 6), round(res.q, 6)
    (0.5, 0.12, 8.0)
    """
    if method not in METHODS:
        raise ValueError(
            "The 'method' parameter of random_effects must be one of 'REML', 'DL', 'PM'. "
            f"Got {method!r} instead."
        )
    if not 0 < confidence_level < 1:
        raise ValueError(
            "The 'confidence_level' parameter of random_effects must be in (0, 1). "
            f"Got {confidence_level!r} instead."
        )
    y, s = _check(effect, se)
    k = len(y)
    if k < 2:
        return _not_estimable(method, k, hksj=hksj, level=confidence_level)
    v = s**2
    tau2 = {"DL": _tau2_dl, "PM": _tau2_pm, "REML": _tau2_reml}[method](y, v)
    return _summarise(y, v, tau2, method=method, hksj=hksj, level=confidence_level)


def _summarise(
    y: np.ndarray, v: np.ndarray, tau2: float, *, method: str, hksj: bool, level: float
) -> RandomEffects:
    k = len(y)
    df = k - 1
    alpha = 1 - level
    w = 1 / (v + tau2)
    mu = float(w @ y / w.sum())
    if hksj:
        se = math.sqrt(float(w @ (y - mu) ** 2) / (df * w.sum()))
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        stat = mu / se if se > 0 else math.copysign(math.inf, mu)
        p = float(2 * stats.t.sf(abs(stat), df))
        test_df = float(df)
    else:
        se = math.sqrt(1 / w.sum())
        crit = float(stats.norm.ppf(1 - alpha / 2))
        stat = mu / se
        p = float(2 * stats.norm.sf(abs(stat)))
        test_df = math.nan
    q = _q_gen(y, v, 0.0)
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    t2_lo, t2_hi = _q_profile(y, v, level)
    s2 = _typical_variance(v)
    if k >= 3:
        half = float(stats.t.ppf(1 - alpha / 2, k - 2)) * math.sqrt(tau2 + se**2)
        pi_low, pi_high, reason = mu - half, mu + half, ""
    else:
        pi_low = pi_high = math.nan
        reason = "prediction interval needs k >= 3 (t with k - 2 df)"
    return RandomEffects(
        method=method,
        k=k,
        estimate=mu,
        se=se,
        ci_low=mu - crit * se,
        ci_high=mu + crit * se,
        statistic=stat,
        p=p,
        df=test_df,
        tau2=tau2,
        tau2_ci_low=t2_lo,
        tau2_ci_high=t2_hi,
        tau=math.sqrt(tau2),
        q=q,
        q_df=float(df),
        q_p=float(stats.chi2.sf(q, df)),
        i2=i2,
        i2_ci_low=t2_lo / (t2_lo + s2),
        i2_ci_high=t2_hi / (t2_hi + s2),
        pi_low=pi_low,
        pi_high=pi_high,
        hksj=hksj,
        confidence_level=level,
        reason=reason,
        weights=tuple(float(x) for x in w / w.sum()),
    )
