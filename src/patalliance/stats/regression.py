r"""Ordinary least squares with classical or HC3 standard errors, standardized β and VIFs.

One function, :func:`ols`, fits :math:`y = X b + e` on the complete cases of the outcome and
every predictor (listwise deletion, counted in the result) and reports, for every term, the
estimate, its standard error, t, df, two-sided p, the confidence interval, the standardized
coefficient β and the variance inflation factor; and for the model R², adjusted R² and the
F test that every slope is zero.

References
----------
.. [1] Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors
   in the linear regression model. *The American Statistician*, 54(3), 217-224.
.. [2] MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance
   matrix estimators with improved finite sample properties. *Journal of Econometrics*,
   29(3), 305-325.
.. [3] Hayes, A. F., & Cai, L. (2007). Using heteroskedasticity-consistent standard error
   estimators in OLS regression: An introduction and software implementation. *Behavior
   Research Methods*, 39(4), 709-722.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from patalliance.stats._checks import as_matrix, as_vector, check_choice, check_confidence_level
from patalliance.stats._resample import block_rows, one_blas_thread, resample_counts
from patalliance.stats.tdist import t_two_sided_p
from patalliance.status import Note, Status

__all__ = [
    "HC3_BELOW_N",
    "BootstrapCoefficients",
    "Coefficient",
    "OLSResult",
    "SEType",
    "bootstrap_coefficients",
    "ols",
    "resolve_se_type",
]

SEType = Literal["auto", "hc3", "classical"]
_SE_TYPES = ("auto", "hc3", "classical")

#: With ``se_type="auto"``, models fitted on fewer complete cases than this use HC3.
HC3_BELOW_N = 50


def resolve_se_type(se_type: str, n: int) -> str:
    """``"hc3"`` or ``"classical"``: ``"auto"`` is HC3 when ``n`` < :data:`HC3_BELOW_N`.

    Long and Ervin (2000) found the classical standard errors unreliable under
    heteroscedasticity and HC3 the best of the HC estimators below about 250 cases; at the
    sample sizes of a psilocybin trial (n < 50) HC3 is the safer default.
    """
    if se_type == "auto":
        return "hc3" if n < HC3_BELOW_N else "classical"
    return se_type


@dataclass(frozen=True)
class Coefficient:
    """One term of a fitted model (``term`` is ``"intercept"`` or a predictor's name).

    ``beta`` is the standardized coefficient and ``vif`` the variance inflation factor; both
    are NaN for the intercept.
    """

    term: str
    estimate: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    beta: float
    vif: float


@dataclass(frozen=True)
class OLSResult:
    """An OLS fit: the model summary and one :class:`Coefficient` per term.

    Attributes
    ----------
    outcome : str
        The outcome's name.
    predictors : tuple of str
        The predictors' names, in the order of the design columns.
    n : int
        Complete cases analysed.
    n_excluded : int
        Rows left out because the outcome or a predictor was missing.
    se_type : str
        ``"hc3"`` or ``"classical"`` (the option ``"auto"`` resolved at ``n``).
    confidence_level : float
        Level of every interval.
    r2, adj_r2 : float
        :math:`R^2` and adjusted :math:`R^2`.
    f, f_df1, f_df2, f_p : float
        The test that every slope is zero (a Wald F with the model's covariance matrix; with
        classical standard errors it is the usual ANOVA F).
    coefficients : tuple of Coefficient
        The intercept, then one per predictor.
    covariance : tuple of tuple of float
        The covariance matrix of the estimates used for the standard errors.
    status, reason, notes
        ``ok`` or ``not_estimable`` with the reason.
    """

    outcome: str
    predictors: tuple[str, ...]
    n: int
    n_excluded: int
    se_type: str
    confidence_level: float
    r2: float
    adj_r2: float
    f: float
    f_df1: float
    f_df2: float
    f_p: float
    coefficients: tuple[Coefficient, ...] = ()
    covariance: tuple[tuple[float, ...], ...] = field(default=(), repr=False)
    status: Status = Status.OK
    reason: str = ""
    notes: tuple[Note, ...] = ()

    def coefficient(self, term: str) -> Coefficient:
        """The coefficient of ``term`` (KeyError naming the terms when absent)."""
        for c in self.coefficients:
            if c.term == term:
                return c
        raise KeyError(f"no term {term!r}; terms: {', '.join(c.term for c in self.coefficients)}")

    def to_frame(self) -> pd.DataFrame:
        """One row per term, with the ``results.json`` field names of a coefficient."""
        return pd.DataFrame(
            [asdict(c) for c in self.coefficients] or None,
            columns=list(Coefficient.__dataclass_fields__),
        )


def _covariance(
    design: NDArray[np.float64], resid: NDArray[np.float64], xtx_inv: NDArray[np.float64], se: str
) -> tuple[NDArray[np.float64], bool]:
    """The covariance of the estimates; False when HC3 is undefined (a leverage of 1)."""
    n, p = design.shape
    if se == "classical":
        return xtx_inv * float(resid @ resid) / (n - p), True
    lev = np.einsum("ij,jk,ik->i", design, xtx_inv, design)
    if np.any(lev > 1.0 - 1e-10):
        return np.full((p, p), np.nan), False
    omega = (resid / (1.0 - lev)) ** 2
    meat = design.T @ (design * omega[:, None])
    return xtx_inv @ meat @ xtx_inv, True


def _vifs(predictors: NDArray[np.float64]) -> NDArray[np.float64]:
    """VIF of each column: the diagonal of the inverse correlation matrix."""
    k = predictors.shape[1]
    if k == 1:
        return np.ones(1)
    corr = np.corrcoef(predictors, rowvar=False)
    try:
        return np.diag(np.linalg.inv(corr)).astype(float)
    except np.linalg.LinAlgError:
        return np.full(k, np.inf)


def _failed(
    outcome: str, names: tuple[str, ...], n: int, n_excl: int, se: str, level: float, why: str
) -> OLSResult:
    nan = float("nan")
    return OLSResult(
        outcome, names, n, n_excl, se, level, nan, nan, nan, nan, nan, nan,
        status=Status.NOT_ESTIMABLE, reason=why,
    )  # fmt: skip


def ols(
    y: ArrayLike,
    x: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    outcome: str = "y",
    se_type: SEType = "auto",
    confidence_level: float = 0.95,
) -> OLSResult:
    r"""Ordinary least squares of ``y`` on the columns of ``x`` plus an intercept.

    Parameters
    ----------
    y : array_like of float, shape (n_obs,)
        The outcome; NaN is missing.
    x : array_like of float, shape (n_obs, k)
        The predictors (already dummy-coded); NaN is missing. An intercept is added.
    names : sequence of str, optional
        The predictors' names (default: the DataFrame's columns, or ``x0``, ``x1``, ...).
    outcome : str
        The outcome's name, echoed in the result.
    se_type : {"auto", "hc3", "classical"}
        Standard errors: classical OLS, or HC3 (MacKinnon & White 1985). ``"auto"`` uses HC3
        below :data:`HC3_BELOW_N` complete cases and classical otherwise.
    confidence_level : float
        Level of the intervals (t quantiles on the residual df).

    Returns
    -------
    OLSResult
        ``status`` is ``not_estimable`` (numbers NaN, ``reason`` says why) when fewer complete
        cases than terms + 1 remain, the outcome is constant, the predictors are collinear, or
        HC3 is undefined because one case has leverage 1.

    Raises
    ------
    ValueError
        When ``x`` and ``y`` differ in length, an argument is not one of its allowed values,
        or ``names`` does not name every column.

    Notes
    -----
    With design :math:`X` (n × p, intercept included), :math:`\hat b = (X'X)^{-1}X'y` and
    residuals :math:`e`. The classical covariance is :math:`\hat\sigma^2 (X'X)^{-1}` with
    :math:`\hat\sigma^2 = e'e/(n-p)`; HC3 is

    .. math:: (X'X)^{-1} X' \operatorname{diag}\!\left(\frac{e_i^2}{(1-h_{ii})^2}\right) X
              (X'X)^{-1},

    with leverages :math:`h_{ii}` (Long & Ervin 2000). Every t test and interval uses
    :math:`n - p` df. :math:`R^2 = 1 - e'e / \sum (y_i-\bar y)^2`, adjusted
    :math:`1 - (1-R^2)(n-1)/(n-p)`. The F test of the :math:`k = p-1` slopes :math:`b_s` is
    the Wald form :math:`F = b_s' V_s^{-1} b_s / k` on (k, n − p) df, with :math:`V_s` their
    block of the covariance matrix; with classical errors this equals
    :math:`(R^2/k)/((1-R^2)/(n-p))`. The standardized coefficient is
    :math:`\beta_j = b_j s_{x_j}/s_y`, and :math:`\mathrm{VIF}_j = 1/(1-R^2_j)`, the
    diagonal of the inverse correlation matrix of the predictors.

    Examples
    --------
    >>> fit = ols([1.0, 3.0, 2.0, 5.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0], se_type="classical")
    >>> print(f"{fit.coefficient('x0').estimate:.2f} {fit.r2:.2f}")
    0.80 0.64
    """
    func = "ols"
    yv = as_vector(y, "y", func)
    xm, labels = as_matrix(x, "x", func)
    if xm.shape[0] != yv.shape[0]:
        raise ValueError(
            f"The 'x' parameter of {func} must have one row per value of 'y' ({yv.shape[0]}). "
            f"Got {xm.shape[0]} rows instead."
        )
    check_choice(se_type, "se_type", func, _SE_TYPES)
    level = check_confidence_level(confidence_level, func)
    names_t = tuple(names) if names is not None else tuple(labels)
    if len(names_t) != xm.shape[1]:
        raise ValueError(
            f"The 'names' parameter of {func} must name each of the {xm.shape[1]} columns of "
            f"'x'. Got {len(names_t)} names instead."
        )
    keep = np.isfinite(yv) & np.all(np.isfinite(xm), axis=1)
    n, n_excl = int(keep.sum()), int((~keep).sum())
    se = resolve_se_type(se_type, n)
    yk, xk = yv[keep], xm[keep]
    p = xk.shape[1] + 1

    def fail(why: str) -> OLSResult:
        return _failed(outcome, names_t, n, n_excl, se, level, why)

    if n <= p:
        return fail(f"{n} complete cases for {p} coefficients; at least {p + 1} are needed")
    if np.ptp(yk) == 0:
        return fail(f"{outcome} is constant in the complete cases")
    design = np.column_stack([np.ones(n), xk])
    if np.linalg.matrix_rank(design) < p:
        return fail("the predictors are collinear (or one is constant) in the complete cases")
    xtx_inv = np.linalg.inv(design.T @ design)
    coef = xtx_inv @ design.T @ yk
    resid = yk - design @ coef
    if float(resid @ resid) <= 1e-24 * float(np.sum((yk - yk.mean()) ** 2)):
        return fail("the predictors fit the outcome exactly (no residual variance)")
    cov, ok = _covariance(design, resid, xtx_inv, se)
    if not ok:
        return fail(
            "a case has leverage 1, so HC3 standard errors are undefined; set se = "
            '"classical" or add cases'
        )
    return _summarize(outcome, names_t, n, n_excl, se, level, yk, xk, coef, resid, cov)


def _summarize(
    outcome: str,
    names: tuple[str, ...],
    n: int,
    n_excl: int,
    se: str,
    level: float,
    yk: NDArray[np.float64],
    xk: NDArray[np.float64],
    coef: NDArray[np.float64],
    resid: NDArray[np.float64],
    cov: NDArray[np.float64],
) -> OLSResult:
    p = coef.size
    df = float(n - p)
    ses = np.sqrt(np.diag(cov))
    t = coef / ses
    pv = np.asarray(t_two_sided_p(t, df), dtype=float)
    crit = float(special.stdtrit(df, 0.5 + level / 2.0))
    sst = float(np.sum((yk - yk.mean()) ** 2))
    r2 = 1.0 - float(resid @ resid) / sst
    adj = 1.0 - (1.0 - r2) * (n - 1) / df
    k = p - 1
    slopes = coef[1:]
    f = float(slopes @ np.linalg.solve(cov[1:, 1:], slopes)) / k
    f_p = float(special.fdtrc(k, df, f))
    sd_y = float(np.std(yk, ddof=1))
    beta = np.concatenate([[np.nan], slopes * np.std(xk, axis=0, ddof=1) / sd_y])
    vif = np.concatenate([[np.nan], _vifs(xk)])
    terms = ("intercept", *names)
    coefficients = tuple(
        Coefficient(
            terms[j], float(coef[j]), float(ses[j]), float(t[j]), df, float(pv[j]),
            float(coef[j] - crit * ses[j]), float(coef[j] + crit * ses[j]),
            float(beta[j]), float(vif[j]),
        )
        for j in range(p)
    )  # fmt: skip
    covariance = tuple(tuple(float(v) for v in row) for row in cov)
    return OLSResult(
        outcome, names, n, n_excl, se, level, r2, adj, f, float(k), df, f_p,
        coefficients, covariance,
    )  # fmt: skip


@dataclass(frozen=True)
class BootstrapCoefficients:
    """Percentile bootstrap intervals of every coefficient of an OLS fit.

    ``terms`` are ``intercept`` and the predictors; ``ci_low``/``ci_high`` are in that order
    (NaN when no replicate was valid). ``n_boot_valid`` counts the replicates whose resampled
    design had full rank; the others are left out.
    """

    terms: tuple[str, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    n_boot: int
    n_boot_valid: int
    confidence_level: float
    method: str = "percentile"


def _bootstrap_fits(
    design: NDArray[np.float64], y: NDArray[np.float64], n_boot: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """OLS coefficients of every resample (n_boot, p) and whether its design is regular.

    A resample's normal equations are its counts of each case times the products of the
    columns of ``[X, y]``: one matrix product per block of resamples, drawn block by block
    (:mod:`patalliance.stats._resample`), in memory bounded by a block.
    """
    n, p = design.shape
    z = np.column_stack([design, y])
    iu = np.triu_indices(p + 1)
    products = z[:, iu[0]] * z[:, iu[1]]
    coef = np.empty((n_boot, p))
    valid = np.empty(n_boot, dtype=bool)
    with one_blas_thread():
        for reps, counts in resample_counts(rng, n, n_boot, block_rows(n, n_boot)):
            s = np.empty((counts.shape[0], p + 1, p + 1))
            s[:, iu[0], iu[1]] = s[:, iu[1], iu[0]] = counts @ products
            xtx, xty = s[:, :p, :p], s[:, :p, p]
            with np.errstate(all="ignore"):
                cond = np.linalg.cond(xtx)
            ok = np.isfinite(cond) & (cond < 1e12)
            eye = np.broadcast_to(np.eye(p), xtx.shape)
            fit = np.linalg.solve(np.where(ok[:, None, None], xtx, eye), xty[..., None])[..., 0]
            coef[reps], valid[reps] = fit, ok
    return coef, valid


def bootstrap_coefficients(
    y: ArrayLike,
    x: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    n_boot: int,
    confidence_level: float = 0.95,
    rng: np.random.Generator,
) -> BootstrapCoefficients:
    r"""Nonparametric percentile bootstrap intervals of the OLS coefficients.

    Parameters
    ----------
    y, x, names
        As for :func:`ols`; the complete cases are resampled.
    n_boot : int
        Number of resamples (at least 1).
    confidence_level : float
        Level of the intervals.
    rng : numpy.random.Generator
        The random stream. The resamples are drawn block by block,
        ``rng.integers(0, n, size=(rows, n))`` on the n complete cases: the numbers of one
        call ``rng.integers(0, n, size=(n_boot, n))``.

    Returns
    -------
    BootstrapCoefficients

    Raises
    ------
    ValueError
        When an argument is not of its allowed form.

    Notes
    -----
    Each resample draws n cases with replacement and refits :math:`\hat b^{*} =
    (X^{*\prime}X^{*})^{-1}X^{*\prime}y^{*}` (batched normal equations, from the counts of
    the cases drawn; a resample whose :math:`X^{*\prime}X^{*}` has a condition number of
    1e12 or more is left out). The interval is :math:`[\hat b^{*}_{(\alpha/2)}, \hat b^{*}_{(1-\alpha/2)}]`,
    the quantiles of the valid replicates with linear interpolation, as
    ``scipy.stats.bootstrap(method="percentile")`` computes them (Efron & Tibshirani 1993,
    ch. 13).

    References
    ----------
    .. [1] Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*.
       Chapman & Hall.

    Examples
    --------
    >>> boot = bootstrap_coefficients(
    ...     [1.0, 3.0, 2.0, 5.0, 4.0, 6.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ...     n_boot=200, rng=np.random.default_rng(1))
    >>> boot.terms, boot.n_boot
    (('intercept', 'x0'), 200)
    """
    func = "bootstrap_coefficients"
    yv = as_vector(y, "y", func)
    xm, labels = as_matrix(x, "x", func)
    level = check_confidence_level(confidence_level, func)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(
            f"The 'n_boot' parameter of {func} must be a positive integer. Got {n_boot!r} instead."
        )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"The 'rng' parameter of {func} must be a numpy.random.Generator, such as "
            f"numpy.random.default_rng(seed). Got {type(rng).__name__} instead."
        )
    if xm.shape[0] != yv.shape[0]:
        raise ValueError(
            f"The 'x' parameter of {func} must have one row per value of 'y' ({yv.shape[0]}). "
            f"Got {xm.shape[0]} rows instead."
        )
    terms = ("intercept", *(tuple(names) if names is not None else labels))
    keep = np.isfinite(yv) & np.all(np.isfinite(xm), axis=1)
    yk, xk = yv[keep], xm[keep]
    n, p = yk.size, xk.shape[1] + 1
    nan = (float("nan"),) * p
    if n <= p:
        return BootstrapCoefficients(terms, nan, nan, int(n_boot), 0, level)
    coef, valid = _bootstrap_fits(np.column_stack([np.ones(n), xk]), yk, int(n_boot), rng)
    good = coef[valid]
    if good.shape[0] == 0:
        return BootstrapCoefficients(terms, nan, nan, int(n_boot), 0, level)
    alpha = 1.0 - level
    lo, hi = np.quantile(good, [alpha / 2, 1 - alpha / 2], axis=0)
    return BootstrapCoefficients(
        terms,
        tuple(float(v) for v in lo),
        tuple(float(v) for v in hi),
        int(n_boot),
        int(good.shape[0]),
        level,
    )
