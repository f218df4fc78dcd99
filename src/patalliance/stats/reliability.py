r"""Internal consistency of a set of items: Cronbach's α with its Feldt interval, McDonald's ω.

Every estimate is computed on the complete item sets only (rows with a missing item are left
out and counted); the interval uses that ``n``, never the number of rows before deletion.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from patalliance.status import Status

__all__ = ["AlphaResult", "ItemStatistic", "cronbach_alpha", "mcdonald_omega"]


@dataclass(frozen=True)
class ItemStatistic:
    """One item of a scale: its corrected item–total correlation and α if it is deleted."""

    item: str
    item_total_r: float
    alpha_if_deleted: float


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's α of a set of items with its Feldt interval, McDonald's ω and item statistics.

    ``n`` is the number of complete item sets used; ``n_excluded`` the rows left out for a
    missing item. ``status``: ``ok`` or ``not_estimable`` (then the numbers are NaN and
    ``reason`` says why).
    """

    n: int
    n_excluded: int
    n_items: int
    alpha: float
    ci_low: float
    ci_high: float
    omega: float
    confidence_level: float
    items: tuple[ItemStatistic, ...] = ()
    ci_method: str = "feldt"
    omega_method: str = "one-factor ML (statsmodels Factor), correlation matrix"
    status: Status = Status.OK
    reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame (without the item statistics)."""
        row = asdict(self)
        row.pop("items")
        row["status"] = self.status.value
        return pd.DataFrame([row])


def _covariance(x: np.ndarray) -> np.ndarray:
    """The item covariance matrix (``ddof=1``) of complete (n, k) items. Exactly
    :func:`numpy.cov`: ω's one-factor fit starts from its bits, so the same items always give
    the same ω."""
    return np.cov(x, rowvar=False, ddof=1)


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = float(cov.sum())
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def _item_statistics(
    complete: np.ndarray, cov: np.ndarray, names: tuple[str, ...]
) -> list[ItemStatistic]:
    """Corrected item–total r and α if deleted of every item, from one covariance matrix.

    With :math:`C` the item covariance matrix, the rest score of item :math:`j` has variance
    :math:`\\sum C - 2\\sum_l C_{jl} + C_{jj}` and covariance :math:`\\sum_l C_{jl} - C_{jj}`
    with the item; α without item :math:`j` drops row and column :math:`j` of :math:`C`.
    :math:`O(n k)` given ``cov`` (the item covariance matrix of ``complete``), instead of a
    new covariance matrix per item.
    """
    k = complete.shape[1]
    total, rows, diag = float(cov.sum()), cov.sum(axis=1), np.diag(cov)
    rest = complete.sum(axis=1)[:, None] - complete
    constant = np.ptp(complete, axis=0) == 0
    rest_constant = np.ptp(rest, axis=0) == 0
    nan = float("nan")
    out = []
    for j in range(k):
        var_rest = total - 2.0 * rows[j] + diag[j]
        r = nan
        if not (constant[j] or rest_constant[j]):
            r = float(np.clip((rows[j] - diag[j]) / np.sqrt(diag[j] * var_rest), -1.0, 1.0))
        alpha_del = nan
        if k - 1 >= 2:
            alpha_del = (
                (k - 1) / (k - 2) * (1.0 - (np.trace(cov) - diag[j]) / var_rest)
                if var_rest > 0
                else nan
            )
        out.append(ItemStatistic(names[j], r, float(alpha_del)))
    return out


def mcdonald_omega(items: ArrayLike) -> float:
    r"""McDonald's ω total of complete item sets, from a one-factor model.

    Parameters
    ----------
    items : array_like of float, shape (n, k)
        Complete item responses (no NaN), one column per item, ``k >= 2``.

    Returns
    -------
    float
        ω; NaN when the factor model cannot be fitted (e.g. an item without variance).

    Notes
    -----
    The loadings :math:`\lambda_j` and uniquenesses :math:`\psi_j = 1 - \lambda_j^2` come from
    a one-factor maximum-likelihood factor analysis of the item correlation matrix
    (``statsmodels.multivariate.factor.Factor(n_factor=1, method="ml")``, started from the
    first principal component, so the result is deterministic), so ω is that of the
    standardized items:

    .. math:: \omega = \frac{(\sum_j \lambda_j)^2}{(\sum_j \lambda_j)^2 + \sum_j \psi_j}

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Lawrence Erlbaum
    Associates (chapter 6).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> x = f @ np.array([[0.8, 0.7, 0.6, 0.5]]) + rng.normal(scale=0.6, size=(200, 4))
    >>> 0.7 < mcdonald_omega(x) < 0.9
    True
    """
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2 or np.isnan(x).any():
        raise ValueError(
            "The 'items' parameter of mcdonald_omega must be a complete (n, k) array with "
            f"k >= 2 and no NaN. Got shape {x.shape} instead."
        )
    return _omega(x, _covariance(x))


def _correlation(cov: np.ndarray) -> np.ndarray:
    """The correlation matrix of a covariance matrix, computed as :func:`numpy.corrcoef` does
    (the same floating-point operations, so the same values)."""
    stddev = np.sqrt(np.diag(cov))
    corr = cov / stddev[:, None]
    corr /= stddev[None, :]
    return np.clip(corr, -1.0, 1.0, out=corr)


def _omega(x: np.ndarray, cov: np.ndarray) -> float:
    """ω of the complete (n, k) items ``x`` with covariance matrix ``cov``: the factor model
    is fitted to the k × k correlation matrix and n, never to the n × k data."""
    from statsmodels.multivariate.factor import Factor

    if np.any(np.var(x, axis=0) == 0):
        return float("nan")
    corr = _correlation(cov)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a fixed start (the first principal component) instead of statsmodels' random
            # EM start, so that the same items always give the same ω
            values, vectors = np.linalg.eigh(corr)
            start = np.abs(vectors[:, -1]) * np.sqrt(values[-1])
            uniq = np.clip(1.0 - start**2, 0.05, None)
            fit = Factor(corr=corr, n_factor=1, method="ml", nobs=x.shape[0]).fit(
                start=(start[:, None], uniq), opt={"gtol": 1e-10, "maxiter": 1000}
            )
    except (np.linalg.LinAlgError, ValueError):
        return float("nan")
    loadings = np.asarray(fit.loadings, dtype=float)[:, 0]
    uniqueness = np.asarray(fit.uniqueness, dtype=float)
    common = float(np.sum(loadings)) ** 2
    return common / (common + float(np.sum(uniqueness)))


def cronbach_alpha(
    items: ArrayLike,
    *,
    confidence_level: float = 0.95,
    item_names: tuple[str, ...] | None = None,
) -> AlphaResult:
    r"""Cronbach's α of complete item sets, with the Feldt interval, ω and item statistics.

    Parameters
    ----------
    items : array_like of float, shape (n_rows, k)
        Item responses, one column per item (reverse-keyed items already reversed); NaN is
        missing. Rows with any missing item are left out (counted in ``n_excluded``).
    confidence_level : float, default 0.95
        Confidence level of the interval of α.
    item_names : tuple of str, optional
        Names of the ``k`` items (``"1"``, ``"2"``, … by default).

    Returns
    -------
    AlphaResult
        ``status = not_estimable`` with fewer than 2 items, fewer than 3 complete sets or no
        variance of the total.

    Raises
    ------
    ValueError
        When ``items`` is not two-dimensional or ``confidence_level`` is not in (0, 1).

    Notes
    -----
    With :math:`k` items, item variances :math:`s_j^2` and total variance :math:`s_X^2`
    (complete sets, :math:`n` of them):

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_j s_j^2}{s_X^2}\right)

    The interval is Feldt's, from :math:`(1-\alpha)/(1-\hat\alpha) \sim F(n-1, (n-1)(k-1))`,
    with :math:`\gamma = 1 -` ``confidence_level``:

    .. math:: \left[\,1 - (1-\hat\alpha) F_{1-\gamma/2},\;
              1 - (1-\hat\alpha) F_{\gamma/2}\,\right]

    The corrected item–total correlation of item :math:`j` is its Pearson correlation with
    the sum of the other items; "α if deleted" is α of the other :math:`k-1` items (NaN when
    only one would remain). ω is :func:`mcdonald_omega`.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334. https://doi.org/10.1007/BF02310555

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93–103.
    https://doi.org/10.1177/014662168701100107

    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Lawrence Erlbaum
    Associates.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [np.nan, 1, 2]])
    >>> res = cronbach_alpha(x)
    >>> res.n, res.n_excluded, round(res.alpha, 4)
    (4, 1, 0.9485)
    >>> res.ci_low < res.alpha < res.ci_high
    True
    """
    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise ValueError(
            "The 'items' parameter of cronbach_alpha must be a 2-D array (rows × items). "
            f"Got {x.ndim} dimension(s) instead."
        )
    if not 0 < confidence_level < 1:
        raise ValueError(
            "The 'confidence_level' parameter of cronbach_alpha must be in (0, 1). "
            f"Got {confidence_level!r} instead."
        )
    k = x.shape[1]
    names = item_names if item_names is not None else tuple(str(j + 1) for j in range(k))
    if len(names) != k:
        raise ValueError(
            f"The 'item_names' parameter of cronbach_alpha must have {k} names (one per "
            f"column). Got {len(names)} instead."
        )
    complete = x[~np.isnan(x).any(axis=1)]
    n = complete.shape[0]
    nan = float("nan")
    base = {
        "n": n,
        "n_excluded": x.shape[0] - n,
        "n_items": k,
        "confidence_level": confidence_level,
    }

    def _not_estimable(reason: str) -> AlphaResult:
        return AlphaResult(
            **base,
            alpha=nan,
            ci_low=nan,
            ci_high=nan,
            omega=nan,
            status=Status.NOT_ESTIMABLE,
            reason=reason,
        )

    if k < 2:
        return _not_estimable(f"{k} item(s); α needs at least 2")
    if n < 3:
        return _not_estimable(f"{n} complete item set(s); α needs at least 3")
    cov = _covariance(complete)  # one covariance matrix serves α, items, ω
    alpha = _alpha(cov)
    if np.isnan(alpha):
        return _not_estimable("the total score has no variance")
    gamma = 1.0 - confidence_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    ci_low = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1.0 - gamma / 2.0, df1, df2))
    ci_high = 1.0 - (1.0 - alpha) * float(stats.f.ppf(gamma / 2.0, df1, df2))
    item_stats = _item_statistics(complete, cov, names)
    return AlphaResult(
        **base,
        alpha=alpha,
        ci_low=ci_low,
        ci_high=ci_high,
        omega=_omega(complete, cov),
        items=tuple(item_stats),
    )
