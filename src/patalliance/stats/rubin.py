r"""Rubin's rules: pooling an estimate over ``m`` multiply imputed data sets.

:func:`pool` pools a scalar estimate and its within-imputation variance; :func:`pool_correlation`
pools correlations on Fisher's z scale and transforms back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from patalliance.stats._checks import check_confidence_level

__all__ = ["PooledEstimate", "barnard_rubin_df", "pool", "pool_correlation"]


@dataclass(frozen=True)
class PooledEstimate:
    """An estimate pooled by Rubin's rules, with its t-based interval and test of zero.

    ``estimate``, ``ci_low`` and ``ci_high`` are on the scale of the input estimates (for
    :func:`pool_correlation` they are back-transformed to r; ``within``, ``between`` and
    ``total`` stay on Fisher's z scale). ``p`` tests estimate = 0.
    """

    estimate: float
    within: float
    between: float
    total: float
    df: float
    df_complete: float
    riv: float
    lambda_: float
    fmi: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    m: int
    confidence_level: float
    method: str = "rubin1987_barnard_rubin1999"


def barnard_rubin_df(m: int, lambda_: float, df_complete: float) -> float:
    r"""Barnard & Rubin's (1999) small-sample degrees of freedom.

    .. math::
        \nu_{old} = \frac{m-1}{\lambda^2},\quad
        \nu_{obs} = \frac{\nu_{com}+1}{\nu_{com}+3}\,\nu_{com}\,(1-\lambda),\quad
        \nu = \frac{\nu_{old}\,\nu_{obs}}{\nu_{old}+\nu_{obs}}

    With no between-imputation variance (:math:`\lambda = 0`), :math:`\nu = \nu_{obs}`; with an
    infinite :math:`\nu_{com}`, :math:`\nu = \nu_{old}`.

    References
    ----------
    .. [1] Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
       imputation. *Biometrika*, 86(4), 948-955.
    """
    nu_old = math.inf if lambda_ == 0 else (m - 1) / lambda_**2
    if math.isinf(df_complete):
        return nu_old
    nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lambda_)
    if math.isinf(nu_old):
        return nu_obs
    return nu_old * nu_obs / (nu_old + nu_obs)


def pool(
    estimates: ArrayLike,
    variances: ArrayLike,
    *,
    df_complete: float,
    confidence_level: float = 0.95,
) -> PooledEstimate:
    r"""Pool ``m`` estimates and their squared standard errors by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array_like, shape (m,)
        The estimate and its within-imputation variance (SE²) in each completed data set.
    df_complete : float
        The complete-data degrees of freedom :math:`\nu_{com}` (``math.inf`` for a normal
        reference).
    confidence_level : float, default 0.95

    Returns
    -------
    PooledEstimate

    Raises
    ------
    ValueError
        When the arrays differ in length or hold fewer than 2 values.

    Notes
    -----
    .. math::
        \bar Q = \tfrac1m\sum_i \hat Q_i,\quad \bar U = \tfrac1m\sum_i U_i,\quad
        B = \tfrac{1}{m-1}\sum_i (\hat Q_i-\bar Q)^2,\quad T = \bar U + (1+\tfrac1m)B

    :math:`\lambda = (1+1/m)B/T`, the relative increase in variance
    :math:`r = (1+1/m)B/\bar U`, the df :math:`\nu` of :func:`barnard_rubin_df`, and the
    fraction of missing information :math:`\gamma = (r + 2/(\nu+3))/(r+1)`. The test is
    :math:`t = \bar Q/\sqrt T` on :math:`\nu` df; the interval
    :math:`\bar Q \pm t_{\nu,(1+c)/2}\sqrt T`.

    References
    ----------
    .. [1] Rubin, D. B. (1987). *Multiple imputation for nonresponse in surveys*. Wiley.
    .. [2] Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
       imputation. *Biometrika*, 86(4), 948-955.

    Examples
    --------
    >>> res = pool([1.0, 1.2, 0.8], [0.04, 0.05, 0.06], df_complete=20)
    >>> round(res.estimate, 3), round(res.between, 3), round(res.total, 4)
    (1.0, 0.04, 0.1033)
    """
    check_confidence_level(confidence_level, "pool")
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.ndim != 1 or q.shape != u.shape or q.size < 2:
        raise ValueError(
            "The 'estimates' and 'variances' parameters of pool must be 1-D arrays of the "
            f"same length m >= 2. Got shapes {q.shape} and {u.shape} instead."
        )
    m = int(q.size)
    qbar = float(q.mean())
    ubar = float(u.mean())
    b = float(q.var(ddof=1))
    total = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / total if total > 0 else math.nan
    riv = (1 + 1 / m) * b / ubar if ubar > 0 else math.nan
    df = barnard_rubin_df(m, lam, df_complete) if not math.isnan(lam) else math.nan
    fmi = (riv + 2 / (df + 3)) / (riv + 1) if not math.isnan(riv) else math.nan
    se = math.sqrt(total)
    t = qbar / se if se > 0 else math.nan
    p = float(2 * stats.t.sf(abs(t), df)) if not math.isnan(t + df) else math.nan
    half = float(stats.t.ppf((1 + confidence_level) / 2, df)) * se if df == df else math.nan
    return PooledEstimate(
        estimate=qbar,
        within=ubar,
        between=b,
        total=total,
        df=df,
        df_complete=float(df_complete),
        riv=riv,
        lambda_=lam,
        fmi=fmi,
        t=t,
        p=p,
        ci_low=qbar - half,
        ci_high=qbar + half,
        m=m,
        confidence_level=confidence_level,
    )


def pool_correlation(r: ArrayLike, n: int, *, confidence_level: float = 0.95) -> PooledEstimate:
    r"""Pool ``m`` correlations of ``n`` participants on Fisher's z scale.

    Each :math:`z_i = \operatorname{artanh} r_i` has within variance :math:`1/(n-3)` and
    complete-data df :math:`n-3`; :func:`pool` pools them, and ``estimate``, ``ci_low`` and
    ``ci_high`` are transformed back with :math:`\tanh`. The t and p test z = 0.

    References
    ----------
    .. [1] Rubin, D. B. (1987). *Multiple imputation for nonresponse in surveys*. Wiley.
    .. [2] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.

    Examples
    --------
    >>> res = pool_correlation([0.30, 0.35, 0.25], 50)
    >>> round(res.estimate, 3)
    0.301
    """
    rr = np.clip(np.asarray(r, dtype=np.float64), -1 + 1e-15, 1 - 1e-15)
    if n <= 3:
        nan = math.nan
        return PooledEstimate(*(nan,) * 13, m=int(rr.size), confidence_level=confidence_level)
    z = np.arctanh(rr)
    res = pool(
        z, np.full(z.shape, 1 / (n - 3)), df_complete=n - 3, confidence_level=confidence_level
    )
    return PooledEstimate(
        **{
            **res.__dict__,
            "estimate": math.tanh(res.estimate),
            "ci_low": math.tanh(res.ci_low),
            "ci_high": math.tanh(res.ci_high),
            "method": "rubin1987_fisher_z",
        }
    )
