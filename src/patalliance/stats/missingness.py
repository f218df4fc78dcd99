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


def _pattern_groups(
    miss: NDArray[np.bool_],
) -> tuple[list[tuple[bool, ...]], list[NDArray[np.intp]]]:
    """The distinct rows of ``miss``, most common first (ties in order of first appearance),
    and the rows (ascending) of each: one sort of the rows, no loop over them."""
    n = miss.shape[0]
    if n == 0:
        return [], []
    if miss.shape[1] == 0:
        return [()], [np.arange(n)]
    uniq, first, inverse, counts = np.unique(
        miss, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.lexsort((first, -counts))  # most common first, then first appearance
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    label = rank[np.asarray(inverse).reshape(-1)]
    rows = np.argsort(label, kind="stable")
    groups = np.split(rows, np.cumsum(counts[order])[:-1])
    return [tuple(bool(v) for v in uniq[g]) for g in order], groups


def missing_patterns(data: ArrayLike) -> list[tuple[tuple[bool, ...], int]]:
    """The distinct patterns of missingness (True = missing) with their counts, most common
    first (ties in order of first appearance).

    Examples
    --------
    >>> missing_patterns([[1.0, float("nan")], [2.0, 3.0], [4.0, float("nan")]])
    [((False, True), 2), ((False, False), 1)]
    """
    miss = np.isnan(np.asarray(data, dtype=np.float64))
    if miss.ndim != 2:
        miss = miss.reshape(miss.shape[0] if miss.ndim else 0, -1)
    patterns, groups = _pattern_groups(miss)
    return [(pat, int(rows.size)) for pat, rows in zip(patterns, groups, strict=True)]


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
    groups = _pattern_groups(~obs)[1]
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
    patterns, groups = _pattern_groups(np.isnan(y))
    for pattern, rows in zip(patterns, groups, strict=True):
        o = ~np.array(pattern)
        diff = y[np.ix_(rows, o)].mean(axis=0) - mu[o]
        d2 += float(rows.size * diff @ np.linalg.pinv(sigma[np.ix_(o, o)]) @ diff)
        df += int(o.sum())
    pval = float(stats.chi2.sf(d2, df)) if df > 0 else math.nan
    return LittleMCARResult(
        statistic=d2, df=df, p=pval, n_patterns=len(patterns), n=n, converged=converged
    )
