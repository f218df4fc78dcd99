r"""Chained-equations imputation with predictive mean matching, on arrays.

One chain imputes an :math:`n \times p` array (NaN = missing) the way statsmodels'
``MICEData`` does with its defaults, step for step and draw for draw:

1. **Start.** Each column's missing values take the observed value closest to the column's
   observed mean (the first such row).
2. **Cycle.** The columns with missing values are updated in order of their number of missing
   values (fewest first), ``burn_in`` times. Updating column :math:`j`:

   a. Fit the OLS model :math:`y = X\beta + \varepsilon` on the rows where :math:`j` is
      observed, with :math:`X` an intercept and every other column (current values):
      :math:`\hat\beta = X^{+}y`, :math:`\hat\sigma^2 = \lVert y - X\hat\beta\rVert^2/(n_o -
      \operatorname{rank} X)`, :math:`\widehat{\operatorname{cov}}(\hat\beta) = \hat\sigma^2
      (X^\top X)^{+}`.
   b. Draw :math:`\tilde\beta \sim N(\hat\beta, \widehat{\operatorname{cov}})` from the chain's
      generator (``Generator.multivariate_normal``), a draw from the approximate posterior.
   c. Predictive mean matching: predict :math:`X\tilde\beta` for the observed and the missing
      rows; for each missing row take the ``k_pmm`` observed rows whose predictions are
      closest to its own (searched among the ``k_pmm`` sorted neighbours either side), pick
      one of them uniformly (``Generator.integers``), and impute that row's observed value.

Step (a) is computed from the cross-product matrix :math:`X^\top X` (columns scaled to unit
norm, solved by its eigen-decomposition), which needs one pass over the rows instead of the
singular value decomposition of :math:`X` that ``MICEData`` computes; the two agree to
rounding error. A design whose scaled condition number exceeds :math:`10^3` (nearly collinear
columns) is fitted by the pseudo-inverse from the SVD instead, with ``MICEData``'s cut-off for
small singular values. The random draws are the same as ``MICEData``'s, and imputed values are
always observed values of the same column, so rounding changes an imputation only where two
donors are exactly as far from a prediction. That is rare with continuous data (the tests
check whole chains against ``MICEData`` itself); with whole-number scores such ties are
common, rounding breaks them, and from the first different donor the chain follows its own
path: another draw of the same procedure, the same from run to run, but not the same values
as ``MICEData``'s chain.

References
----------
.. [1] Little, R. J. A. (1988). Missing-data adjustments in large surveys. *Journal of Business
   & Economic Statistics*, 6(3), 287-296 (predictive mean matching).
.. [2] van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sections 3.4
   (predictive mean matching) and 4.5 (fully conditional specification). CRC Press.
.. [3] statsmodels ``statsmodels.imputation.mice.MICEData`` (the reference the tests compare
   with).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["K_PMM", "MiceChain", "too_rarely_observed"]

K_PMM = 20
"""Observed rows matched to each missing one (``MICEData``'s default ``k_pmm``)."""

_MAX_CONDITION = 1e3  # scaled condition number above which the fit takes the SVD route


class MiceChain:
    """The start of a chain over ``data`` (NaN = missing); :meth:`run` draws one chain from it.

    The start (mean-closest fill), the missingness indices and the cycle order do not depend
    on the draws, so one ``MiceChain`` serves every imputation.
    """

    def __init__(self, data: NDArray[np.float64]) -> None:
        values = np.array(data, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError("data must be a two-dimensional array")
        missing = np.isnan(values)
        if missing.all(axis=1).any():
            raise ValueError("a row is missing on every column; drop it before imputing")
        if missing.all(axis=0).any():
            raise ValueError("a column has no observed value")
        short = too_rarely_observed(values)
        if short.size:
            raise ValueError(
                f"column {int(short[0])} has {int((~missing[:, short[0]]).sum())} observed "
                f"values; its model (an intercept and {values.shape[1] - 1} other columns) "
                f"needs at least {values.shape[1] + 1}"
            )
        self.observed = [np.flatnonzero(~missing[:, j]) for j in range(values.shape[1])]
        self.missing = [np.flatnonzero(missing[:, j]) for j in range(values.shape[1])]
        n_missing = np.asarray([len(ix) for ix in self.missing])
        order = np.argsort(n_missing)
        self.order = [int(j) for j in order[int((n_missing == 0).sum()) :]]
        for j in range(values.shape[1]):
            column = values[:, j]
            distance = np.abs(column - _pandas_mean(column))
            column[self.missing[j]] = column[int(np.nanargmin(distance))]
        self.start = values

    def run(self, rng: np.random.Generator, cycles: int) -> NDArray[np.float64]:
        """A completed copy of the data after ``cycles`` cycles drawing from ``rng``."""
        values = self.start.copy()
        for _ in range(cycles):
            for j in self.order:
                self._update(values, j, rng)
        return values

    def _update(self, values: NDArray[np.float64], j: int, rng: np.random.Generator) -> None:
        obs, miss = self.observed[j], self.missing[j]
        v_obs = values.take(obs, axis=0)
        y_obs = v_obs[:, j].copy()
        fit = _ols_gram(v_obs, j)
        beta, cov = fit if fit is not None else _ols_svd(_design(v_obs, j), y_obs)
        params = rng.multivariate_normal(mean=beta, cov=cov)
        slopes = _slopes(params, j)
        pred_obs = v_obs @ slopes + params[0]
        pred_miss = values.take(miss, axis=0) @ slopes + params[0]
        values[miss, j] = _match(y_obs, pred_obs, pred_miss, rng)


def too_rarely_observed(data: NDArray[np.float64]) -> NDArray[np.intp]:
    """The columns of ``data`` (NaN = missing) that have missing values and too few observed
    ones for their model: an intercept and the ``p - 1`` other columns need at least ``p + 1``
    observations, so that the residual variance has a degree of freedom."""
    missing = np.isnan(data)
    observed = (~missing).sum(axis=0)
    return np.flatnonzero(missing.any(axis=0) & (observed <= data.shape[1]))


def _pandas_mean(column: NDArray[np.float64]) -> float:
    """The mean of the observed values as pandas computes ``Series.mean()`` (the start's
    reference point; a different last bit could pick a different closest value)."""
    import pandas as pd

    return float(pd.Series(column).mean())


def _design(values: NDArray[np.float64], j: int) -> NDArray[np.float64]:
    """An intercept and every column of ``values`` but ``j``, in order."""
    out = np.empty_like(values)
    out[:, 0] = 1.0
    out[:, 1 : j + 1] = values[:, :j]
    out[:, j + 1 :] = values[:, j + 1 :]
    return out


def _slopes(params: NDArray[np.float64], j: int) -> NDArray[np.float64]:
    """The coefficients but the intercept, with a zero for column ``j`` itself."""
    out = np.zeros(len(params))
    out[:j] = params[1 : j + 1]
    out[j + 1 :] = params[j + 1 :]
    return out


def _ols_gram(v: NDArray[np.float64], j: int) -> tuple[NDArray[np.float64], ...] | None:
    """OLS of column ``j`` of ``v`` on an intercept and the other columns, and the covariance
    of the estimates, from the cross-products; None where the scaled design is too close to
    collinear for them (condition number above ``_MAX_CONDITION``)."""
    n, p = v.shape
    order = np.r_[j, :j, j + 1 : p]  # column j first, then the others in order
    cross = v.T @ v
    sums = v.sum(axis=0)
    gram = np.empty((p, p))
    gram[0, 0] = n
    gram[0, 1:] = gram[1:, 0] = sums[order[1:]]
    gram[1:, 1:] = cross[order[1:, None], order[1:]]
    norm = np.sqrt(np.diag(gram))
    if not np.all(norm > 0):
        return None
    eigval, eigvec = np.linalg.eigh(gram / np.outer(norm, norm))
    if not eigval[0] > eigval[-1] / _MAX_CONDITION**2:
        return None
    inverse = (eigvec / eigval) @ eigvec.T / np.outer(norm, norm)
    inverse = (inverse + inverse.T) / 2
    beta = inverse @ np.concatenate(([sums[j]], cross[order[1:], j]))
    resid = v[:, j] - (v @ _slopes(beta, j) + beta[0])
    return beta, float(resid @ resid) / (n - p) * inverse


def _ols_svd(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """The pseudo-inverse fit, singular values below ``1e-15`` times the largest set to zero
    and the rank counted as numpy's ``matrix_rank`` of the diagonal of singular values."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    keep = s > 1e-15 * s.max()
    inv_s = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    pinv = vt.T @ (inv_s[:, None] * u.T)
    beta = pinv @ y
    rank = int((s > s.max() * len(s) * np.finfo(np.float64).eps).sum())
    resid = y - x @ beta
    return beta, float(resid @ resid) / (len(y) - rank) * (pinv @ pinv.T)


def _match(
    y_obs: NDArray[np.float64],
    pred_obs: NDArray[np.float64],
    pred_miss: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Predictive mean matching: for each missing row, the observed value of one of the
    ``K_PMM`` observed rows predicted closest to it, chosen uniformly."""
    order = np.argsort(pred_obs)
    y_sorted, pred_sorted = y_obs[order], pred_obs[order]
    near = np.searchsorted(pred_sorted, pred_miss)[:, None] + np.arange(-K_PMM, K_PMM)
    outside = np.nonzero((near < 0) | (near > len(y_sorted) - 1))
    near = np.clip(near, 0, len(y_sorted) - 1)
    distance = np.abs(pred_miss[:, None] - pred_sorted[near])
    distance[outside] = np.inf
    closest = np.argsort(distance, 1)[:, :K_PMM]
    pick = rng.integers(0, K_PMM, len(pred_miss))
    rows = np.arange(len(pred_miss))
    return np.asarray(y_sorted[near[rows, closest[rows, pick]]], dtype=np.float64)
