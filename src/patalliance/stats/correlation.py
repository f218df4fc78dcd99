"""Pearson and Spearman correlations of every pair of variables, with missing values.

All pairs are computed at once with masks and matrix products: no Python loop runs over the
pairs. The private helpers here (pair moments of weighted data) are shared with
:mod:`patalliance.stats.bootstrap`, where the weights are bootstrap resampling counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

__all__ = [
    "ConfidenceInterval",
    "CorrelationResult",
    "correlate",
    "fisher_ci",
    "pearson",
    "spearman",
]

CorrelationMethod = Literal["pearson", "spearman"]
MissingPolicy = Literal["pairwise", "listwise"]

_METHODS = ("pearson", "spearman")
_MISSING = ("pairwise", "listwise")
# Elements per temporary array; bounds the memory of the vectorized computations (~32 MiB).
_ELEMENT_BUDGET = 2**22


# --------------------------------------------------------------------------------------------
# Result classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationResult:
    """Correlations of every column of ``x`` with every column of ``y``.

    Every array has shape ``(p, q)``: row ``j`` is column ``j`` of ``x`` and column ``k`` is
    column ``k`` of ``y``. Floats are unrounded.

    Attributes
    ----------
    r : ndarray of float
        Correlation coefficients; NaN where ``n < 3`` or a variable is constant.
    n : ndarray of int
        Number of complete pairs of observations used for each coefficient.
    p : ndarray of float
        Two-sided p-values of the t-test of :math:`\\rho = 0` with ``n - 2`` degrees of
        freedom.
    ci_low, ci_high : ndarray of float
        Fisher-z confidence interval; NaN where ``n < 4``.
    n_obs : int
        Number of rows (participants) supplied; ``n_obs - n`` rows were left out of each pair
        because of missing values.
    method : str
        ``"pearson"`` or ``"spearman"``.
    missing : str
        ``"pairwise"`` or ``"listwise"``.
    confidence_level : float
        Confidence level of ``ci_low`` / ``ci_high``.
    x_labels, y_labels : tuple of str
        Column names (from a DataFrame) or ``x0, x1, ...`` / ``y0, y1, ...``.
    """

    r: NDArray[np.float64]
    n: NDArray[np.int64]
    p: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    n_obs: int
    method: str
    missing: str
    confidence_level: float
    x_labels: tuple[str, ...]
    y_labels: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per pair ``(x, y)``, with every field as a column.

        Returns
        -------
        pandas.DataFrame
            Columns ``x, y, method, missing, n, n_dropped, r, ci_low, ci_high, p,
            confidence_level``.
        """
        p, q = self.r.shape
        jj, kk = np.divmod(np.arange(p * q), q)
        n = self.n.ravel()
        return pd.DataFrame(
            {
                "x": [self.x_labels[j] for j in jj],
                "y": [self.y_labels[k] for k in kk],
                "method": self.method,
                "missing": self.missing,
                "n": n,
                "n_dropped": self.n_obs - n,
                "r": self.r.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
                "p": self.p.ravel(),
                "confidence_level": self.confidence_level,
            }
        )


@dataclass(frozen=True)
class ConfidenceInterval:
    """A confidence interval for correlation coefficients (arrays broadcast like ``r``).

    Attributes
    ----------
    low, high : ndarray of float
        Interval bounds; NaN where ``n - 3 - k < 1``.
    n : ndarray of int
        Sample sizes used.
    k : int
        Number of covariates partialled out.
    confidence_level : float
        Confidence level.
    method : str
        ``"fisher_z"``.
    """

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    n: NDArray[np.int64]
    k: int
    confidence_level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: ``low, high, n, k, confidence_level, method``."""
        low = np.ravel(self.low)
        return pd.DataFrame(
            {
                "low": low,
                "high": np.ravel(self.high),
                "n": np.broadcast_to(self.n, np.shape(self.low)).ravel(),
                "k": self.k,
                "confidence_level": self.confidence_level,
                "method": self.method,
            }
        )


# --------------------------------------------------------------------------------------------
# Validation helpers (shared with the other stats modules)
# --------------------------------------------------------------------------------------------


def _check_confidence_level(value: object, func: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.floating | np.integer)
        or not 0.0 < float(value) < 1.0
    ):
        raise ValueError(
            f"The 'confidence_level' parameter of {func} must be a float in the open interval "
            f"(0, 1), such as 0.95. Got {value!r} instead."
        )
    return float(value)


def _check_choice(value: object, name: str, func: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"The '{name}' parameter of {func} must be one of {allowed}. Got {value!r} instead."
        )
    return value


def _as_matrix(a: ArrayLike, name: str, func: str) -> tuple[NDArray[np.float64], list[str]]:
    """A float (n_obs, p) copy of ``a`` (1-D becomes one column) and its column labels."""
    labels: list[str] | None = None
    if isinstance(a, pd.DataFrame):
        labels = [str(c) for c in a.columns]
    elif isinstance(a, pd.Series) and a.name is not None:
        labels = [str(a.name)]
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a numeric array of shape (n_obs,) or "
            f"(n_obs, n_variables), with NaN for missing values. Got {type(a).__name__} with "
            "non-numeric entries instead."
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a numeric array of shape (n_obs,) or "
            f"(n_obs, n_variables). Got an array with shape {arr.shape} instead."
        )
    if np.isinf(arr).any():
        raise ValueError(
            f"The '{name}' parameter of {func} must contain only finite numbers or NaN for "
            "missing values. Got infinite values instead; replace them with NaN."
        )
    if labels is None:
        labels = [f"{name}{j}" for j in range(arr.shape[1])]
    return arr, labels


def _prepare(
    x: ArrayLike, y: ArrayLike, missing: str, func: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], list[str], bool]:
    """Validate ``x`` and ``y``; apply listwise deletion; tell whether ``y`` is ``x``."""
    same = y is x
    xm, x_labels = _as_matrix(x, "x", func)
    ym, y_labels = _as_matrix(y, "y", func)
    if xm.shape[0] != ym.shape[0]:
        raise ValueError(
            f"The 'x' and 'y' parameters of {func} must have the same number of rows "
            f"(observations). Got {xm.shape[0]} and {ym.shape[0]} rows instead."
        )
    same = same or (xm.shape == ym.shape and np.array_equal(xm, ym, equal_nan=True))
    if missing == "listwise":
        keep = ~(np.isnan(xm).any(axis=1) | np.isnan(ym).any(axis=1))
        xm, ym = xm[keep], ym[keep]
    return xm, ym, x_labels, y_labels, same


def _pair_index(p: int, q: int, symmetric: bool) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Column indices of the pairs to compute (only ``j <= k`` when ``y`` is ``x``)."""
    if symmetric:
        tj, tk = np.triu_indices(p)
        return tj.astype(np.intp), tk.astype(np.intp)
    jj, kk = np.divmod(np.arange(p * q, dtype=np.intp), q)
    return jj, kk


def _to_matrix(
    values: NDArray[Any],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    shape: tuple[int, int],
    symmetric: bool,
) -> NDArray[Any]:
    """Scatter per-pair values (last axis) into ``(..., p, q)``, mirroring symmetric pairs."""
    out = np.zeros((*values.shape[:-1], *shape), dtype=values.dtype)
    out[..., jj, kk] = values
    if symmetric:
        out[..., kk, jj] = values
    return out


# --------------------------------------------------------------------------------------------
# Vectorized pair moments of weighted data
# --------------------------------------------------------------------------------------------


def _pearson_pairs(
    xc: NDArray[np.float64],
    yc: NDArray[np.float64],
    mask: NDArray[np.float64],
    wt: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Pearson r of aligned pair columns.

    ``xc``, ``yc``: (n, P) centred data with zeros where missing; ``mask``: (n, P) 1.0 where
    the pair is complete; ``wt``: (n, B) non-negative weights (bootstrap counts). Returns r and
    the weighted n, both (P, B). All six moments come from one matrix product ``K.T @ wt``.
    """
    n, npairs = mask.shape
    xs = xc * mask
    ys = yc * mask
    k = np.concatenate([mask, xs, ys, xs * xs, ys * ys, xs * ys], axis=1)
    s = k.T @ wt  # (6P, B)
    sn, sx, sy, sxx, syy, sxy = (s[i * npairs : (i + 1) * npairs] for i in range(6))
    tol = 64.0 * max(n, 1) * np.finfo(np.float64).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / sn
        t = sx * inv
        vx = sxx - sx * t
        cov = sxy - sy * t
        vy = sy * sy
        vy *= inv
        np.subtract(syy, vy, out=vy)
        bad = sn < 3
        bad |= vx <= tol * sxx
        bad |= vy <= tol * syy
        vx *= vy
        np.sqrt(vx, out=vx)
        r = np.divide(cov, vx, out=cov)
        np.clip(r, -1.0, 1.0, out=r)
    r[bad] = np.nan
    return r, sn


def _rank_kernel(col: NDArray[np.float64]) -> NDArray[np.float64]:
    """``C[..., i, i'] = [v_i' < v_i] + [v_i' == v_i] / 2`` for each column (first axis)."""
    a = col[..., :, None]
    b = col[..., None, :]
    return (b < a) + 0.5 * (b == a)


def _spearman_pairs(
    xv: NDArray[np.float64],
    yv: NDArray[np.float64],
    mask: NDArray[np.float64],
    wt: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Spearman r of aligned pair columns (ranks within each pair's complete cases).

    The rank of a complete case ``i`` among the weighted complete cases of a pair is
    :math:`\\tfrac12 + \\sum_{i'} w_{i'} m_{i'} ([v_{i'} < v_i] + \\tfrac12 [v_{i'} = v_i])`,
    the average rank of its tie group; one matrix product gives it for every pair and
    replicate. Ranks are multiples of 1/2 and the weights are integers, so the rank moments
    are exact. Returns r and the weighted n, both (P, B).
    """
    n, npairs = mask.shape
    mt = mask.T
    pair_mask = mt[:, :, None] * mt[:, None, :]  # (P, n, n)
    cx = _rank_kernel(np.where(np.isnan(xv), 0.0, xv).T) * pair_mask
    cy = _rank_kernel(np.where(np.isnan(yv), 0.0, yv).T) * pair_mask
    # Ranks minus 1/2 (mean N/2), zero outside the complete cases: (P, n, B).
    rx = (cx.reshape(npairs * n, n) @ wt).reshape(npairs, n, -1)
    ry = (cy.reshape(npairs * n, n) @ wt).reshape(npairs, n, -1)
    sn = mt @ wt  # (P, B)
    rxw = rx * wt
    sxy = np.einsum("pib,pib->pb", rxw, ry)
    sxx = np.einsum("pib,pib->pb", rxw, rx)
    ry *= ry
    syy = np.einsum("pib,ib->pb", ry, wt)
    mean2 = sn * (sn / 2.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        vx = sxx - mean2
        vy = syy - mean2
        r = (sxy - mean2) / np.sqrt(vx * vy)
    bad = (sn < 3) | (vx <= 0) | (vy <= 0)
    r = np.where(bad, np.nan, np.clip(r, -1.0, 1.0))
    return r, sn


def _pair_correlations(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    w: NDArray[np.float64],
    method: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted pairwise-complete r and n for the pairs ``(jj, kk)``: arrays (P, B).

    ``w`` holds one row of weights (B, n_obs) per replicate: resampling counts for the
    bootstrap, ones for the data themselves, ``1 - I`` for the jackknife.
    """
    mx = ~np.isnan(x)
    my = ~np.isnan(y)
    # Centre each column on its mean over the rows present (r is unchanged, rounding shrinks).
    x0 = np.where(mx, x, 0.0)
    y0 = np.where(my, y, 0.0)
    xc = np.where(mx, x0 - x0.sum(axis=0) / np.maximum(mx.sum(axis=0), 1), 0.0)
    yc = np.where(my, y0 - y0.sum(axis=0) / np.maximum(my.sum(axis=0), 1), 0.0)
    n_rep, n = w.shape
    npairs = jj.size
    per_pair = n * max(n_rep, n) if method == "spearman" else 6 * (n_rep + n)
    chunk = max(1, _ELEMENT_BUDGET // max(per_pair, 1))
    wt = np.ascontiguousarray(w.T)
    r = np.empty((npairs, n_rep))
    sn = np.empty((npairs, n_rep))
    for start in range(0, npairs, chunk):
        sl = slice(start, start + chunk)
        j, k = jj[sl], kk[sl]
        mask = (mx[:, j] & my[:, k]).astype(np.float64)
        if method == "pearson":
            r[sl], sn[sl] = _pearson_pairs(xc[:, j], yc[:, k], mask, wt)
        else:
            r[sl], sn[sl] = _spearman_pairs(x[:, j], y[:, k], mask, wt)
    return r, sn


def _t_pvalue(r: NDArray[np.float64], n: NDArray[Any]) -> NDArray[np.float64]:
    """Two-sided p of the t-test of a correlation, df = n - 2 (NaN where r is NaN)."""
    df = np.asarray(n, dtype=np.float64) - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / ((1.0 + r) * (1.0 - r)))
        p = 2.0 * special.stdtr(df, -np.abs(t))
    return np.where(np.isnan(r) | (df < 1), np.nan, np.minimum(p, 1.0))


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def fisher_ci(
    r: ArrayLike, n: ArrayLike, *, confidence_level: float = 0.95, k: int = 0
) -> ConfidenceInterval:
    r"""Fisher-z confidence interval of a (partial) correlation coefficient.

    Parameters
    ----------
    r : array_like of float
        Correlation coefficients in [-1, 1]; NaN propagates.
    n : array_like of int
        Sample sizes, broadcast against ``r``.
    confidence_level : float, default 0.95
        Confidence level in (0, 1).
    k : int, default 0
        Number of covariates partialled out (0 for a zero-order correlation).

    Returns
    -------
    ConfidenceInterval
        ``low`` and ``high`` with the broadcast shape of ``r`` and ``n``; NaN where
        :math:`n - 3 - k < 1`.

    Raises
    ------
    ValueError
        If ``confidence_level`` is not in (0, 1), ``k`` is not a non-negative integer, or
        ``r`` lies outside [-1, 1].

    Notes
    -----
    With :math:`z = \operatorname{artanh}(r)` and
    :math:`\mathrm{SE} = 1/\sqrt{n - 3 - k}`, the interval is

    .. math:: \tanh\left(z \pm z_{1-\alpha/2}\,\mathrm{SE}\right),
              \qquad \alpha = 1 - \text{confidence level}.

    The standard error with :math:`k` covariates follows Fisher (1924).

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.
    .. [2] Fisher, R. A. (1924). The distribution of the partial correlation coefficient.
       *Metron*, 3, 329-332.

    Examples
    --------
    >>> from patalliance.stats import fisher_ci
    >>> ci = fisher_ci(0.5, 20)
    >>> print(f"{float(ci.low):.4f} {float(ci.high):.4f}")
    0.0738 0.7718
    """
    func = "fisher_ci"
    level = _check_confidence_level(confidence_level, func)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(
            f"The 'k' parameter of {func} must be a non-negative integer (the number of "
            f"covariates). Got {k!r} instead."
        )
    r_arr = np.asarray(r, dtype=np.float64)
    if np.any(np.abs(r_arr) > 1.0):
        raise ValueError(
            f"The 'r' parameter of {func} must lie in [-1, 1] (or be NaN). Got values "
            f"outside that range instead, e.g. {r_arr[np.abs(r_arr) > 1.0].ravel()[0]!r}."
        )
    n_arr = np.asarray(n)
    dof = n_arr.astype(np.float64) - 3.0 - int(k)
    z_crit = stats.norm.ppf(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(r_arr)
        se = 1.0 / np.sqrt(dof)
        low = np.tanh(z - z_crit * se)
        high = np.tanh(z + z_crit * se)
    ok = dof >= 1
    low = np.where(ok, low, np.nan)
    high = np.where(ok, high, np.nan)
    return ConfidenceInterval(
        low=low,
        high=high,
        n=n_arr.astype(np.int64),
        k=int(k),
        confidence_level=level,
        method="fisher_z",
    )


def correlate(
    x: ArrayLike,
    y: ArrayLike,
    *,
    method: CorrelationMethod = "pearson",
    missing: MissingPolicy = "pairwise",
    confidence_level: float = 0.95,
) -> CorrelationResult:
    r"""Correlate every column of ``x`` with every column of ``y``, allowing missing values.

    Parameters
    ----------
    x : array_like, shape (n_obs, p) or (n_obs,)
        Data, one row per participant; NaN marks a missing value. A DataFrame's column names
        become the labels.
    y : array_like, shape (n_obs, q) or (n_obs,)
        Second set of variables, same rows. Pass ``x`` again for all pairs within ``x``.
    method : {"pearson", "spearman"}, default "pearson"
        Spearman's coefficient is Pearson's r of the ranks, the ranks being computed within
        each pair's complete cases (average ranks for ties), as ``scipy.stats.spearmanr``
        does on the pairwise-complete data.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` uses, for each pair, every row where both values are present;
        ``"listwise"`` first drops every row with any missing value in ``x`` or ``y``.
    confidence_level : float, default 0.95
        Confidence level of the Fisher-z interval.

    Returns
    -------
    CorrelationResult
        Arrays of shape (p, q): ``r``, ``n``, ``p``, ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        If the arrays are not numeric and 1-D or 2-D, contain infinite values, have different
        numbers of rows, or an option is not one of its allowed values.

    Notes
    -----
    For each pair, with the :math:`n` complete observations,

    .. math:: r = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}
                       {\sqrt{\sum_i (x_i - \bar x)^2 \sum_i (y_i - \bar y)^2}},
              \qquad t = r \sqrt{\frac{n - 2}{1 - r^2}},

    and :math:`p = 2\,P(T_{n-2} \ge |t|)` (Student, 1908; Fisher, 1915), the same p-value as
    ``scipy.stats.pearsonr`` and ``scipy.stats.spearmanr``. The interval is
    :func:`fisher_ci` with :math:`k = 0`. Coefficients are NaN where :math:`n < 3` or either
    variable is constant over the pair's complete cases; intervals are NaN where
    :math:`n < 4`.

    References
    ----------
    .. [1] Pearson, K. (1896). Mathematical contributions to the theory of evolution. III.
       Regression, heredity, and panmixia. *Philosophical Transactions of the Royal Society
       A*, 187, 253-318.
    .. [2] Spearman, C. (1904). The proof and measurement of association between two things.
       *American Journal of Psychology*, 15(1), 72-101.
    .. [3] Fisher, R. A. (1915). Frequency distribution of the values of the correlation
       coefficient in samples from an indefinitely large population. *Biometrika*, 10(4),
       507-521.
    .. [4] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import correlate
    >>> x = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, np.nan], [5.0, 5.0]])
    >>> y = np.array([2.0, 1.0, 4.0, 3.0, 6.0])
    >>> res = correlate(x, y)
    >>> res.r.shape, res.n.ravel().tolist()
    ((2, 1), [5, 4])
    >>> print(f"{res.r[0, 0]:.4f} {res.p[0, 0]:.4f}")
    0.8220 0.0877
    """
    func = "correlate"
    method = _check_choice(method, "method", func, _METHODS)  # type: ignore[assignment]
    missing = _check_choice(missing, "missing", func, _MISSING)  # type: ignore[assignment]
    level = _check_confidence_level(confidence_level, func)
    xm, ym, x_labels, y_labels, symmetric = _prepare(x, y, missing, func)
    shape = (xm.shape[1], ym.shape[1])
    jj, kk = _pair_index(*shape, symmetric)
    ones = np.ones((1, xm.shape[0]))
    r_pairs, n_pairs = _pair_correlations(xm, ym, jj, kk, ones, method)
    r = _to_matrix(r_pairs[:, 0], jj, kk, shape, symmetric)
    n = _to_matrix(np.rint(n_pairs[:, 0]).astype(np.int64), jj, kk, shape, symmetric)
    ci = fisher_ci(r, n, confidence_level=level)
    return CorrelationResult(
        r=r,
        n=n,
        p=_t_pvalue(r, n),
        ci_low=ci.low,
        ci_high=ci.high,
        n_obs=xm.shape[0],
        method=method,
        missing=missing,
        confidence_level=level,
        x_labels=tuple(x_labels),
        y_labels=tuple(y_labels),
    )


def pearson(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> CorrelationResult:
    r"""Pearson correlation of one pair, on its complete cases.

    Parameters
    ----------
    x, y : array_like, shape (n_obs,)
        The two variables; NaN marks a missing value (the pair is then left out).
    confidence_level : float, default 0.95
        Confidence level of the Fisher-z interval.

    Returns
    -------
    CorrelationResult
        As :func:`correlate`, with arrays of shape (1, 1).

    Raises
    ------
    ValueError
        As :func:`correlate`.

    Notes
    -----
    :math:`r = \sum_i (x_i - \bar x)(y_i - \bar y) /
    \sqrt{\sum_i (x_i - \bar x)^2 \sum_i (y_i - \bar y)^2}`, tested with
    :math:`t = r\sqrt{(n-2)/(1-r^2)}` on :math:`n - 2` degrees of freedom; see
    :func:`correlate`.

    References
    ----------
    .. [1] Pearson, K. (1896). Mathematical contributions to the theory of evolution. III.
       Regression, heredity, and panmixia. *Philosophical Transactions of the Royal Society
       A*, 187, 253-318.
    .. [2] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.

    Examples
    --------
    >>> from patalliance.stats import pearson
    >>> res = pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 6])
    >>> print(f"r = {res.r[0, 0]:.4f}, n = {res.n[0, 0]}")
    r = 0.8220, n = 5
    """
    return correlate(
        _as_vector(x, "x", "pearson"),
        _as_vector(y, "y", "pearson"),
        method="pearson",
        confidence_level=confidence_level,
    )


def spearman(x: ArrayLike, y: ArrayLike, *, confidence_level: float = 0.95) -> CorrelationResult:
    r"""Spearman rank correlation of one pair, on its complete cases.

    Parameters
    ----------
    x, y : array_like, shape (n_obs,)
        The two variables; NaN marks a missing value (the pair is then left out).
    confidence_level : float, default 0.95
        Confidence level of the Fisher-z interval (applied to the rank correlation).

    Returns
    -------
    CorrelationResult
        As :func:`correlate`, with arrays of shape (1, 1).

    Raises
    ------
    ValueError
        As :func:`correlate`.

    Notes
    -----
    :math:`r_s` is Pearson's r of the average ranks of the complete cases; the p-value uses
    :math:`t = r_s\sqrt{(n-2)/(1-r_s^2)}` on :math:`n - 2` degrees of freedom, as
    ``scipy.stats.spearmanr`` does.

    References
    ----------
    .. [1] Spearman, C. (1904). The proof and measurement of association between two things.
       *American Journal of Psychology*, 15(1), 72-101.

    Examples
    --------
    >>> from patalliance.stats import spearman
    >>> res = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 60])
    >>> print(f"{res.r[0, 0]:.4f}")
    0.8000
    """
    return correlate(
        _as_vector(x, "x", "spearman"),
        _as_vector(y, "y", "spearman"),
        method="spearman",
        confidence_level=confidence_level,
    )


def _as_vector(a: ArrayLike, name: str, func: str) -> NDArray[np.float64]:
    arr, _ = _as_matrix(a, name, func)
    if arr.shape[1] != 1:
        raise ValueError(
            f"The '{name}' parameter of {func} must be one-dimensional, shape (n_obs,). Got an "
            f"array with {arr.shape[1]} columns instead; use correlate for several variables."
        )
    return arr[:, 0]
