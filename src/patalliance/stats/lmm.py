r"""Small-sample inference for linear mixed models: Satterthwaite degrees of freedom.

For a linear mixed model :math:`y = X\beta + Zu + \varepsilon` with random effects
:math:`u_g \sim N(0, G)` per group and :math:`\varepsilon \sim N(0, \sigma^2 I)`, the
marginal covariance is block diagonal, :math:`V_g = Z_g G Z_g^\top + \sigma^2 I`. Given REML
estimates of the variance parameters :math:`\varphi` (the elements of :math:`G` and
:math:`\sigma^2`), this module computes, with exact (analytic) derivatives,

- the generalized least-squares estimate :math:`\hat\beta` and its covariance
  :math:`C(\varphi) = (X^\top V^{-1} X)^{-1}`;
- the REML criterion :math:`D = -2\ell_R` and its observed Hessian in :math:`\varphi`;
- for each fixed effect (or any contrast :math:`c`), Satterthwaite's degrees of freedom

  .. math:: \nu = \frac{2\,\{c^\top C c\}^2}{g^\top A\, g},\qquad
            g = \nabla_\varphi\, c^\top C(\varphi) c,\qquad A = 2\,H_D^{-1},

  where :math:`H_D` is the Hessian of :math:`D` at the estimates, so :math:`A` is the
  asymptotic covariance of :math:`\hat\varphi`.

This is the method of ``lmerTest`` (Kuznetsova, Brockhoff & Christensen, 2017), whose
default ``summary`` reports these df with t tests. The result does not depend on how the
variance parameters are parameterized (at an interior REML optimum), so it equals
``lmerTest``'s, which differentiates numerically in its own parameterization.

The derivatives, with :math:`V_k = \partial V/\partial\varphi_k` (constant, since :math:`V` is
linear in :math:`\varphi`), :math:`P = V^{-1} - V^{-1}X C X^\top V^{-1}` and :math:`u = Py`:

.. math:: \frac{\partial D}{\partial\varphi_k} = \operatorname{tr}(P V_k) - u^\top V_k u,
          \qquad
          \frac{\partial^2 D}{\partial\varphi_k\partial\varphi_l}
          = -\operatorname{tr}(P V_k P V_l) + 2\,u^\top V_k P V_l u,
          \qquad
          \frac{\partial C}{\partial\varphi_k} = C X^\top V^{-1} V_k V^{-1} X C

(Searle, Casella & McCulloch, 1992, ch. 6). Every quantity is a sum over groups of small
matrices, computed for all groups at once (groups padded to the largest size).

References
----------
.. [1] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
   components. *Biometrics Bulletin*, 2(6), 110-114.
.. [2] Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package:
   Tests in linear mixed effects models. *Journal of Statistical Software*, 82(13), 1-26.
.. [3] Searle, S. R., Casella, G., & McCulloch, C. E. (1992). *Variance Components*. Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["MixedDesign", "SatterthwaiteResult", "satterthwaite"]


@dataclass(frozen=True)
class MixedDesign:
    """A mixed-model design with its groups padded to one size, for batched algebra.

    ``y`` (g, t), ``x`` (g, t, p), ``z`` (g, t, q) and ``mask`` (g, t) hold each group's
    observations in its first rows; padding rows are zero and ``mask`` is 0 there.
    """

    y: NDArray[np.float64]
    x: NDArray[np.float64]
    z: NDArray[np.float64]
    mask: NDArray[np.float64]

    @classmethod
    def from_long(
        cls, y: ArrayLike, exog: ArrayLike, groups: ArrayLike, exog_re: ArrayLike | None = None
    ) -> MixedDesign:
        """Pad long data (one row per observation) by group. ``exog_re`` defaults to a column
        of ones (a random intercept)."""
        yv = np.asarray(y, dtype=np.float64)
        xv = np.asarray(exog, dtype=np.float64)
        zv = np.ones((yv.size, 1)) if exog_re is None else np.asarray(exog_re, dtype=np.float64)
        zv = zv[:, None] if zv.ndim == 1 else zv
        codes, _ = pd.factorize(pd.Series(np.asarray(groups, dtype=object)))
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        sizes = np.bincount(codes)
        n_groups, t_max = sizes.size, int(sizes.max())
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        slot = np.arange(codes.size) - starts[codes]
        ypad = np.zeros((n_groups, t_max))
        xpad = np.zeros((n_groups, t_max, xv.shape[1]))
        zpad = np.zeros((n_groups, t_max, zv.shape[1]))
        mask = np.zeros((n_groups, t_max))
        ypad[codes, slot] = yv[order]
        xpad[codes, slot] = xv[order]
        zpad[codes, slot] = zv[order]
        mask[codes, slot] = 1.0
        return cls(ypad, xpad, zpad, mask)

    @property
    def n_re(self) -> int:
        return int(self.z.shape[2])

    def derivative_blocks(self) -> list[NDArray[np.float64]]:
        """:math:`\\partial V_g/\\partial\\varphi_k` for each parameter (lower triangle of G
        row by row, then sigma²), each (g, t, t)."""
        q = self.n_re
        blocks = []
        for a in range(q):
            for b in range(a + 1):
                e = np.zeros((q, q))
                e[a, b] = e[b, a] = 1.0
                blocks.append(np.einsum("gta,ab,gsb->gts", self.z, e, self.z))
        blocks.append(np.einsum("gt,ts->gts", self.mask, np.eye(self.mask.shape[1])))
        return blocks


def _cov_from_params(params: NDArray[np.float64], q: int) -> NDArray[np.float64]:
    g = np.zeros((q, q))
    k = 0
    for a in range(q):
        for b in range(a + 1):
            g[a, b] = g[b, a] = params[k]
            k += 1
    return g


def params_from_cov(cov_re: ArrayLike, scale: float) -> NDArray[np.float64]:
    """The variance parameters (lower triangle of G row by row, then sigma²)."""
    g = np.atleast_2d(np.asarray(cov_re, dtype=np.float64))
    q = g.shape[0]
    low = [g[a, b] for a in range(q) for b in range(a + 1)]
    return np.array([*low, float(scale)])


@dataclass(frozen=True)
class _Pieces:
    vinv: NDArray[np.float64]  # (g, t, t)
    w: NDArray[np.float64]  # V^-1 X, (g, t, p)
    cov_beta: NDArray[np.float64]  # C = (X'V^-1X)^-1, (p, p)
    beta: NDArray[np.float64]
    u: NDArray[np.float64]  # P y = V^-1 (y - X beta), (g, t)
    deviance: float


def _pieces(d: MixedDesign, params: NDArray[np.float64]) -> _Pieces:
    q = d.n_re
    g_cov = _cov_from_params(params, q)
    sigma2 = params[-1]
    t = d.mask.shape[1]
    eye = np.eye(t)
    v = np.einsum("gta,ab,gsb->gts", d.z, g_cov, d.z)
    v += eye * (sigma2 * d.mask + (1.0 - d.mask))[:, :, None]
    vinv = np.linalg.inv(v)
    _, logdet = np.linalg.slogdet(v)
    w = vinv @ d.x
    m = np.einsum("gtp,gtr->pr", d.x, w)
    cov_beta = np.linalg.inv(m)
    beta = cov_beta @ np.einsum("gtp,gt->p", w, d.y)
    r = d.y - np.einsum("gtp,p->gt", d.x, beta)
    u = np.einsum("gts,gs->gt", vinv, r)
    _, logdet_m = np.linalg.slogdet(m)
    deviance = float(logdet.sum() + logdet_m + np.einsum("gt,gt->", r, u))
    return _Pieces(vinv, w, cov_beta, beta, u, deviance)


def reml_criterion(d: MixedDesign, params: ArrayLike) -> float:
    """The REML criterion :math:`-2\\ell_R` up to the constant :math:`(n - p)\\log 2\\pi`."""
    return _pieces(d, np.asarray(params, dtype=np.float64)).deviance


def _flat_gram(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\sum_g a_g^\top b_g` for (g, t, p) and (g, t, r) arrays, as one matrix product."""
    return np.asarray(a.reshape(-1, a.shape[2]).T @ b.reshape(-1, b.shape[2]), dtype=np.float64)


def _hessian(
    d: MixedDesign, pc: _Pieces, blocks: list[NDArray[np.float64]]
) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    r"""Observed Hessian of the REML criterion in the variance parameters, and
    :math:`W^\top A_k W` for each parameter (:math:`W = V^{-1}X`).

    Every sum over groups is a matrix product or an elementwise sum, so the cost is
    :math:`O(g\,t^2(t + p))` per pair of parameters."""
    m = len(blocks)
    c = pc.cov_beta
    av = [a @ pc.vinv for a in blocks]  # A_k V^-1
    wa = [a @ pc.w for a in blocks]  # A_k W per group (A_k symmetric)
    vwa = [pc.vinv @ x for x in wa]  # V^-1 A_k W
    waw = [_flat_gram(pc.w, x) for x in wa]  # W'A_kW
    au = [np.einsum("gts,gs->gt", a, pc.u) for a in blocks]  # A_k u
    vau = [np.einsum("gts,gs->gt", pc.vinv, x) for x in au]  # V^-1 A_k u
    wau = [np.einsum("gtp,gt->p", pc.w, x) for x in au]  # W'A_k u
    h = np.zeros((m, m))
    for k in range(m):
        for ll in range(k + 1):
            tr1 = float(np.sum(av[k] * av[ll].transpose(0, 2, 1)))
            cross = _flat_gram(wa[k], vwa[ll])  # W'A_k V^-1 A_l W
            tr2 = np.trace(c @ cross)
            tr3 = np.trace(c @ waw[k] @ c @ waw[ll])
            trace = tr1 - 2.0 * tr2 + tr3
            quad = float(np.sum(au[k] * vau[ll])) - wau[k] @ c @ wau[ll]
            h[k, ll] = h[ll, k] = -trace + 2.0 * quad
    return h, waw


@dataclass(frozen=True)
class SatterthwaiteResult:
    """Fixed effects with their GLS standard errors and Satterthwaite degrees of freedom.

    ``beta``, ``se`` and ``df`` have one entry per column of ``exog``; ``cov_beta`` is
    :math:`(X^\\top V^{-1}X)^{-1}` and ``hessian`` the observed Hessian of the REML criterion
    in ``params`` (lower triangle of G, then sigma²). ``df`` is NaN where the variance
    parameters' covariance is not positive definite (a boundary fit).
    """

    beta: NDArray[np.float64]
    se: NDArray[np.float64]
    df: NDArray[np.float64]
    cov_beta: NDArray[np.float64]
    params: NDArray[np.float64]
    hessian: NDArray[np.float64]
    reml_criterion: float
    method: str = "Satterthwaite"


def satterthwaite(
    y: ArrayLike,
    exog: ArrayLike,
    groups: ArrayLike,
    *,
    cov_re: ArrayLike,
    scale: float,
    exog_re: ArrayLike | None = None,
) -> SatterthwaiteResult:
    r"""GLS fixed effects, their covariance and Satterthwaite df, given variance components.

    Parameters
    ----------
    y : array_like, shape (n_obs,)
        Outcome (no missing values).
    exog : array_like, shape (n_obs, p)
        Fixed-effects design with full column rank.
    groups : array_like, shape (n_obs,)
        Cluster labels.
    cov_re : array_like, shape (q, q)
        Covariance matrix :math:`G` of the random effects (REML estimate).
    scale : float
        Residual variance :math:`\sigma^2` (REML estimate).
    exog_re : array_like, shape (n_obs, q), optional
        Random-effects design; a random intercept (a column of ones) by default.

    Returns
    -------
    SatterthwaiteResult

    Notes
    -----
    See the module docstring for the formulas. At the REML estimates of the model
    ``Reaction ~ Days + (1 | Subject)`` of the ``sleepstudy`` data this gives the df that
    ``lmerTest`` prints (22.81 and 161.0), and 17.0 for ``(Days | Subject)``.

    References
    ----------
    .. [1] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
       components. *Biometrics Bulletin*, 2(6), 110-114.
    .. [2] Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package:
       Tests in linear mixed effects models. *Journal of Statistical Software*, 82(13), 1-26.
    """
    d = MixedDesign.from_long(y, exog, groups, exog_re)
    params = params_from_cov(cov_re, scale)
    pc = _pieces(d, params)
    blocks = d.derivative_blocks()
    h, waw = _hessian(d, pc, blocks)
    c = pc.cov_beta
    p = c.shape[0]
    # dC/dphi_k = C (W'A_kW) C; the gradient of c'Cc for c = e_j is its j-th diagonal.
    grads = np.array([np.diag(c @ x @ c) for x in waw])  # (m, p)
    df = np.full(p, np.nan)
    eig = np.linalg.eigvalsh(h)
    if np.all(eig > 1e-10 * max(float(np.max(np.abs(eig))), 1e-300)):
        acov = 2.0 * np.linalg.inv(h)
        var = np.diag(c)
        denom = np.einsum("kj,kl,lj->j", grads, acov, grads)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = 2.0 * var**2 / denom
    return SatterthwaiteResult(
        beta=pc.beta,
        se=np.sqrt(np.diag(c)),
        df=df,
        cov_beta=c,
        params=params,
        hessian=h,
        reml_criterion=pc.deviance,
    )
