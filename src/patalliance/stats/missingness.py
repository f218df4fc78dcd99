r"""Missing-data diagnostics: the patterns of missingness and Little's (1988) MCAR test."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = ["LittleMCARResult", "em_normal", "little_mcar", "missing_patterns"]


@dataclass(frozen=True)
class LittleMCARResult:
    """Little's MCAR test: chi-square, df, p, the number of patterns and of rows used."""

    statistic: float
    df: int
    p: float
    n_patterns: int
    n: int
    converged: bool
    method: str = "little1988_em"


def missing_patterns(data: ArrayLike) -> list[tuple[tuple[bool, ...], int]]:
    """The distinct patterns of missingness (True = missing) with their counts, most common
    first (ties in order of first appearance).

    Examples
    --------
    >>> missing_patterns([[1.0, float("nan")], [2.0, 3.0], [4.0, float("nan")]])
    [((False, True), 2), ((False, False), 1)]
    """
    miss = np.isnan(np.asarray(data, dtype=np.float64))
    counts: dict[tuple[bool, ...], int] = {}
    for row in miss:
        key = tuple(bool(v) for v in row)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def em_normal(
    data: ArrayLike, *, max_iter: int = 2000, tol: float = 1e-10
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    r"""Maximum-likelihood mean and covariance of a multivariate normal with missing values, by
    the EM algorithm (Dempster, Laird & Rubin 1977; Little & Rubin 2002, sec. 11.2).

    Rows with every value missing are dropped. Returns ``(mu, sigma, converged)``; ``sigma`` is
    the ML (divisor n) covariance.

    References
    ----------
    .. [1] Little, R. J. A., & Rubin, D. B. (2002). *Statistical analysis with missing data*
       (2nd ed.). Wiley.
    """
    y = np.asarray(data, dtype=np.float64)
    y = y[~np.isnan(y).all(axis=1)]
    n, p = y.shape
    obs = ~np.isnan(y)
    mu = np.nanmean(y, axis=0)
    sigma = np.diag(np.nanvar(y, axis=0))
    groups = [np.flatnonzero((~obs == np.array(pat)).all(axis=1)) for pat, _ in missing_patterns(y)]
    converged = False
    for _ in range(max_iter):
        sum_y = np.zeros(p)
        sum_yy = np.zeros((p, p))
        for rows in groups:
            o = obs[rows[0]]
            mi = ~o
            block = y[rows].copy()
            if mi.any():
                s_mo = sigma[np.ix_(mi, o)]
                coef = s_mo @ np.linalg.pinv(sigma[np.ix_(o, o)])
                block[:, mi] = mu[mi] + (block[:, o] - mu[o]) @ coef.T
                sum_yy[np.ix_(mi, mi)] += len(rows) * (sigma[np.ix_(mi, mi)] - coef @ s_mo.T)
            sum_y += block.sum(axis=0)
            sum_yy += block.T @ block
        new_mu = sum_y / n
        new_sigma = sum_yy / n - np.outer(new_mu, new_mu)
        delta = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma).max())
        mu, sigma = new_mu, new_sigma
        if delta < tol * (1 + np.abs(sigma).max()):
            converged = True
            break
    return mu, sigma, converged


def little_mcar(data: ArrayLike) -> LittleMCARResult:
    r"""Little's (1988) chi-square test that data are missing completely at random.

    Parameters
    ----------
    data : array_like, shape (n, p)
        NaN marks a missing value. Rows with every value missing are dropped.

    Returns
    -------
    LittleMCARResult

    Notes
    -----
    With the ML estimates :math:`\hat\mu, \hat\Sigma` from :func:`em_normal`, and for each
    missingness pattern :math:`j` with :math:`n_j` rows, observed variables :math:`o_j` and
    observed means :math:`\bar y_j`:

    .. math::
        d^2 = \sum_j n_j (\bar y_j - \hat\mu_{o_j})^\top \hat\Sigma_{o_j}^{-1}
              (\bar y_j - \hat\mu_{o_j}),\qquad df = \sum_j |o_j| - p

    and :math:`p = P(\chi^2_{df} > d^2)`. This is the statistic of R ``naniar::mcar_test``
    (and ``BaylorEdPsych::LittleMCAR``).

    References
    ----------
    .. [1] Little, R. J. A. (1988). A test of missing completely at random for multivariate data
       with missing values. *Journal of the American Statistical Association*, 83(404),
       1198-1202.
    """
    y = np.asarray(data, dtype=np.float64)
    y = y[~np.isnan(y).all(axis=1)]
    n, p = y.shape
    mu, sigma, converged = em_normal(y)
    d2 = 0.0
    df = -p
    patterns = missing_patterns(y)
    miss = np.isnan(y)
    for pattern, _count in patterns:
        o = ~np.array(pattern)
        rows = (miss == np.array(pattern)).all(axis=1)
        diff = y[np.ix_(rows, o)].mean(axis=0) - mu[o]
        d2 += float(rows.sum() * diff @ np.linalg.pinv(sigma[np.ix_(o, o)]) @ diff)
        df += int(o.sum())
    pval = float(stats.chi2.sf(d2, df)) if df > 0 else math.nan
    return LittleMCARResult(
        statistic=d2, df=df, p=pval, n_patterns=len(patterns), n=n, converged=converged
    )
