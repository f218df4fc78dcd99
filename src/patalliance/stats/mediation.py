r"""Mediation: x → m → y with one or several parallel mediators, and bootstrap intervals.

Paths are unstandardized OLS coefficients on the complete cases of x, every mediator, y and
the covariates. The indirect effect of each mediator, :math:`a_j b_j`, gets a seeded
nonparametric bootstrap interval (percentile and BCa). The bootstrap fits are batched least
squares from weighted cross products, a block of resamples at a time: no Python loop over
resamples, and no array of resampled rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from patalliance.stats._resample import (
    block_rows,
    counts_bytes,
    one_blas_thread,
    resample_counts,
)
from patalliance.stats.tdist import t_two_sided_p
from patalliance.status import Note, Status

__all__ = [
    "IndirectEffect",
    "MediationResult",
    "PathEstimate",
    "mediation",
    "mediation_memory_bytes",
]

_JACK_ROWS = 2**14  # leave-one-out cross-product matrices per block


@dataclass(frozen=True)
class PathEstimate:
    """One path coefficient with its OLS standard error and t-test."""

    path: str  # "a", "b", "c", "c_prime"
    mediator: str  # "" for c and c_prime
    estimate: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class IndirectEffect:
    """A specific (one mediator) or total indirect effect with bootstrap intervals."""

    mediator: str  # a mediator's name, or "total"
    estimate: float
    boot_se: float
    percentile_ci_low: float
    percentile_ci_high: float
    bca_ci_low: float
    bca_ci_high: float
    n_boot_valid: int


@dataclass(frozen=True)
class MediationResult:
    """Everything one mediation model produced. ``status`` is ``ok`` or ``not_estimable``."""

    x: str
    m: tuple[str, ...]
    y: str
    covariates: tuple[str, ...]
    n: int
    n_boot: int
    confidence_level: float
    paths: tuple[PathEstimate, ...] = ()
    indirect: tuple[IndirectEffect, ...] = ()
    status: Status = Status.OK
    reason: str = ""
    warnings: tuple[Note, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per path coefficient, then one per indirect effect (``path = "indirect"``)."""
        rows: list[dict[str, Any]] = [asdict(p) for p in self.paths]
        for ind in self.indirect:
            rows.append(
                {
                    "path": "indirect",
                    "mediator": ind.mediator,
                    "estimate": ind.estimate,
                    "se": ind.boot_se,
                    "ci_low": ind.bca_ci_low,
                    "ci_high": ind.bca_ci_high,
                }
            )
        return pd.DataFrame(rows)


def _ols(design: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[Any, Any, int]:
    """Coefficients, their standard errors, residual df (y may have several columns)."""
    n, p = design.shape
    coef, _, _, _ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    df = n - p
    sigma2 = np.sum(resid**2, axis=0) / df
    diag = np.diag(np.linalg.inv(design.T @ design))
    se = np.sqrt(np.multiply.outer(diag, sigma2)) if y.ndim == 2 else np.sqrt(diag * sigma2)
    return coef, se, df


def _solve(
    xtx: NDArray[np.float64], xty: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Least squares from stacked normal equations (B, p, p) and (B, p, q); NaN where the
    design is singular (condition number of X'X at least 1e12), with that validity."""
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(xtx)
    valid = np.isfinite(cond) & (cond < 1e12)
    eye = np.broadcast_to(np.eye(xtx.shape[1]), xtx.shape)
    safe = np.where(valid[:, None, None], xtx, eye)
    coef: NDArray[np.float64] = np.linalg.solve(safe, xty).astype(np.float64, copy=False)
    coef[~valid] = np.nan
    return coef, valid


def _indirect_from_moments(s: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Specific indirect effects a_j·b_j from stacked cross-product matrices (B, q, q) of
    ``[1, x, m_1..m_k, c_1..c_kc, y]``: shape (B, k)."""
    q = s.shape[1]
    ia = np.r_[0, 1, 2 + k : q - 1]  # m ~ 1 + x + covariates
    iy = np.arange(q - 1)  # y ~ 1 + x + m + covariates
    im = np.arange(2, 2 + k)
    coef_a, _ = _solve(s[:, ia[:, None], ia], s[:, ia[:, None], im])
    coef_y, _ = _solve(s[:, iy[:, None], iy], s[:, iy, q - 1, None])
    return coef_a[:, 1, :] * coef_y[:, 2 : 2 + k, 0]


def _columns(
    xs: NDArray[np.float64],
    ms: NDArray[np.float64],
    ys: NDArray[np.float64],
    cs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``[1, x, m, c, y]`` with every variable centred at its mean: slopes are unchanged and
    the cross products are better conditioned than those of the raw scores."""
    z = np.column_stack([xs, ms, cs, ys])
    return np.column_stack([np.ones(xs.size), z - z.mean(axis=0)])


def _cross_products(
    counts: NDArray[np.float64], products: NDArray[np.float64], q: int
) -> NDArray[np.float64]:
    """Weighted cross products ``Z' diag(w_b) Z`` of every replicate (rows of ``counts``)
    from the products of the ``q`` columns of ``Z`` (upper triangle, row-major): (B, q, q)."""
    iu = np.triu_indices(q)
    upper = counts @ products
    s = np.empty((counts.shape[0], q, q))
    s[:, iu[0], iu[1]] = upper
    s[:, iu[1], iu[0]] = upper
    return s


def _bca(
    boot: NDArray[np.float64], est: float, jack: NDArray[np.float64], level: float
) -> tuple[float, float]:
    b = boot[np.isfinite(boot)]
    if b.size == 0 or not np.isfinite(est):
        return float("nan"), float("nan")
    prop = (np.sum(b < est) + 0.5 * np.sum(b == est)) / b.size
    z0 = special.ndtri(np.clip(prop, 1.0 / (2 * b.size), 1 - 1.0 / (2 * b.size)))
    j = jack[np.isfinite(jack)]
    dev = j.mean() - j
    denom = 6.0 * np.sum(dev**2) ** 1.5
    acc = float(np.sum(dev**3) / denom) if denom > 0 else 0.0
    zq = special.ndtri(np.array([0.5 - level / 2.0, 0.5 + level / 2.0]))
    probs = special.ndtr(z0 + (z0 + zq) / (1.0 - acc * (z0 + zq)))
    lo, hi = np.quantile(b, probs)
    return float(lo), float(hi)


def mediation(
    x: ArrayLike,
    m: ArrayLike,
    y: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    n_boot: int = 5000,
    confidence_level: float = 0.95,
    rng: np.random.Generator,
    names: tuple[str, tuple[str, ...], str, tuple[str, ...]] | None = None,
) -> MediationResult:
    r"""Mediation paths and bootstrap intervals of the indirect effects (complete cases).

    Parameters
    ----------
    x : array_like of float, shape (n_obs,)
        Predictor.
    m : array_like of float, shape (n_obs,) or (n_obs, k)
        One mediator, or several parallel mediators as columns.
    y : array_like of float, shape (n_obs,)
        Outcome.
    covariates : array_like of float, shape (n_obs, c), optional
        Covariates entered in every equation.
    n_boot : int, default 5000
        Bootstrap resamples.
    confidence_level : float, default 0.95
        Confidence level of all intervals.
    rng : numpy.random.Generator
        Source of randomness for the bootstrap.
    names : tuple, optional
        Labels ``(x, m, y, covariates)`` stored in the result.

    Returns
    -------
    MediationResult
        ``status = not_estimable`` with a ``reason`` when the complete cases are too few or
        a variable has no variance (e.g. a constant mediator).

    Notes
    -----
    With covariates :math:`C` in every equation (OLS, complete cases):

    .. math:: m_j = i_j + a_j x + C\gamma_j + e_j,\qquad
              y = i_y + c' x + \sum_j b_j m_j + C\delta + e,\qquad
              y = i + c x + C\eta + e.

    The specific indirect effect of mediator :math:`j` is :math:`a_j b_j` and the total
    indirect effect is :math:`\sum_j a_j b_j = c - c'` (Preacher & Hayes, 2008). Path SEs
    are the OLS ones, tested with t on the residual df. Each of the :math:`B` resamples draws
    :math:`n` rows with replacement and refits all equations (a resample with a singular
    design is left out). The rows are drawn in blocks of resamples, in order, as
    ``rng.integers(0, n, size=(rows, n))``, the same numbers as one call
    ``rng.integers(0, n, size=(B, n))``; a resample's normal equations come from the counts
    of its rows times the products of the (centred) columns, so time is linear in
    :math:`B n` and memory is bounded by a block. The percentile interval takes the
    :math:`\alpha/2` and :math:`1-\alpha/2` quantiles of the :math:`B'` valid estimates; the
    BCa interval (Efron, 1987) adjusts those levels by the bias
    :math:`\hat z_0 = \Phi^{-1}(\#\{\theta^* < \hat\theta\}/B')` and the jackknife
    acceleration :math:`\hat a = \sum (\bar\theta_{(\cdot)} - \theta_{(i)})^3 /
    \{6[\sum(\bar\theta_{(\cdot)} - \theta_{(i)})^2]^{3/2}\}`, whose leave-one-out fits
    :math:`\theta_{(i)}` come from the cross products of all cases less case :math:`i`'s own.

    References
    ----------
    .. [1] Baron, R. M., & Kenny, D. A. (1986). The moderator-mediator variable distinction in
       social psychological research. *Journal of Personality and Social Psychology*, 51(6),
       1173-1182.
    .. [2] Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for
       assessing and comparing indirect effects in multiple mediator models. *Behavior
       Research Methods*, 40(3), 879-891.
    .. [3] Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the American
       Statistical Association*, 82(397), 171-185.
    .. [4] Murphy, R., Kettner, H., Zeifman, R., Giribaldi, B., Kartner, L., Martell, J.,
       Read, T., Murphy-Beiner, A., Baker-Jones, M., Nutt, D., Erritzoe, D., Watts, R., &
       Carhart-Harris, R. (2022). Therapeutic alliance and rapport modulate responses to
       psilocybin assisted therapy for depression. *Frontiers in Pharmacology*, 12, 788155.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import mediation
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=40)
    >>> m = 0.5 * x + rng.normal(size=40)
    >>> y = 0.7 * m + rng.normal(size=40)
    >>> res = mediation(x, m, y, n_boot=500, rng=np.random.default_rng(1))
    >>> ind = res.indirect[0]
    >>> bool(ind.bca_ci_low <= ind.estimate <= ind.bca_ci_high)
    True
    """
    xv = np.asarray(x, dtype=np.float64)
    mv = np.asarray(m, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    mv = mv[:, None] if mv.ndim == 1 else mv
    n_obs = xv.size
    cv = (
        np.empty((n_obs, 0))
        if covariates is None
        else np.asarray(covariates, dtype=np.float64).reshape(n_obs, -1)
    )
    k, kc = mv.shape[1], cv.shape[1]
    xn, mn, yn, cn = names or (
        "x",
        tuple(f"m{j}" for j in range(k)),
        "y",
        tuple(f"c{j}" for j in range(kc)),
    )
    ok = ~(np.isnan(xv) | np.isnan(yv) | np.isnan(mv).any(1) | np.isnan(cv).any(1))
    n = int(ok.sum())
    level = float(confidence_level)
    base = MediationResult(xn, tuple(mn), yn, tuple(cn), n, int(n_boot), level)
    xs, ms, ys, cs = xv[ok], mv[ok], yv[ok], cv[ok]
    problem = _degenerate(xs, ms, ys, cs, (xn, tuple(mn), yn, tuple(cn)))
    if problem:
        return replace(base, status=Status.NOT_ESTIMABLE, reason=problem)
    paths, est = _paths(xs, ms, ys, cs, tuple(mn), level)
    indirect, warnings = _bootstrap_indirect(
        xs, ms, ys, cs, est, [*mn, "total"], int(n_boot), level, rng
    )
    return replace(
        base,
        paths=tuple(paths),
        indirect=tuple(indirect),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _degenerate(
    xs: NDArray[np.float64],
    ms: NDArray[np.float64],
    ys: NDArray[np.float64],
    cs: NDArray[np.float64],
    names: tuple[str, tuple[str, ...], str, tuple[str, ...]],
) -> str:
    """Why the complete cases cannot carry the model, or ``""``."""
    xn, mn, yn, cn = names
    n, k, kc = xs.size, ms.shape[1], cs.shape[1]
    p_y = 2 + k + kc
    if n < p_y + 2:
        return f"n = {n} complete cases; at least {p_y + 2} are needed for this model"
    for label, col in [
        (xn, xs),
        (yn, ys),
        *zip(mn, ms.T, strict=True),
        *zip(cn, cs.T, strict=True),
    ]:
        if np.ptp(col) == 0:
            return f"{label!r} has no variance over the {n} complete cases"
    ones = np.ones((n, 1))
    for label, d in (
        ("m ~ x", np.column_stack([ones, xs, cs])),
        ("y ~ x + m", np.column_stack([ones, xs, ms, cs])),
        ("y ~ x", np.column_stack([ones, xs, cs])),
    ):
        if np.linalg.matrix_rank(d) < d.shape[1]:
            return f"the design of {label} (with covariates) is collinear"
    return ""


def _path(name: str, med: str, est: float, se: float, df: int, level: float) -> PathEstimate:
    """A path coefficient with its t test (residual df) and t interval."""
    t = est / se if se > 0 else np.nan
    crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    p = t_two_sided_p(t, df) if np.isfinite(t) else np.nan
    return PathEstimate(
        name, med, float(est), float(se), float(t), float(df), p, est - crit * se, est + crit * se
    )


def _paths(
    xs: NDArray[np.float64],
    ms: NDArray[np.float64],
    ys: NDArray[np.float64],
    cs: NDArray[np.float64],
    mn: tuple[str, ...],
    level: float,
) -> tuple[list[PathEstimate], NDArray[np.float64]]:
    """The a, b, c and c' paths (OLS), and the specific indirect effects a_j b_j."""
    n, k = xs.size, ms.shape[1]
    ones = np.ones((n, 1))
    coef_a, se_a, df_a = _ols(np.column_stack([ones, xs, cs]), ms)
    coef_y, se_y, df_y = _ols(np.column_stack([ones, xs, ms, cs]), ys)
    coef_c, se_c, df_c = _ols(np.column_stack([ones, xs, cs]), ys)
    paths = [_path("a", mn[j], coef_a[1, j], se_a[1, j], df_a, level) for j in range(k)]
    paths += [_path("b", mn[j], coef_y[2 + j], se_y[2 + j], df_y, level) for j in range(k)]
    paths.append(_path("c", "", coef_c[1], se_c[1], df_c, level))
    paths.append(_path("c_prime", "", coef_y[1], se_y[1], df_y, level))
    return paths, coef_a[1, :] * coef_y[2 : 2 + k]


def mediation_memory_bytes(n_obs: int, n_mediators: int, n_covariates: int, n_boot: int) -> int:
    """Bytes that :func:`mediation` holds at its peak, estimated (an upper bound within a small
    factor): the data and their column products (``n_obs × q²``, ``q = 3 + mediators +
    covariates``), one block of resampling counts (:data:`~patalliance.stats._resample.
    BLOCK_ELEMENTS`) or of leave-one-out cross-product matrices, and the replicates
    (``n_boot × (mediators + 1)``). Nothing grows with ``n_boot × n_obs``."""
    q = 3 + n_mediators + n_covariates
    rows = block_rows(n_obs, n_boot)
    data = 8 * n_obs * (6 * q + q * (q + 1) // 2)
    block = max(
        counts_bytes(n_obs, rows) + 8 * 3 * rows * q * q, 8 * 8 * min(n_obs, _JACK_ROWS) * q * q
    )
    return data + block + 8 * 4 * n_boot * (n_mediators + 2) + 8 * 2 * n_obs * (n_mediators + 2)


def _jackknife(z: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Indirect effects with each case left out (n, k): the cross products of all cases less
    each case's own, ``Z'Z - z_i z_i'``, in blocks of cases."""
    full = z.T @ z
    out = np.empty((z.shape[0], k))
    for start in range(0, z.shape[0], _JACK_ROWS):
        zi = z[start : start + _JACK_ROWS]
        out[start : start + zi.shape[0]] = _indirect_from_moments(
            full - zi[:, :, None] * zi[:, None, :], k
        )
    return out


def _bootstrap_indirect(
    xs: NDArray[np.float64],
    ms: NDArray[np.float64],
    ys: NDArray[np.float64],
    cs: NDArray[np.float64],
    est: NDArray[np.float64],
    labels: list[str],
    n_boot: int,
    level: float,
    rng: np.random.Generator,
) -> tuple[list[IndirectEffect], list[Note]]:
    """Percentile and BCa intervals of each specific indirect effect and of their total."""
    n, k = xs.size, ms.shape[1]
    z = _columns(xs, ms, ys, cs)
    q = z.shape[1]
    iu = np.triu_indices(q)
    products = z[:, iu[0]] * z[:, iu[1]]
    boot = np.empty((n_boot, k))
    with one_blas_thread():
        for reps, counts in resample_counts(rng, n, n_boot, block_rows(n, n_boot)):
            boot[reps] = _indirect_from_moments(_cross_products(counts, products, q), k)
        del products
        jack = _jackknife(z, k)
    boot = np.column_stack([boot, boot.sum(axis=1)])
    jack = np.column_stack([jack, jack.sum(axis=1)])
    estimates = np.append(est, est.sum())
    indirect = []
    warnings: list[Note] = []
    for j, label in enumerate(labels):
        col = boot[:, j]
        good = col[np.isfinite(col)]
        if good.size < n_boot:
            warnings.append(
                Note(
                    "bootstrap_singular",
                    f"{n_boot - good.size} of {n_boot} bootstrap resamples had a singular "
                    f"design and were left out ({label}).",
                )
            )
        if good.size:
            lo, hi = np.quantile(good, [0.5 - level / 2.0, 0.5 + level / 2.0])
        else:
            lo = hi = float("nan")
            warnings.append(
                Note("bootstrap_failed", f"No bootstrap resample could be fitted ({label}).")
            )
        blo, bhi = _bca(col, float(estimates[j]), jack[:, j], level)
        indirect.append(
            IndirectEffect(
                mediator=label,
                estimate=float(estimates[j]),
                boot_se=float(np.std(good, ddof=1)),
                percentile_ci_low=float(lo),
                percentile_ci_high=float(hi),
                bca_ci_low=blo,
                bca_ci_high=bhi,
                n_boot_valid=int(good.size),
            )
        )
    return indirect, warnings
