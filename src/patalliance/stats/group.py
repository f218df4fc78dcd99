"""Two-group comparisons: Welch's t, Cohen's d and Hedges' g, ANCOVA, Wilson intervals.

These are the statistics of a parallel-group (e.g. waiting-list-controlled) efficacy analysis.
Every function takes the data first and keyword-only options, and returns a frozen result
with unrounded floats and the n used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from patalliance.stats._nct import nct_limits
from patalliance.stats.tdist import t_two_sided_p

__all__ = [
    "AncovaResult",
    "EffectSizeResult",
    "ProportionResult",
    "WelchResult",
    "ancova",
    "cohens_d",
    "welch_t",
    "wilson_interval",
]


def _clean(a: ArrayLike, name: str, func: str) -> NDArray[np.float64]:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(
            f"The '{name}' parameter of {func} must be one-dimensional. Got an array of "
            f"shape {arr.shape} instead."
        )
    return arr[~np.isnan(arr)]


def _level(value: float, func: str) -> float:
    if not 0.0 < float(value) < 1.0:
        raise ValueError(
            f"The 'confidence_level' parameter of {func} must be in (0, 1). Got {value!r} instead."
        )
    return float(value)


class _Frame:
    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame with every field as a column."""
        return pd.DataFrame([asdict(self)])  # type: ignore[call-overload]


@dataclass(frozen=True)
class WelchResult(_Frame):
    """Welch's unequal-variance t-test of ``mean(x) - mean(y)``."""

    n_x: int
    n_y: int
    mean_x: float
    mean_y: float
    sd_x: float
    sd_y: float
    mean_diff: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    confidence_level: float


@dataclass(frozen=True)
class EffectSizeResult(_Frame):
    """Cohen's d (pooled SD) and Hedges' g of ``mean(x) - mean(y)`` with their CIs.

    ``ci_method`` names the interval: ``"noncentral_t"`` (Steiger & Fouladi, 1997; see
    :func:`cohens_d`). ``d_se`` is the large-sample SE of Hedges & Olkin (1985, eq. 5.15).
    """

    n_x: int
    n_y: int
    sd_pooled: float
    d: float
    d_se: float
    d_ci_low: float
    d_ci_high: float
    hedges_correction: float
    g: float
    g_ci_low: float
    g_ci_high: float
    confidence_level: float
    ci_method: str


@dataclass(frozen=True)
class AncovaResult(_Frame):
    """The covariate-adjusted group difference from ``y ~ 1 + group + covariate`` (OLS)."""

    n: int
    estimate: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    covariate_slope: float
    confidence_level: float


@dataclass(frozen=True)
class ProportionResult(_Frame):
    """A proportion ``count / nobs`` with its Wilson score interval."""

    count: int
    nobs: int
    proportion: float
    ci_low: float
    ci_high: float
    confidence_level: float
    method: str


#: The interval of d and g: inversion of the noncentral t (Steiger & Fouladi, 1997).
_D_CI_METHOD = "noncentral_t"


def welch_t(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> WelchResult:
    r"""Welch's t-test and confidence interval for the difference of two means.

    Parameters
    ----------
    x, y : array_like of float, 1-D
        The two groups; NaN values are left out (and not counted in ``n_x``/``n_y``).
    confidence_level : float, default 0.95
        Confidence level of the interval of ``mean_x - mean_y``.

    Returns
    -------
    WelchResult
        ``se``, ``t``, ``df``, ``p`` and the interval are NaN when either group has fewer
        than two observations or both groups are constant (standard error 0).

    Raises
    ------
    ValueError
        If an input is not 1-D or ``confidence_level`` is not in (0, 1).

    Notes
    -----
    .. math:: t = \frac{\bar x - \bar y}{\sqrt{s_x^2/n_x + s_y^2/n_y}},\qquad
              \nu = \frac{(s_x^2/n_x + s_y^2/n_y)^2}
              {\frac{(s_x^2/n_x)^2}{n_x - 1} + \frac{(s_y^2/n_y)^2}{n_y - 1}},

    with the Welch–Satterthwaite degrees of freedom :math:`\nu`, two-sided
    :math:`p = 2P(T_\nu \ge |t|)` and interval :math:`\bar x - \bar y \pm t_{\nu,1-\alpha/2}
    \mathrm{SE}`; the same numbers as ``scipy.stats.ttest_ind(x, y, equal_var=False)``.

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several
       different population variances are involved. *Biometrika*, 34(1-2), 28-35.
    .. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
       components. *Biometrics Bulletin*, 2(6), 110-114.

    Examples
    --------
    >>> from patalliance.stats.group import welch_t
    >>> res = welch_t([8.0, 7.0, 9.0, 6.0], [20.0, 22.0, 25.0])
    >>> print(f"{res.mean_diff:.3f} {res.df:.3f}")
    -14.833 2.795
    """
    func = "welch_t"
    level = _level(confidence_level, func)
    a, b = _clean(x, "x", func), _clean(y, "y", func)
    nx, ny = a.size, b.size
    nan = float("nan")
    mx = float(a.mean()) if nx else nan
    my = float(b.mean()) if ny else nan
    sx = float(a.std(ddof=1)) if nx > 1 else nan
    sy = float(b.std(ddof=1)) if ny > 1 else nan
    diff = mx - my
    se = t = df = p = crit = nan
    if nx > 1 and ny > 1:
        vx, vy = sx**2 / nx, sy**2 / ny
        se = float(np.sqrt(vx + vy))
        if se > 0:
            df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
            t = diff / se
            p = t_two_sided_p(t, df)
            crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    return WelchResult(
        n_x=nx,
        n_y=ny,
        mean_x=mx,
        mean_y=my,
        sd_x=sx,
        sd_y=sy,
        mean_diff=diff,
        se=se,
        t=float(t),
        df=df,
        p=p,
        ci_low=diff - crit * se,
        ci_high=diff + crit * se,
        confidence_level=level,
    )


def cohens_d(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> EffectSizeResult:
    r"""Cohen's d with the pooled SD, Hedges' g, and their noncentral-t confidence intervals.

    Parameters
    ----------
    x, y : array_like of float, 1-D
        The two groups; NaN values are left out.
    confidence_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    EffectSizeResult
        ``d`` and ``g`` have the sign of ``mean(x) - mean(y)``; NaN when a group has fewer
        than two observations or the pooled SD is 0. ``ci_method`` is ``"noncentral_t"``.

    Raises
    ------
    ValueError
        If an input is not 1-D or ``confidence_level`` is not in (0, 1).

    Notes
    -----
    .. math:: s_p = \sqrt{\frac{(n_x - 1)s_x^2 + (n_y - 1)s_y^2}{n_x + n_y - 2}},\qquad
              d = \frac{\bar x - \bar y}{s_p}.

    **Interval.** Under normality with a common variance, :math:`t = d\sqrt{n_x n_y/(n_x +
    n_y)}` (Student's pooled-variance t) is noncentral t on :math:`\nu = n_x + n_y - 2`
    degrees of freedom with noncentrality :math:`\lambda = \delta\sqrt{n_x n_y/(n_x +
    n_y)}` (Hedges, 1981). Inverting it (Steiger & Fouladi, 1997; Cumming & Finch, 2001):
    :math:`\lambda_L` and :math:`\lambda_U` solve

    .. math:: F_{\nu,\lambda_L}(t) = 1 - \alpha/2,\qquad F_{\nu,\lambda_U}(t) = \alpha/2,

    with :math:`F_{\nu,\lambda}` the noncentral t CDF (Brent's method, as for ``d_z`` in
    :func:`patalliance.stats.paired_change`), and the limits of :math:`\delta` are
    :math:`\lambda_{L,U}\sqrt{(n_x + n_y)/(n_x n_y)}` — the interval of MBESS ``ci.smd``
    (Kelley, 2007) and of effectsize ``cohens_d``. The interval is exact under the model and,
    unlike :math:`d \pm z\,\mathrm{SE}`, not symmetric about d.

    Hedges' :math:`g = J d` with the exact small-sample correction
    :math:`J = \Gamma(m/2) / [\sqrt{m/2}\,\Gamma((m-1)/2)]`, :math:`m = n_x + n_y - 2`
    (Hedges, 1981); its interval is :math:`J` times that of d.

    ``d_se`` is the large-sample standard error :math:`\sqrt{(n_x + n_y)/(n_x n_y) +
    d^2/[2(n_x + n_y)]}` (Hedges & Olkin, 1985, eq. 5.15), reported for meta-analytic
    weighting; the intervals do not use it.

    References
    ----------
    .. [1] Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*
       (2nd ed.). Lawrence Erlbaum.
    .. [2] Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
       related estimators. *Journal of Educational Statistics*, 6(2), 107-128.
    .. [3] Hedges, L. V., & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*.
       Academic Press.
    .. [4] Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation and the
       evaluation of statistical models. In L. L. Harlow, S. A. Mulaik, & J. H. Steiger
       (Eds.), *What If There Were No Significance Tests?* (pp. 221-257). Lawrence Erlbaum.
    .. [5] Cumming, G., & Finch, S. (2001). A primer on the understanding, use, and
       calculation of confidence intervals that are based on central and noncentral
       distributions. *Educational and Psychological Measurement*, 61(4), 532-574.
    .. [6] Kelley, K. (2007). Confidence intervals for standardized effect sizes: Theory,
       application, and implementation. *Journal of Statistical Software*, 20(8), 1-24.

    Examples
    --------
    >>> from patalliance.stats.group import cohens_d
    >>> res = cohens_d([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    >>> print(f"{res.d:.4f} {res.g:.4f}")
    -1.5492 -1.3457
    >>> print(f"{res.d_ci_low:.4f} {res.d_ci_high:.4f} {res.ci_method}")
    -3.1337 0.1246 noncentral_t
    """
    func = "cohens_d"
    level = _level(confidence_level, func)
    a, b = _clean(x, "x", func), _clean(y, "y", func)
    nx, ny = a.size, b.size
    m = nx + ny - 2
    nan = float("nan")
    if nx < 2 or ny < 2:
        return EffectSizeResult(
            nx, ny, nan, nan, nan, nan, nan, nan, nan, nan, nan, level, _D_CI_METHOD
        )
    sp = float(np.sqrt(((nx - 1) * a.var(ddof=1) + (ny - 1) * b.var(ddof=1)) / m))
    d = float((a.mean() - b.mean()) / sp) if sp > 0 else nan
    se = float(np.sqrt((nx + ny) / (nx * ny) + d**2 / (2.0 * (nx + ny))))
    scale = float(np.sqrt((nx + ny) / (nx * ny)))  # d = t * scale
    lam_low, lam_high = nct_limits(d / scale, float(m), level)
    j = float(np.exp(special.gammaln(m / 2.0) - special.gammaln((m - 1) / 2.0)) / np.sqrt(m / 2.0))
    return EffectSizeResult(
        n_x=nx,
        n_y=ny,
        sd_pooled=sp,
        d=d,
        d_se=se,
        d_ci_low=lam_low * scale,
        d_ci_high=lam_high * scale,
        hedges_correction=j,
        g=j * d,
        g_ci_low=j * lam_low * scale,
        g_ci_high=j * lam_high * scale,
        confidence_level=level,
        ci_method=_D_CI_METHOD,
    )


def ancova(
    y: ArrayLike, group: ArrayLike, covariate: ArrayLike, *, confidence_level: float = 0.95
) -> AncovaResult:
    r"""Covariate-adjusted difference between two groups (ANCOVA by ordinary least squares).

    Parameters
    ----------
    y : array_like of float, 1-D
        Outcome.
    group : array_like of {0, 1}, 1-D
        1 for the group whose adjusted difference is estimated (e.g. treatment), 0 otherwise.
    covariate : array_like of float, 1-D
        Covariate, e.g. the baseline score. Rows with any NaN are left out.
    confidence_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    AncovaResult
        ``estimate`` is the coefficient of ``group``.

    Raises
    ------
    ValueError
        If the inputs differ in length, or the model cannot be estimated: fewer than four
        complete rows, a group that is empty, or a constant covariate.

    Notes
    -----
    The model :math:`y_i = \beta_0 + \beta_1 g_i + \beta_2 c_i + \varepsilon_i` is fitted by
    OLS; :math:`\hat\beta_1` is tested with :math:`t = \hat\beta_1/\mathrm{SE}` on
    :math:`n - 3` degrees of freedom, SE from :math:`\hat\sigma^2 (X^\top X)^{-1}` —
    ``statsmodels.api.OLS`` gives the same numbers. Adjusting for baseline removes the
    variance explained by it and is the recommended primary analysis of a randomized
    pre-post trial (Vickers & Altman, 2001).

    References
    ----------
    .. [1] Vickers, A. J., & Altman, D. G. (2001). Analysing controlled trials with baseline
       and follow up measurements. *BMJ*, 323(7321), 1123-1124.
    .. [2] Senn, S. (2006). Change from baseline and analysis of covariance revisited.
       *Statistics in Medicine*, 25(24), 4334-4344.

    Examples
    --------
    >>> from patalliance.stats.group import ancova
    >>> res = ancova([8, 7, 10, 20, 23, 25], [1, 1, 1, 0, 0, 0], [22, 20, 24, 21, 23, 24])
    >>> print(f"{res.estimate:.3f} {res.df:.0f}")
    -13.614 3
    """
    func = "ancova"
    level = _level(confidence_level, func)
    yv = np.asarray(y, dtype=np.float64)
    gv = np.asarray(group, dtype=np.float64)
    cv = np.asarray(covariate, dtype=np.float64)
    if not yv.shape == gv.shape == cv.shape or yv.ndim != 1:
        raise ValueError(
            f"The 'y', 'group' and 'covariate' parameters of {func} must be 1-D and of equal "
            f"length. Got shapes {yv.shape}, {gv.shape}, {cv.shape} instead."
        )
    ok = ~(np.isnan(yv) | np.isnan(gv) | np.isnan(cv))
    yv, gv, cv = yv[ok], gv[ok], cv[ok]
    n = yv.size
    if n < 4:
        raise ValueError(f"{func}: needs at least 4 complete rows; got {n}.")
    if gv.min() == gv.max():
        raise ValueError(f"{func}: only one group has complete data; both groups are needed.")
    if np.ptp(cv) == 0:
        raise ValueError(f"{func}: the covariate is constant (every value {cv[0]:g}).")
    design = np.column_stack([np.ones(n), gv, cv])
    if np.linalg.matrix_rank(design) < 3:
        raise ValueError(f"{func}: the covariate is collinear with the group indicator.")
    beta, _, _, _ = np.linalg.lstsq(design, yv, rcond=None)
    resid = yv - design @ beta
    df = n - 3
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * np.linalg.inv(design.T @ design)
    se = float(np.sqrt(cov[1, 1]))
    est = float(beta[1])
    t = est / se if se > 0 else np.nan
    p = t_two_sided_p(t, df) if np.isfinite(t) else np.nan
    crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    return AncovaResult(
        n=int(n),
        estimate=est,
        se=se,
        t=float(t),
        df=float(df),
        p=p,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        covariate_slope=float(beta[2]),
        confidence_level=level,
    )


def wilson_interval(count: int, nobs: int, *, confidence_level: float = 0.95) -> ProportionResult:
    r"""A proportion with its Wilson score interval.

    Parameters
    ----------
    count : int
        Number of successes (e.g. responders).
    nobs : int
        Number of trials (participants with data); 0 gives NaN.
    confidence_level : float, default 0.95
        Confidence level.

    Returns
    -------
    ProportionResult

    Raises
    ------
    ValueError
        If ``count`` is outside ``[0, nobs]`` or ``confidence_level`` is not in (0, 1).

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z = z_{1-\alpha/2}`,

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n}
              + \frac{z^2}{4n^2}}}{1 + z^2/n},

    the interval of ``statsmodels.stats.proportion.proportion_confint(method="wilson")``,
    recommended for small n by Brown, Cai & DasGupta (2001).

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    .. [2] Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
       proportion. *Statistical Science*, 16(2), 101-133.

    Examples
    --------
    >>> from patalliance.stats.group import wilson_interval
    >>> res = wilson_interval(7, 13)
    >>> print(f"{res.proportion:.4f} {res.ci_low:.4f} {res.ci_high:.4f}")
    0.5385 0.2914 0.7679
    """
    func = "wilson_interval"
    level = _level(confidence_level, func)
    if not 0 <= count <= nobs:
        raise ValueError(
            f"The 'count' parameter of {func} must be in [0, nobs={nobs}]. Got {count!r} instead."
        )
    if nobs == 0:
        nan = float("nan")
        return ProportionResult(0, 0, nan, nan, nan, level, "wilson")
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = count / nobs
    denom = 1.0 + z**2 / nobs
    centre = (p + z**2 / (2 * nobs)) / denom
    half = z * np.sqrt(p * (1 - p) / nobs + z**2 / (4 * nobs**2)) / denom
    return ProportionResult(
        count=int(count),
        nobs=int(nobs),
        proportion=float(p),
        ci_low=float(max(centre - half, 0.0)),
        ci_high=float(min(centre + half, 1.0)),
        confidence_level=level,
        method="wilson",
    )
