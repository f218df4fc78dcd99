r"""Exact, vectorized REML for the linear random-intercept model.

:func:`reml_random_intercept` fits one outcome; :func:`reml_random_intercept_batch` fits many
outcome vectors that share one design and one clustering (a parametric bootstrap) at once,
without a Python loop over replicates or clusters. Both maximize the REML log-likelihood
profiled over the fixed effects and the residual variance, a function of the single variance
ratio :math:`\theta = \sigma_u^2/\sigma_e^2`, and agree with statsmodels ``MixedLM`` fitted
with ``reml=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RandomInterceptBatch",
    "RandomInterceptFit",
    "reml_random_intercept",
    "reml_random_intercept_batch",
]

_METHOD = "REML (likelihood profiled to theta = sigma2_u / sigma2_e; grid, then Newton)"
_GRID_LOW = -8.0  # log10 of the smallest positive grid value of theta
_GRID_POINTS = 65
_MAX_STEPS = 100


@dataclass(frozen=True)
class RandomInterceptFit:
    """REML fit of :math:`y_{ij} = x_{ij}^\\top\\beta + u_i + e_{ij}`.

    ``se`` is the statsmodels-compatible standard error (observed information of the profiled
    REML likelihood in :math:`(\\beta, \\theta)`); ``se_gls`` is
    :math:`\\sqrt{\\operatorname{diag}\\{\\hat\\sigma_e^2 (X^\\top V^{-1} X)^{-1}\\}}`, the
    expected-information standard error reported by lme4 and nlme. ``converged`` is false when
    :math:`\\hat\\theta` sits at the upper search bound.
    """

    beta: NDArray[np.float64]
    se: NDArray[np.float64]
    se_gls: NDArray[np.float64]
    sigma2_u: float
    sigma2_e: float
    theta: float
    converged: bool
    n_obs: int
    n_groups: int
    names: tuple[str, ...]
    method: str = _METHOD

    @property
    def at_boundary(self) -> bool:
        """True for a singular fit: the random-intercept variance is estimated at zero."""
        return self.theta == 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per fixed effect, with the variance components and n repeated."""
        return pd.DataFrame(
            {
                "term": list(self.names),
                "estimate": self.beta,
                "se": self.se,
                "se_gls": self.se_gls,
                "sigma2_u": self.sigma2_u,
                "sigma2_e": self.sigma2_e,
                "theta": self.theta,
                "converged": self.converged,
                "n_obs": self.n_obs,
                "n_groups": self.n_groups,
                "method": self.method,
            }
        )


@dataclass(frozen=True)
class RandomInterceptBatch:
    """REML fits of ``B`` outcome vectors sharing one design: arrays with ``B`` rows."""

    beta: NDArray[np.float64]
    theta: NDArray[np.float64]
    sigma2_e: NDArray[np.float64]
    sigma2_u: NDArray[np.float64]
    se: NDArray[np.float64]
    se_gls: NDArray[np.float64]
    converged: NDArray[np.bool_]
    n_obs: int
    n_groups: int
    method: str = _METHOD

    def to_frame(self) -> pd.DataFrame:
        """One row per replicate: ``beta_j``, ``se_j``, the variance components, ``converged``."""
        p = self.beta.shape[1]
        cols: dict[str, Any] = {f"beta_{j}": self.beta[:, j] for j in range(p)}
        cols.update({f"se_{j}": self.se[:, j] for j in range(p)})
        cols.update(
            theta=self.theta,
            sigma2_u=self.sigma2_u,
            sigma2_e=self.sigma2_e,
            converged=self.converged,
        )
        return pd.DataFrame(cols)


def group_sums(values: NDArray[np.float64], codes: NDArray[np.intp], n: int) -> NDArray[Any]:
    """Sums of the rows of ``values`` (n_obs, k) by cluster code ``0 .. n - 1``, shape (n, k)."""
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n))[:-1]])
    return np.asarray(np.add.reduceat(values[order], starts, axis=0), dtype=np.float64)


class _Design:
    r"""Sums of a design that do not depend on the outcome, pooled over clusters of one size.

    Class ``k`` holds the ``count[k]`` clusters of size ``n[k]``; ``sxx[k]`` is the sum over
    them of :math:`(X_i^\top 1)(1^\top X_i)`, flattened to ``p * p``.
    """

    def __init__(self, exog: NDArray[np.float64], codes: NDArray[np.intp], n_groups: int):
        n_obs, p = exog.shape
        self.n_obs, self.p, self.n_groups = n_obs, p, n_groups
        self.exog, self.codes = exog, codes
        sizes, self.klass = np.unique(np.bincount(codes, minlength=n_groups), return_inverse=True)
        self.n = sizes.astype(float)
        self.count = np.bincount(self.klass, minlength=sizes.size).astype(float)
        self.sx = group_sums(exog, codes, n_groups)
        self.xtx = exog.T @ exog
        self.members = [np.flatnonzero(self.klass == k) for k in range(sizes.size)]
        self.sxx = np.stack([self.sx[m].T @ self.sx[m] for m in self.members]).reshape(-1, p * p)


class _YSums:
    r"""Sums of ``B`` outcome vectors pooled by cluster size: ``s2[b, k]`` is the sum over the
    clusters of class ``k`` of :math:`s_i^2` (:math:`s_i = 1^\top y_i`), ``sxy[b, k]`` that of
    :math:`s_i X_i^\top 1`; ``xty`` is :math:`X^\top y` and ``yty`` :math:`y^\top y`."""

    def __init__(
        self,
        s2: NDArray[np.float64],
        sxy: NDArray[np.float64],
        xty: NDArray[np.float64],
        yty: NDArray[np.float64],
    ):
        self.s2, self.sxy, self.xty, self.yty = s2, sxy, xty, yty

    @classmethod
    def of(cls, y: NDArray[np.float64], d: _Design) -> tuple[_YSums, NDArray[np.float64]]:
        # REML is equivariant under y -> y - X b: fit the OLS residuals for accuracy, add b back.
        b0 = np.asarray(np.linalg.lstsq(d.exog, y.T, rcond=None)[0].T, dtype=np.float64)
        resid = y - b0 @ d.exog.T
        sy = group_sums(resid.T, d.codes, d.n_groups).T  # (B, n_groups)
        s2 = np.stack([np.einsum("bg,bg->b", sy[:, m], sy[:, m]) for m in d.members], axis=1)
        # einsum sums in the same order for any number of replicates (a matrix product may not)
        sxy = np.stack([np.einsum("bg,gp->bp", sy[:, m], d.sx[m]) for m in d.members], axis=1)
        xty = np.einsum("bn,np->bp", resid, d.exog)
        return cls(s2, sxy, xty, np.einsum("bn,bn->b", resid, resid)), b0

    def take(self, rows: NDArray[np.intp]) -> _YSums:
        return _YSums(self.s2[rows], self.sxy[rows], self.xty[rows], self.yty[rows])

    def shifted(self, b0: NDArray[np.float64], d: _Design) -> _YSums:
        """The sums of :math:`y - X b_0`, one :math:`b_0` per replicate (rows of ``b0``)."""
        sxx = d.sxx.reshape(-1, d.p, d.p)
        sxx_b = np.einsum("kjl,bl->bkj", sxx, b0)
        s2 = self.s2 - 2.0 * np.einsum("bj,bkj->bk", b0, self.sxy)
        s2 += np.einsum("bj,bkj->bk", b0, sxx_b)
        xtx_b = b0 @ d.xtx
        yty = self.yty - 2.0 * np.einsum("bj,bj->b", b0, self.xty)
        yty += np.einsum("bj,bj->b", xtx_b, b0)
        return _YSums(s2, self.sxy - sxx_b, self.xty - xtx_b, yty)


def _grid_loglik(grid: NDArray[np.float64], d: _Design, s: _YSums) -> NDArray[np.float64]:
    """Profiled REML log-likelihood of every replicate at every grid value, shape (B, K)."""
    p, fac = d.p, d.n_obs - d.p
    out = np.empty((s.yty.shape[0], grid.size))
    for k, theta in enumerate(grid):
        denom = 1.0 + theta * d.n
        w = theta / denom
        a = d.xtx - (w @ d.sxx).reshape(p, p)  # shared by all replicates
        c = s.xty - np.einsum("k,bkp->bp", w, s.sxy)
        beta = np.linalg.solve(a, c.T).T
        rss = s.yty - s.s2 @ w - np.einsum("bj,bj->b", beta, c)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, k] = -0.5 * (
                fac * np.log(rss / fac) + d.count @ np.log(denom) + np.linalg.slogdet(a)[1]
            )
    return out


def _profile(
    theta: NDArray[np.float64], d: _Design, s: _YSums, *, loglik: bool = False
) -> dict[str, NDArray[np.float64]]:
    """Profiled REML quantities at one ``theta`` per replicate: beta, score, curvature."""
    b, p, fac = theta.shape[0], d.p, d.n_obs - d.p
    sxx = d.sxx.reshape(-1, p, p)
    denom = 1.0 + theta[:, None] * d.n[None, :]
    w = theta[:, None] / denom
    a = (d.xtx.reshape(1, p * p) - w @ d.sxx).reshape(b, p, p)
    c = s.xty - np.einsum("bk,bkp->bp", w, s.sxy)
    ainv = np.linalg.inv(a)
    beta = np.einsum("bjk,bk->bj", ainv, c)
    rss = s.yty - np.einsum("bk,bk->b", w, s.s2) - np.einsum("bj,bj->b", beta, c)
    wd = 1.0 / denom**2  # dw_i / dtheta
    wdd = -2.0 * d.n[None, :] / denom**3
    # per class, the sum of the squared and X-weighted cluster sums of the GLS residuals
    sxx_beta = np.einsum("kjl,bl->bkj", sxx, beta)
    rs2 = (
        s.s2 - 2.0 * np.einsum("bj,bkj->bk", beta, s.sxy) + np.einsum("bj,bkj->bk", beta, sxx_beta)
    )
    rsx = s.sxy - sxx_beta
    quad = ainv.reshape(b, p * p) @ d.sxx.T  # sum over a class of (X_i'1)' A^{-1} (X_i'1)
    a1 = -(wd @ d.sxx).reshape(b, p, p)
    ainv_a1 = ainv @ a1
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = -np.einsum("bk,bk->b", wd, rs2)
        q2 = -np.einsum("bk,bk->b", wdd, rs2)
        score = -0.5 * (
            fac * q1 / rss + (d.count * d.n / denom).sum(axis=1) - np.einsum("bk,bk->b", wd, quad)
        )
        # Hessian of the likelihood profiled over sigma_e^2 only, in (beta, theta)
        h_tt = (
            0.5 * np.einsum("k,bk->b", d.count * d.n**2, wd)
            - 0.5 * fac * (q2 / rss - (q1 / rss) ** 2)
            + 0.5 * np.einsum("bk,bk->b", wdd, quad)
            + 0.5 * np.einsum("bjk,bkj->b", ainv_a1, ainv_a1)
        )
        h_bt = -(fac / rss)[:, None] * np.einsum("bk,bkp->bp", wd, rsx)
        sigma2 = rss / fac
        # curvature of the fully profiled l(theta): h_tt - h_bt' H_bb^{-1} h_bt
        curv = h_tt + sigma2 * np.einsum("bj,bjk,bk->b", h_bt, ainv, h_bt)
    out = {
        "a": a, "ainv": ainv, "beta": beta, "rss": rss, "score": score, "h_tt": h_tt,
        "h_bt": h_bt, "curv": curv,
    }  # fmt: skip
    if loglik:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["loglik"] = -0.5 * (
                fac * np.log(sigma2) + np.log(denom) @ d.count + np.linalg.slogdet(a)[1]
            )
    return out


def _standard_errors(
    d: _Design, ev: dict[str, NDArray[np.float64]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """statsmodels' observed-information SEs and the GLS (expected-information) SEs."""
    p = d.p
    b = ev["rss"].shape[0]
    sigma2 = ev["rss"] / (d.n_obs - p)
    neg_h = np.zeros((b, p + 1, p + 1))
    neg_h[:, :p, :p] = ev["a"] / sigma2[:, None, None]
    neg_h[:, :p, p] = neg_h[:, p, :p] = -ev["h_bt"]
    neg_h[:, p, p] = -ev["h_tt"]
    with np.errstate(invalid="ignore"):
        se_gls = np.sqrt(sigma2[:, None] * np.einsum("bjj->bj", ev["ainv"]))
        try:
            se = np.sqrt(np.einsum("bjj->bj", np.linalg.inv(neg_h))[:, :p])
        except np.linalg.LinAlgError:
            se = np.full((b, p), np.nan)
    return se, se_gls


def _refine(
    theta: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    d: _Design,
    s: _YSums,
) -> NDArray[np.float64]:
    """Safeguarded Newton on the score inside [lo, hi], only on unfinished replicates."""
    theta, lo, hi = theta.copy(), lo.copy(), hi.copy()
    active = np.flatnonzero(hi > lo)
    for _ in range(_MAX_STEPS):
        if active.size == 0:
            break
        ev = _profile(theta[active], d, s.take(active))
        t, g, h = theta[active], ev["score"], ev["curv"]
        up = g > 0.0
        lo[active] = np.where(up, t, lo[active])
        hi[active] = np.where(up, hi[active], t)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = t - g / h
        a_lo, a_hi = lo[active], hi[active]
        ok = (h < 0.0) & (newton > a_lo) & (newton < a_hi)
        new = np.where(ok, newton, 0.5 * (a_lo + a_hi))
        new = np.where(g == 0.0, t, new)  # a zero of the score is the answer: keep it
        theta[active] = new
        tol = 1e-13 * np.maximum(np.abs(new), 1e-300) + 1e-300
        done = (np.abs(new - t) <= tol) | (a_hi - a_lo <= tol) | (g == 0.0)
        active = active[~done]
    return theta


def _fit(s: _YSums, b0: NDArray[np.float64], d: _Design, *, theta_max: float) -> dict[str, Any]:
    """REML fits of the replicates whose sums (of ``y - X b0``) are ``s``."""
    b = s.yty.shape[0]
    grid = np.concatenate([[0.0], np.logspace(_GRID_LOW, np.log10(theta_max), _GRID_POINTS)])
    values = _grid_loglik(grid, d, s)
    values = np.where(np.isfinite(values), values, -np.inf)
    k = np.argmax(values, axis=1)
    lo = grid[np.maximum(k - 1, 0)]
    hi = grid[np.minimum(k + 1, grid.size - 1)]
    at_max = k == grid.size - 1
    at_zero = k == 0
    zero_rows = np.flatnonzero(at_zero)
    if zero_rows.size:
        score0 = _profile(np.zeros(zero_rows.size), d, s.take(zero_rows))["score"]
        at_zero[zero_rows] = ~(score0 > 0.0)  # the maximum is the boundary theta = 0
    fixed = at_zero | at_max
    start = np.where(at_zero, 0.0, grid[k])
    theta = _refine(start, np.where(fixed, start, lo), np.where(fixed, start, hi), d, s)
    ev = _profile(theta, d, s, loglik=True)
    # guard against a non-unimodal bracket: never return worse than the best grid point
    worse = ~(ev["loglik"] >= values[np.arange(b), k])
    if worse.any():
        theta = np.where(worse, grid[k], theta)
        ev = _profile(theta, d, s, loglik=True)
    se, se_gls = _standard_errors(d, ev)
    sigma2_e = ev["rss"] / (d.n_obs - d.p)
    converged = ~at_max & ~worse & np.isfinite(ev["loglik"]) & np.isfinite(ev["beta"]).all(1)
    return {
        "beta": ev["beta"] + b0,
        "theta": theta,
        "sigma2_e": sigma2_e,
        "sigma2_u": theta * sigma2_e,
        "se": se,
        "se_gls": se_gls,
        "converged": converged,
    }


def _check_design(exog: ArrayLike, n_obs: int, func: str) -> NDArray[np.float64]:
    x = np.asarray(exog, dtype=float)
    problems = []
    if x.ndim != 2 or x.shape[0] != n_obs:
        problems.append(
            f"The 'exog' parameter of {func} must be a 2-D array with {n_obs} rows (one per "
            f"observation). Got shape {x.shape} instead."
        )
    elif not np.isfinite(x).all():
        problems.append(f"The 'exog' parameter of {func} must be finite. Drop missing rows first.")
    elif n_obs <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        problems.append(
            f"The 'exog' parameter of {func} must have full column rank and fewer columns "
            f"than rows. Got {x.shape[1]} columns of rank {np.linalg.matrix_rank(x)} for "
            f"{n_obs} observations instead; remove collinear or constant columns."
        )
    if problems:
        raise ValueError(" ".join(problems))
    return x


def reml_random_intercept_batch(
    y: ArrayLike,
    exog: ArrayLike,
    codes: ArrayLike,
    *,
    theta_max: float = 1e8,
) -> RandomInterceptBatch:
    r"""REML fits of many outcome vectors that share one design and one clustering.

    Parameters
    ----------
    y : array_like, shape (B, n_obs)
        One outcome vector per row (no missing values).
    exog : array_like, shape (n_obs, p)
        Fixed-effects design with full column rank, including the intercept column.
    codes : array_like of int, shape (n_obs,)
        Cluster codes ``0 .. n_groups - 1`` (as from :func:`pandas.factorize`).
    theta_max : float, default 1e8
        Upper bound of the variance ratio :math:`\theta = \sigma_u^2/\sigma_e^2`; a fit at the
        bound has ``converged = False``.

    Returns
    -------
    RandomInterceptBatch
        ``beta`` and ``se`` of shape (B, p); ``theta``, ``sigma2_u``, ``sigma2_e`` and
        ``converged`` of shape (B,). Row ``b`` equals ``reml_random_intercept(y[b], ...)``.

    Raises
    ------
    ValueError
        For mismatched shapes, missing values, a rank-deficient design, cluster codes that are
        not ``0 .. n_groups - 1``, or fewer than two clusters.

    Notes
    -----
    See :func:`reml_random_intercept` for the model and the likelihood. The per-cluster sums
    :math:`n_i`, :math:`X_i^\top 1` and :math:`\sum_i X_i^\top X_i` are computed once; the
    outcome sums :math:`1^\top y_i`, :math:`X^\top y` and :math:`y^\top y` once per replicate,
    so each evaluation of the profiled likelihood costs :math:`O(B\,G\,p^2)` whatever the
    cluster sizes. :math:`\hat\theta` is located on a log-spaced grid (with :math:`\theta=0`)
    for every replicate at once (the grid shares :math:`X^\top V^{-1} X` across replicates), then
    refined by Newton steps on the analytic score :math:`\ell'(\theta)`, safeguarded by
    bisection inside the grid bracket, until the step is below :math:`10^{-13}\theta`; only
    unfinished replicates are updated. A replicate whose grid maximum is :math:`\theta=0`
    with :math:`\ell'(0) \le 0` is a boundary (singular) fit.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> codes = np.repeat(np.arange(8), 3)
    >>> exog = np.column_stack([np.ones(24), rng.normal(size=24)])
    >>> y = exog @ [1.0, 0.5] + rng.normal(size=(100, 8))[:, codes] + rng.normal(size=(100, 24))
    >>> fits = reml_random_intercept_batch(y, exog, codes)
    >>> fits.beta.shape, bool(fits.converged.all())
    ((100, 2), True)
    """
    func = "reml_random_intercept_batch"
    yy = np.asarray(y, dtype=float)
    if yy.ndim != 2 or not np.isfinite(yy).all():
        raise ValueError(
            f"The 'y' parameter of {func} must be a finite 2-D array of shape (B, n_obs). "
            f"Got shape {yy.shape} (finite: {bool(np.isfinite(yy).all())}) instead."
        )
    x = _check_design(exog, yy.shape[1], func)
    cc = np.asarray(codes)
    if cc.shape != (yy.shape[1],) or not np.issubdtype(cc.dtype, np.integer):
        raise ValueError(
            f"The 'codes' parameter of {func} must be an integer array of shape "
            f"({yy.shape[1]},). Got dtype {cc.dtype} and shape {cc.shape} instead; use "
            f"pandas.factorize(groups)[0]."
        )
    n_groups = int(cc.max()) + 1 if cc.size else 0
    if cc.size and (cc.min() < 0 or np.bincount(cc).min() == 0):
        raise ValueError(
            f"The 'codes' parameter of {func} must use every code 0 .. {n_groups - 1} and no "
            f"negative codes. Use pandas.factorize(groups)[0]."
        )
    if n_groups < 2:
        raise ValueError(
            f"The 'codes' parameter of {func} must name at least 2 clusters. Got {n_groups}."
        )
    if not theta_max >= 1e-6:
        raise ValueError(
            f"The 'theta_max' parameter of {func} must be at least 1e-6. Got {theta_max!r} instead."
        )
    design = _Design(x, cc.astype(np.intp), n_groups)
    res = _fit(*_YSums.of(yy, design), design, theta_max=float(theta_max))
    return RandomInterceptBatch(**res, n_obs=yy.shape[1], n_groups=n_groups)


def reml_random_intercept(
    y: ArrayLike,
    exog: ArrayLike,
    groups: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    theta_max: float = 1e8,
) -> RandomInterceptFit:
    r"""Fit the linear random-intercept model by restricted maximum likelihood (REML).

    Parameters
    ----------
    y : array_like, shape (n_obs,)
        Outcome (no missing values).
    exog : array_like, shape (n_obs, p)
        Fixed-effects design with full column rank, including the intercept column.
    groups : array_like, shape (n_obs,)
        Cluster labels (any hashable values).
    names : sequence of str, optional
        Names of the ``exog`` columns (default ``x0, x1, ...``).
    theta_max : float, default 1e8
        Upper bound of :math:`\theta = \sigma_u^2/\sigma_e^2`.

    Returns
    -------
    RandomInterceptFit
        Unrounded estimates; ``theta == 0`` (``at_boundary``) is a singular fit.

    Raises
    ------
    ValueError
        For mismatched shapes, missing values, a rank-deficient design or fewer than two
        clusters.

    Notes
    -----
    The model is :math:`y_{ij} = x_{ij}^\top\beta + u_i + e_{ij}` with
    :math:`u_i \sim N(0, \sigma_u^2)` and :math:`e_{ij} \sim N(0, \sigma_e^2)` independent
    (Laird & Ware, 1982). With :math:`\theta = \sigma_u^2/\sigma_e^2`, cluster :math:`i` of
    size :math:`n_i` has :math:`\operatorname{Cov}(y_i) = \sigma_e^2 V_i`,
    :math:`V_i = I + \theta J_{n_i}` and

    .. math:: V_i^{-1} = I - w_i J_{n_i}, \qquad w_i = \frac{\theta}{1 + n_i\theta},
       \qquad |V_i| = 1 + n_i\theta,

    so that :math:`X^\top V^{-1} X = \sum_i X_i^\top X_i - w_i (X_i^\top 1)(1^\top X_i)` and
    :math:`X^\top V^{-1} y`, :math:`y^\top V^{-1} y` likewise. For fixed :math:`\theta`,
    :math:`\hat\beta(\theta) = (X^\top V^{-1}X)^{-1} X^\top V^{-1} y` (generalized least
    squares), :math:`r^\top V^{-1} r = y^\top V^{-1} y - \hat\beta^\top X^\top V^{-1} y` and
    :math:`\hat\sigma_e^2(\theta) = r^\top V^{-1} r / (N - p)`. Profiling both out of the REML
    likelihood (Harville, 1977; Bates et al., 2015) leaves, up to a constant,

    .. math:: \ell(\theta) = -\tfrac12\Big[(N-p)\log\hat\sigma_e^2(\theta)
       + \sum_i \log(1 + n_i\theta) + \log\big|X^\top V^{-1} X\big|\Big],

    maximized over :math:`\theta \in [0, \theta_{max}]` (see
    :func:`reml_random_intercept_batch`); :math:`\hat\sigma_u^2 = \hat\theta\hat\sigma_e^2`.
    Its score, used for the refinement, is

    .. math:: \ell'(\theta) = -\tfrac12\Big[-(N-p)\frac{\sum_i w_i' s_i^2}{r^\top V^{-1} r}
       + \sum_i \frac{n_i}{1+n_i\theta}
       - \sum_i w_i' (X_i^\top 1)^\top (X^\top V^{-1} X)^{-1} (X_i^\top 1)\Big],

    with :math:`w_i' = (1 + n_i\theta)^{-2}` and :math:`s_i = 1^\top (y_i - X_i\hat\beta)`.

    ``se_gls`` is :math:`\sqrt{\operatorname{diag}\{\hat\sigma_e^2 (X^\top V^{-1}X)^{-1}\}}`,
    the expected-information standard error (lme4, nlme). statsmodels ``MixedLM`` instead
    inverts the observed Hessian of the likelihood profiled over :math:`\sigma_e^2` in
    :math:`(\beta, \theta)`, whose off-diagonal block
    :math:`-\frac{N-p}{r^\top V^{-1} r} \sum_i w_i' s_i X_i^\top 1` is not zero at the
    estimates; ``se`` reproduces that (at an interior maximum it is never smaller than
    ``se_gls``, and equal when the off-diagonal block vanishes).

    References
    ----------
    .. [1] Harville, D. A. (1977). Maximum likelihood approaches to variance component
       estimation and to related problems. *Journal of the American Statistical Association*,
       72(358), 320-338.
    .. [2] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
       *Biometrics*, 38(4), 963-974.
    .. [3] Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
       mixed-effects models using lme4. *Journal of Statistical Software*, 67(1), 1-48.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> groups = np.repeat(list("abcdefghij"), 4)
    >>> x = rng.normal(size=40)
    >>> u = np.repeat(rng.normal(size=10), 4)
    >>> fit = reml_random_intercept(2 + x + u + rng.normal(size=40),
    ...                             np.column_stack([np.ones(40), x]), groups)
    >>> fit.n_groups, fit.converged, fit.sigma2_u > 0
    (10, True, True)
    """
    func = "reml_random_intercept"
    yy = np.asarray(y, dtype=float)
    if yy.ndim != 1 or not np.isfinite(yy).all():
        raise ValueError(
            f"The 'y' parameter of {func} must be a finite 1-D array. Got shape {yy.shape} "
            f"(finite: {bool(np.isfinite(yy).all())}) instead; drop missing values first."
        )
    x = _check_design(exog, yy.size, func)
    gg = np.asarray(groups)
    if gg.shape != yy.shape:
        raise ValueError(
            f"The 'groups' parameter of {func} must have one label per observation, shape "
            f"{yy.shape}. Got shape {gg.shape} instead."
        )
    codes = pd.factorize(pd.Series(gg))[0]
    labels = tuple(names) if names is not None else tuple(f"x{j}" for j in range(x.shape[1]))
    if len(labels) != x.shape[1]:
        raise ValueError(
            f"The 'names' parameter of {func} must have {x.shape[1]} entries (one per exog "
            f"column). Got {len(labels)} instead."
        )
    batch = reml_random_intercept_batch(yy[None, :], x, codes, theta_max=theta_max)
    return RandomInterceptFit(
        beta=batch.beta[0],
        se=batch.se[0],
        se_gls=batch.se_gls[0],
        sigma2_u=float(batch.sigma2_u[0]),
        sigma2_e=float(batch.sigma2_e[0]),
        theta=float(batch.theta[0]),
        converged=bool(batch.converged[0]),
        n_obs=batch.n_obs,
        n_groups=batch.n_groups,
        names=labels,
    )
