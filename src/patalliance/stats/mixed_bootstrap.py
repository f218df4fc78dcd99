r"""Parametric bootstrap of the random-intercept model, simulated through its sufficient statistics.

The exact REML fit of :mod:`patalliance.stats.mixed` depends on an outcome vector only
through :math:`X^\top y`, :math:`y^\top y` and, for each cluster size, the sums over its
clusters of :math:`s_i^2` and :math:`s_i X_i^\top 1` (:math:`s_i = 1^\top y_i`). Under the
fitted model :math:`y^* = X\hat\beta + u^* + \varepsilon^*` these statistics have a joint
distribution that can be drawn exactly with a number of random values that does not grow
with the number of observations, so each bootstrap replicate costs :math:`O(K p^2)` for
:math:`K` distinct cluster sizes and :math:`p` fixed effects, instead of simulating and
summing :math:`N` outcomes. With :math:`e = y^* - X\hat\beta`:

- the cluster sums :math:`a_i = 1^\top e_i = n_i u_i + 1^\top\varepsilon_i` are independent
  :math:`N(0, v_i)`, :math:`v_i = n_i^2\hat\sigma_u^2 + n_i\hat\sigma_e^2`, and independent of
  the within-cluster part :math:`\varepsilon_w = (I - P_D)\varepsilon` (:math:`P_D` the
  projection on the cluster indicators);
- for the :math:`c_k` clusters of size :math:`n_k`, with :math:`S_k` the matrix of their rows
  :math:`X_i^\top 1` and :math:`S_k^\top S_k = U_k \Lambda_k U_k^\top` (rank :math:`r_k`),
  :math:`\sum a_i X_i^\top 1 = \sqrt{v_k}\,U_k\Lambda_k^{1/2} z_k` and
  :math:`\sum a_i^2 = v_k(\lVert z_k\rVert^2 + \chi^2_{c_k - r_k})` with
  :math:`z_k \sim N(0, I_{r_k})` (Cochran's theorem);
- with :math:`\tilde X = (I - P_D)X` and :math:`\tilde X^\top\tilde X = U\Lambda U^\top` (rank
  :math:`r`), :math:`X^\top e = \sum_i a_i X_i^\top 1 / n_i + \hat\sigma_e U\Lambda^{1/2} z`
  and :math:`e^\top e = \sum_i a_i^2/n_i + \hat\sigma_e^2(\lVert z\rVert^2 +
  \chi^2_{N - G - r})`, :math:`z \sim N(0, I_r)`.

Each replicate is then refitted from these sums by the exact REML of
:func:`patalliance.stats.mixed.reml_random_intercept_batch` (REML is equivariant under
:math:`y \to y - Xb`, so the fit of :math:`e` plus :math:`\hat\beta` is the fit of
:math:`y^*`). The replicates have the distribution of refits of simulated outcome vectors;
only the random stream differs. Replicates are processed in blocks whose arrays stay under
:data:`BLOCK_BYTES`, so the memory does not grow with ``n_boot`` beyond three values per
replicate; the normal and chi-square draws come from two streams spawned from ``rng``, so
the draws do not depend on the block size (the refits agree to rounding).

References
----------
.. [1] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman &
   Hall/CRC.
.. [2] Cochran, W. G. (1934). The distribution of quadratic forms in a normal system, with
   applications to the analysis of covariance. *Mathematical Proceedings of the Cambridge
   Philosophical Society*, 30(2), 178-191.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patalliance.stats.mixed import _Design, _fit, _YSums

__all__ = [
    "BLOCK_BYTES",
    "ParametricBootstrap",
    "parametric_bootstrap_memory_bytes",
    "parametric_bootstrap_random_intercept",
]

#: Memory that the arrays of one block of replicates may use.
BLOCK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class ParametricBootstrap:
    """REML refits of ``n_boot`` outcome vectors simulated from a fitted random-intercept
    model: ``beta`` (n_boot, p), ``theta`` (the variance ratio) and ``converged`` (n_boot,)."""

    beta: NDArray[np.float64]
    theta: NDArray[np.float64]
    converged: NDArray[np.bool_]
    n_boot: int
    method: str = "parametric bootstrap, simulated sufficient statistics, exact REML refits"


def _per_replicate_values(n_sizes: int, p: int) -> int:
    """float64 values that one replicate holds at the peak of a block's refit."""
    return 8 * n_sizes * p + 6 * p * p + 160


def parametric_bootstrap_memory_bytes(
    n_obs: int, n_groups: int, n_boot: int, *, n_fixed: int = 8, n_sizes: int = 8
) -> int:
    """Bytes that :func:`parametric_bootstrap_random_intercept` holds at its peak, estimated
    (an upper bound within about 2x): the design's sums, ``2 n_obs p + n_obs + 3 n_groups p``
    values; one block of replicates, ``8 K p + 6 p^2 + 160`` values each and at most
    :data:`BLOCK_BYTES` in all; and the kept ``beta``, ``theta`` and ``converged``,
    ``n_boot (p + 2)`` values. ``n_fixed`` (p) and ``n_sizes`` (K, the distinct cluster
    sizes) default to generous values."""
    p, k = max(1, n_fixed), max(1, n_sizes)
    block = min(n_boot, _block_size(k, p)) * _per_replicate_values(k, p)
    return 8 * (2 * n_obs * p + n_obs + 3 * n_groups * p + block + n_boot * (p + 2))


def _block_size(n_sizes: int, p: int) -> int:
    return max(1, BLOCK_BYTES // (8 * _per_replicate_values(n_sizes, p)))


def _factor(gram: NDArray[np.float64]) -> NDArray[np.float64]:
    """``F`` with ``F F' = gram`` on the numerical column space of ``gram`` (p × rank)."""
    eig, vec = np.linalg.eigh(gram)
    tol = max(float(eig.max()), 0.0) * gram.shape[0] * np.finfo(float).eps * 10.0
    keep = eig > tol
    return np.asarray(vec[:, keep] * np.sqrt(eig[keep]), dtype=np.float64)


class _Sampler:
    """The factors of the design that the draws need (module docstring)."""

    def __init__(self, d: _Design):
        p = d.p
        self.class_f = [_factor(m.reshape(p, p)) for m in d.sxx]
        self.class_df = np.array(
            [c - f.shape[1] for c, f in zip(d.count, self.class_f, strict=True)]
        )
        within = d.exog - (d.sx / np.bincount(d.codes, minlength=d.n_groups)[:, None])[d.codes]
        self.within_f = _factor(within.T @ within)
        self.within_df = d.n_obs - d.n_groups - self.within_f.shape[1]
        self.n_normal = sum(f.shape[1] for f in self.class_f) + self.within_f.shape[1]


def _chi2(rng: np.random.Generator, df: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Chi-square draws (size, len(df)); a zero df gives zero."""
    out = np.zeros((size, df.size))
    pos = df > 0
    if pos.any():
        out[:, pos] = rng.chisquare(df[pos], size=(size, int(pos.sum())))
    return out


def _draw(
    d: _Design,
    smp: _Sampler,
    var: tuple[float, float],
    size: int,
    rngs: tuple[np.random.Generator, np.random.Generator],
) -> _YSums:
    """The sums of ``size`` simulated :math:`e = y^* - X\\hat\\beta` (module docstring)."""
    sig_u, sig_e = var
    v = d.n**2 * sig_u + d.n * sig_e  # variance of a cluster sum, per cluster size
    z = rngs[0].standard_normal((size, smp.n_normal))
    chi = _chi2(rngs[1], np.append(smp.class_df, smp.within_df).astype(float), size)
    sxy = np.empty((size, d.n.size, d.p))
    s2 = np.empty((size, d.n.size))
    at = 0
    for k, f in enumerate(smp.class_f):
        zk = z[:, at : at + f.shape[1]]
        at += f.shape[1]
        sxy[:, k] = np.sqrt(v[k]) * (zk @ f.T)
        s2[:, k] = v[k] * (np.einsum("bj,bj->b", zk, zk) + chi[:, k])
    zw = z[:, at:]
    xty = np.einsum("bkp,k->bp", sxy, 1.0 / d.n) + np.sqrt(sig_e) * (zw @ smp.within_f.T)
    yty = s2 @ (1.0 / d.n) + sig_e * (np.einsum("bj,bj->b", zw, zw) + chi[:, -1])
    return _YSums(s2, sxy, xty, yty)


def parametric_bootstrap_random_intercept(
    exog: ArrayLike,
    codes: ArrayLike,
    beta: ArrayLike,
    sigma2_u: float,
    sigma2_e: float,
    *,
    n_boot: int,
    rng: np.random.Generator,
    theta_max: float = 1e8,
) -> ParametricBootstrap:
    r"""REML refits of ``n_boot`` outcomes simulated from a fitted random-intercept model.

    Parameters
    ----------
    exog : array_like, shape (n_obs, p)
        Fixed-effects design with full column rank.
    codes : array_like of int, shape (n_obs,)
        Cluster codes ``0 .. n_groups - 1`` (as from :func:`pandas.factorize`).
    beta : array_like, shape (p,)
        Fixed effects of the model simulated from.
    sigma2_u, sigma2_e : float
        Its cluster and residual variances (:math:`\sigma_u^2 \ge 0`, :math:`\sigma_e^2 > 0`).
    n_boot : int
        Number of replicates.
    rng : numpy.random.Generator
        Source of the draws (two streams are spawned from it).
    theta_max : float, default 1e8
        Upper bound of the refits' variance ratio (see
        :func:`patalliance.stats.mixed.reml_random_intercept_batch`).

    Returns
    -------
    ParametricBootstrap
        Row ``b`` is distributed as ``reml_random_intercept(y_b, exog, codes)`` for
        :math:`y_b = X\beta + u_b + \varepsilon_b`, :math:`u_b \sim N(0, \sigma_u^2 I_G)`,
        :math:`\varepsilon_b \sim N(0, \sigma_e^2 I_N)`.

    Raises
    ------
    ValueError
        For a negative variance, a non-positive residual variance or ``n_boot < 1``.

    Notes
    -----
    The draws of the sufficient statistics are given in the module docstring. Setup costs
    :math:`O(N p^2)`; each replicate :math:`O(K p^2)` time and memory, for :math:`K` distinct
    cluster sizes.

    References
    ----------
    .. [1] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       Chapman & Hall/CRC.
    .. [2] Cochran, W. G. (1934). The distribution of quadratic forms in a normal system,
       with applications to the analysis of covariance. *Mathematical Proceedings of the
       Cambridge Philosophical Society*, 30(2), 178-191.
    """
    func = "parametric_bootstrap_random_intercept"
    if not (sigma2_u >= 0.0 and sigma2_e > 0.0):
        raise ValueError(
            f"The 'sigma2_u' and 'sigma2_e' parameters of {func} must be >= 0 and > 0. Got "
            f"{sigma2_u!r} and {sigma2_e!r} instead."
        )
    if int(n_boot) < 1:
        raise ValueError(f"The 'n_boot' parameter of {func} must be at least 1. Got {n_boot!r}.")
    x = np.asarray(exog, dtype=np.float64)
    cc = np.asarray(codes, dtype=np.intp)
    fe = np.asarray(beta, dtype=np.float64)
    d = _Design(x, cc, int(cc.max()) + 1)
    smp = _Sampler(d)
    rngs = tuple(rng.spawn(2))
    n = int(n_boot)
    out_beta = np.empty((n, d.p))
    out_theta = np.empty(n)
    out_ok = np.empty(n, dtype=bool)
    block = _block_size(d.n.size, d.p)
    for lo in range(0, n, block):
        size = min(block, n - lo)
        sums = _draw(d, smp, (float(sigma2_u), float(sigma2_e)), size, (rngs[0], rngs[1]))
        # fit the OLS residuals, as for one outcome
        b0 = np.asarray(np.linalg.solve(d.xtx, sums.xty.T).T, dtype=np.float64)
        res = _fit(sums.shifted(b0, d), b0, d, theta_max=theta_max)
        out_beta[lo : lo + size] = res["beta"] + fe
        out_theta[lo : lo + size] = res["theta"]
        out_ok[lo : lo + size] = res["converged"]
    return ParametricBootstrap(out_beta, out_theta, out_ok, n)
