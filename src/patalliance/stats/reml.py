r"""Exact REML for linear mixed models with one grouping factor and correlated random effects.

The model is :math:`y_i = X_i\beta + Z_i b_i + \varepsilon_i` for each group :math:`i`, with
:math:`b_i \sim N(0, G)`, :math:`G = \sigma^2\Lambda\Lambda^\top` (:math:`\Lambda` lower
triangular: the relative Cholesky factor of :math:`G`) and :math:`\varepsilon_i \sim N(0,
\sigma^2 I)` (Laird & Ware, 1982). As in lme4 (Bates et al., 2015), the REML criterion is
profiled over :math:`\beta` and :math:`\sigma^2`, which leaves a function of the
:math:`q(q+1)/2` elements of :math:`\Lambda`; with :math:`M_i = \Lambda^\top Z_i^\top Z_i
\Lambda + I`,

.. math:: d(\Lambda) = \sum_i \log|M_i| + \log|X^\top \tilde V^{-1} X|
          + (N-p)\Big[1 + \log\frac{2\pi r^2}{N-p}\Big],

where :math:`\tilde V_i^{-1} = I - Z_i\Lambda M_i^{-1}\Lambda^\top Z_i^\top` (Woodbury),
:math:`r^2 = y^\top\tilde V^{-1}y - \hat\beta^\top X^\top\tilde V^{-1}y` and
:math:`\hat\beta = (X^\top\tilde V^{-1}X)^{-1}X^\top\tilde V^{-1}y`. Every term depends on the
data only through :math:`Z_i^\top Z_i` and :math:`W_i = Z_i^\top[X_i\;y_i]`, so groups with
the same :math:`Z_i^\top Z_i` (the same observed times) are pooled once: one evaluation costs
:math:`O(C\,q^2(p+1)^2)` for :math:`C` distinct :math:`Z_i^\top Z_i` (at most the number of
groups), after :math:`O(N q^2 (p+1)^2)` sums computed once; the pooled sums hold
:math:`C q^2 (p+1)^2` numbers. The gradient is analytic.

The columns of :math:`Z` are first rescaled to unit root mean square (:math:`Z W`, with
:math:`W` from a QR factorization), which changes :math:`\Lambda` but not the model, so the
optimizer works on parameters of order one; :math:`G` is mapped back at the end. The criterion
depends on :math:`\Lambda` only through :math:`\Lambda\Lambda^\top`, so it is minimized
without bounds (a column of :math:`\Lambda` and its negative give the same :math:`G`; the
columns are signed at the end so that the diagonal is not negative). Bounds at zero, as in
lme4, would make a zero diagonal element a stationary point where a bounded optimizer can stop
short of the optimum. The minimizer is L-BFGS from lme4's start :math:`\Lambda = I`, polished
by Newton steps on a finite-difference Hessian of the analytic gradient; the fit has converged
when a Newton step on a positive definite Hessian moves no element of :math:`\Lambda` by more
than ``1e-7``. When it has not, the search is repeated from :math:`0.2I`, then :math:`5I`, and
the best converged search is kept. A boundary fit (a singular :math:`G`) is found as
:math:`\Lambda` with a zero column.

References
----------
.. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
   *Biometrics*, 38(4), 963-974.
.. [2] Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
   models using lme4. *Journal of Statistical Software*, 67(1), 1-48.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse

from patalliance.stats.mixed import group_sums

__all__ = ["RandomEffectsFit", "reml_random_effects"]

METHOD = "REML (exact profiled deviance, L-BFGS)"
_STEP_TOL = 1e-7
_NEWTON_STEPS = 20
_STARTS = (1.0, 0.2, 5.0)


@dataclass(frozen=True)
class RandomEffectsFit:
    """An exact REML fit of :math:`y_i = X_i\\beta + Z_i b_i + \\varepsilon_i`.

    ``cov_re`` is :math:`\\hat G` (q × q), ``scale`` :math:`\\hat\\sigma^2`, ``beta`` the
    generalized least-squares fixed effects at those variance components, ``theta`` the
    relative Cholesky factor :math:`\\hat\\Lambda` of :math:`\\hat G/\\hat\\sigma^2` column by
    column (lme4's ``theta``), ``reml_criterion`` lme4's ``REMLcrit``. ``converged`` is false
    when the optimizer stopped away from an optimum (module docstring).
    """

    beta: NDArray[np.float64]
    cov_re: NDArray[np.float64]
    scale: float
    theta: NDArray[np.float64]
    reml_criterion: float
    converged: bool
    n_obs: int
    n_groups: int
    method: str = METHOD


def _lower_index(q: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Rows and columns of the lower triangle column by column (lme4's order of ``theta``)."""
    rows = [i for j in range(q) for i in range(j, q)]
    cols = [j for j in range(q) for _ in range(j, q)]
    return np.array(rows), np.array(cols)


class _Profile:
    """The pooled sums of one data set and its profiled REML criterion with its gradient."""

    def __init__(self, xy: NDArray[np.float64], z: NDArray[np.float64], codes: NDArray[np.intp]):
        n_obs, m = xy.shape
        q = z.shape[1]
        g = int(codes.max()) + 1
        self.n_obs, self.p, self.q = n_obs, m - 1, q
        self.q0 = xy.T @ xy
        ztz = group_sums(np.einsum("na,nb->nab", z, z).reshape(n_obs, q * q), codes, g)
        zw = group_sums(np.einsum("na,ni->nai", z, xy).reshape(n_obs, q * m), codes, g)
        classes, cls, count = np.unique(ztz, axis=0, return_inverse=True, return_counts=True)
        self.ztz = classes.reshape(-1, q, q)
        self.count = count.astype(np.float64)
        pool = sparse.csc_matrix(
            (np.ones(g), (cls.ravel(), np.arange(g))), shape=(classes.shape[0], g)
        )
        t = np.zeros((classes.shape[0], (q * m) ** 2))
        for lo in range(0, g, 8192):  # the per-group outer products, a block at a time
            block = zw[lo : lo + 8192]
            outer = np.einsum("gi,gj->gij", block, block).reshape(block.shape[0], -1)
            t += pool[:, lo : lo + 8192] @ outer
        # t[c, a, b] = sum over the class's groups of W_i[a]' W_i[b], each (m, m)
        self.t = t.reshape(-1, q, m, q, m).transpose(0, 1, 3, 2, 4)
        self.rows, self.cols = _lower_index(q)
        self.n_theta = self.rows.size

    def lam(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((self.q, self.q))
        out[self.rows, self.cols] = theta
        return out

    def parts(self, theta: NDArray[np.float64]) -> dict[str, NDArray[np.float64]] | None:
        """Λ, M⁻¹, Λ M⁻¹, log|M_c|, the GLS pieces and the criterion; None where undefined."""
        lam = self.lam(theta)
        sl = self.ztz @ lam
        mm = np.einsum("ba,cbd->cad", lam, sl) + np.eye(self.q)
        minv = np.linalg.inv(mm)
        logdet_m = np.linalg.slogdet(mm)[1]
        lmi = lam @ minv
        k = lmi @ lam.T
        quad = self.q0 - np.einsum("cab,cabij->ij", k, self.t)
        p = self.p
        a, b = quad[:p, :p], quad[:p, p]
        sign, logdet_a = np.linalg.slogdet(a)
        if sign <= 0:
            return None
        beta = np.linalg.solve(a, b)
        r2 = float(quad[p, p] - b @ beta)
        if not r2 > 0.0:
            return None
        dof = self.n_obs - p
        crit = self.count @ logdet_m + logdet_a + dof * (1.0 + np.log(2.0 * np.pi * r2 / dof))
        return {
            "lam": lam, "sl": sl, "minv": minv, "lmi": lmi, "a": a, "beta": beta,
            "r2": np.array(r2), "crit": np.array(crit),
        }  # fmt: skip

    def value_and_gradient(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """The criterion and its analytic gradient (module docstring)."""
        pc = self.parts(theta)
        if pc is None:
            return float("inf"), np.zeros(self.n_theta)
        p = self.p
        v = np.append(-pc["beta"], 1.0)
        # derivative of log|A| + (N - p) log r^2 with respect to each class's K = Λ M⁻¹ Λ'
        dk = -np.einsum("ij,cabij->cab", np.linalg.inv(pc["a"]), self.t[..., :p, :p])
        dk -= (self.n_obs - p) / pc["r2"] * np.einsum("i,cabij,j->cab", v, self.t, v)
        grad = np.empty(self.n_theta)
        for j in range(self.n_theta):
            e = np.zeros((self.q, self.q))
            e[self.rows[j], self.cols[j]] = 1.0
            esl = np.einsum("ba,cbd->cad", e, pc["sl"])
            dm = esl + esl.transpose(0, 2, 1)
            dlogdet = np.einsum("cab,cba->c", pc["minv"], dm)
            emi = e @ pc["minv"]
            dkk = emi @ pc["lam"].T
            dkk = dkk + dkk.transpose(0, 2, 1) - pc["lmi"] @ dm @ pc["lmi"].transpose(0, 2, 1)
            grad[j] = self.count @ dlogdet + np.einsum("cab,cab->", dk, dkk)
        return float(pc["crit"]), grad


def _hessian(prof: _Profile, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Central differences of the analytic gradient, symmetrized."""
    k = theta.size
    h = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        h[:, j] = (prof.value_and_gradient(up)[1] - prof.value_and_gradient(down)[1]) / (2 * step)
    return 0.5 * (h + h.T)


def _polish(prof: _Profile, theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], bool]:
    """Newton steps from ``theta``; whether they settled (a step below ``_STEP_TOL`` on a
    positive definite Hessian)."""
    value, grad = prof.value_and_gradient(theta)
    for _ in range(_NEWTON_STEPS):
        hess = _hessian(prof, theta)
        if not (np.isfinite(hess).all() and np.all(np.linalg.eigvalsh(hess) > 0.0)):
            return theta, False
        step = -np.linalg.solve(hess, grad)
        for _halve in range(30):
            trial = theta + step
            new_value, new_grad = prof.value_and_gradient(trial)
            if new_value <= value + 1e-12 * max(1.0, abs(value)):
                break
            step /= 2.0
        else:
            return theta, False
        moved = float(np.max(np.abs(trial - theta)))
        theta, value, grad = trial, new_value, new_grad
        if moved <= _STEP_TOL:
            return theta, True
    return theta, False


def _search(prof: _Profile, start: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, bool]:
    """L-BFGS from ``start``, then Newton: (theta, criterion, converged)."""
    res = optimize.minimize(
        prof.value_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
    )
    theta, settled = _polish(prof, np.asarray(res.x, dtype=np.float64))
    value = prof.value_and_gradient(theta)[0]
    return theta, value, settled and bool(np.isfinite(value))


def _optimum(prof: _Profile) -> tuple[NDArray[np.float64], bool]:
    """The best of the searches from Λ = I (lme4's start), then 0.2 I and 5 I while none has
    converged; the columns of Λ signed so that its diagonal is not negative."""
    eye = np.where(prof.rows == prof.cols, 1.0, 0.0)
    best = _search(prof, _STARTS[0] * eye)
    for scale in _STARTS[1:]:
        if best[2]:
            break
        found = _search(prof, scale * eye)
        if (found[2], -found[1]) > (best[2], -best[1]):
            best = found
    lam = prof.lam(best[0])
    lam = lam * np.where(np.diag(lam) < 0.0, -1.0, 1.0)[None, :]  # ΛΛ' is unchanged
    return lam[prof.rows, prof.cols], best[2]


def reml_random_effects(
    y: ArrayLike, exog: ArrayLike, exog_re: ArrayLike, groups: ArrayLike
) -> RandomEffectsFit:
    r"""Fit :math:`y_i = X_i\beta + Z_i b_i + \varepsilon_i` by exact REML.

    Parameters
    ----------
    y : array_like, shape (n_obs,)
        Outcome (finite).
    exog : array_like, shape (n_obs, p)
        Fixed-effects design :math:`X` with full column rank.
    exog_re : array_like, shape (n_obs, q)
        Random-effects design :math:`Z` with full column rank (e.g. an intercept and time).
    groups : array_like, shape (n_obs,)
        Group of each observation (participant).

    Returns
    -------
    RandomEffectsFit
        :math:`\hat G` unstructured, :math:`\hat\sigma^2`, :math:`\hat\beta`, the REML
        criterion and whether the optimizer converged.

    Raises
    ------
    ValueError
        For mismatched shapes or non-finite values.

    Notes
    -----
    The criterion, its pooling of groups and the optimizer are described in the module
    docstring. On the ``sleepstudy`` data, ``Reaction ~ Days + (Days | Subject)`` gives lme4's
    REML criterion 1743.6 and variance components 612.09, 35.07 (correlation 0.07) and 654.94
    (lme4 prints 612.09 or 612.10 for the first, by version: its optimizers stop within about
    0.01 of the optimum along that flat direction).

    References
    ----------
    .. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
       *Biometrics*, 38(4), 963-974.
    .. [2] Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
       mixed-effects models using lme4. *Journal of Statistical Software*, 67(1), 1-48.
    """
    yv, xv, zv, codes = _inputs(y, exog, exog_re, groups)
    # REML is unchanged by y -> y - Xb: fit the OLS residuals for accuracy, add b back.
    b0 = np.linalg.lstsq(xv, yv, rcond=None)[0]
    resid = yv - xv @ b0
    # Z -> Z W with unit root-mean-square columns: the same model, better-scaled parameters.
    r = np.asarray(np.linalg.qr(zv / np.sqrt(yv.size), mode="r"), dtype=np.float64)
    sign = np.where(np.diag(r) < 0, -1.0, 1.0)
    w = np.linalg.inv(r * sign[:, None])
    prof = _Profile(np.column_stack([xv, resid]), zv @ w, codes)
    theta, converged = _optimum(prof)
    pc = prof.parts(theta)
    if pc is None:
        nan = np.full((prof.q, prof.q), np.nan)
        return RandomEffectsFit(
            np.full(prof.p, np.nan), nan, float("nan"), np.full(prof.n_theta, np.nan),
            float("nan"), False, yv.size, int(codes.max()) + 1,
        )  # fmt: skip
    scale = float(pc["r2"]) / (yv.size - prof.p)
    rel = w @ pc["lam"]  # Λ in the original Z: Z b = (Z W)(W⁻¹ b)
    cov_re = scale * (rel @ rel.T)
    # lme4's theta: the lower-triangular factor L with L L' = rel rel' (an LQ factorization)
    lq = np.asarray(np.linalg.qr(rel.T, mode="r"), dtype=np.float64).T
    lq = lq * np.where(np.diag(lq) < 0, -1.0, 1.0)[None, :]
    return RandomEffectsFit(
        beta=pc["beta"] + b0,
        cov_re=cov_re,
        scale=scale,
        theta=lq[prof.rows, prof.cols],
        reml_criterion=float(pc["crit"]),
        converged=converged,
        n_obs=int(yv.size),
        n_groups=int(codes.max()) + 1,
    )


def _inputs(
    y: ArrayLike, exog: ArrayLike, exog_re: ArrayLike, groups: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    func = "reml_random_effects"
    yv = np.asarray(y, dtype=np.float64)
    xv = np.asarray(exog, dtype=np.float64)
    zv = np.asarray(exog_re, dtype=np.float64)
    zv = zv[:, None] if zv.ndim == 1 else zv
    n = yv.size
    problems = []
    if yv.ndim != 1 or not np.isfinite(yv).all():
        problems.append(f"The 'y' parameter of {func} must be a finite 1-D array.")
    for name, arr in (("exog", xv), ("exog_re", zv)):
        if arr.ndim != 2 or arr.shape[0] != n or not np.isfinite(arr).all():
            problems.append(
                f"The '{name}' parameter of {func} must be a finite 2-D array with {n} rows. "
                f"Got shape {arr.shape} instead."
            )
    gg = np.asarray(groups)
    if gg.shape != (n,):
        problems.append(
            f"The 'groups' parameter of {func} must have one label per observation, shape "
            f"({n},). Got shape {gg.shape} instead."
        )
    if problems:
        raise ValueError(" ".join(problems))
    codes = pd.factorize(pd.Series(np.asarray(gg, dtype=object)))[0].astype(np.intp)
    return yv, xv, zv, codes
