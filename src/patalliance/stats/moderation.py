r"""Simple moderation (Hayes' PROCESS model 1): x × w → y, simple slopes and Johnson–Neyman.

:func:`moderation` fits :math:`y = b_0 + b_1 x + b_2 w + b_3 x w + c'\,\text{covariates}` by
OLS (:func:`patalliance.stats.regression.ols`) with x and a continuous w mean-centred before
the product is formed, so :math:`b_1` is the slope of x at the mean of w. A categorical w
enters as 0/1 indicators of every level but the first, each multiplied by the centred x, and
:math:`b_1` is then the slope of x at the first level.

It reports the conditional effect (simple slope) of x at −1 SD, the mean and +1 SD of a
continuous w, or at each level of a categorical w; the increase in :math:`R^2` due to the
interaction with its F test; and, for a continuous w, the Johnson–Neyman boundaries: the
values of w where the slope's t statistic equals the critical t.

References
----------
.. [1] Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process
   analysis: A regression-based approach* (3rd ed.). Guilford Press. (Model 1, chapters 7-9.)
.. [2] Johnson, P. O., & Neyman, J. (1936). Tests of certain linear hypotheses and their
   application to some educational problems. *Statistical Research Memoirs*, 1, 57-93.
.. [3] Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel
   regression: Inferential and graphical techniques. *Multivariate Behavioral Research*,
   40(3), 373-400.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from patalliance.stats._checks import as_matrix, as_vector, check_confidence_level
from patalliance.stats.regression import OLSResult, SEType, ols
from patalliance.stats.tdist import t_two_sided_p
from patalliance.status import Status

__all__ = ["JN_METHOD", "ModerationResult", "SimpleSlope", "moderation"]

#: How the Johnson–Neyman boundaries are found (echoed in every result).
JN_METHOD = "closed-form roots of t(conditional effect of x at w) = ±t_crit"


@dataclass(frozen=True)
class SimpleSlope:
    """The conditional effect of x at one value of w (``at``: ``-1 SD``, ``mean``, ``+1 SD``
    or a level of a categorical w; ``w_value``: that value of a continuous w, else NaN)."""

    at: str
    w_value: float
    estimate: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ModerationResult:
    r"""One moderation model.

    Attributes
    ----------
    x, w, y : str
        Focal predictor, moderator, outcome.
    covariates : tuple of str
        Covariate columns (already dummy-coded).
    w_type : {"continuous", "categorical"}
    w_levels : tuple of str
        The levels of a categorical w, the first being the reference; empty otherwise.
    model : OLSResult
        The fitted model: terms ``intercept``, x, w (or its indicators ``w[level]``), the
        products ``x×w`` (or ``x×w[level]``), then the covariates.
    x_mean, w_mean, w_sd : float
        The centring constants (w's are NaN for a categorical w).
    r2_change, f_change, f_change_df1, f_change_df2, f_change_p : float
        :math:`\Delta R^2` due to the interaction term(s) and its F test (Wald, with the
        model's covariance matrix).
    slopes : tuple of SimpleSlope
        Conditional effects of x.
    jn_boundaries : tuple of float
        Values of w (original units) where the slope's t equals ±t_crit: every real root,
        inside the observed range of w or not; empty for a categorical w or no real root.
    jn_method : str
        :data:`JN_METHOD`.
    w_min, w_max : float
        Observed range of w in the complete cases.
    t_crit : float
        The critical t at ``1 - confidence_level`` (two-sided) on the model's df.
    x_min, x_max : float
        Observed range of x in the complete cases.
    covariate_means : tuple of float
        Means of the covariate columns in the complete cases (for predicted values).
    """

    x: str
    w: str
    y: str
    covariates: tuple[str, ...]
    w_type: Literal["continuous", "categorical"]
    w_levels: tuple[str, ...]
    model: OLSResult
    x_mean: float
    w_mean: float
    w_sd: float
    r2_change: float
    f_change: float
    f_change_df1: float
    f_change_df2: float
    f_change_p: float
    slopes: tuple[SimpleSlope, ...]
    jn_boundaries: tuple[float, ...]
    jn_method: str
    w_min: float
    w_max: float
    t_crit: float
    x_min: float = float("nan")
    x_max: float = float("nan")
    covariate_means: tuple[float, ...] = ()

    @property
    def n(self) -> int:
        return self.model.n

    @property
    def status(self) -> Status:
        return self.model.status

    @property
    def se_type(self) -> str:
        return self.model.se_type

    @property
    def confidence_level(self) -> float:
        return self.model.confidence_level

    def conditional_effect(self, w: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Slope of x and its standard error at values of a continuous w (original units)."""
        b, cov = _coef_cov(self.model)
        u = np.asarray(w, dtype=float) - self.w_mean
        est = b[1] + b[3] * u
        se = np.sqrt(cov[1, 1] + 2 * u * cov[1, 3] + u**2 * cov[3, 3])
        return est, se

    def slope_at(self, w: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Slope of x and its t statistic at values of a continuous w (original units)."""
        est, se = self.conditional_effect(w)
        return est, est / se


def _coef_cov(model: OLSResult) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    b = np.array([c.estimate for c in model.coefficients])
    return b, np.array(model.covariance)


def _jn_roots(b: NDArray[np.float64], cov: NDArray[np.float64], crit: float) -> list[float]:
    r"""Real roots u of :math:`(b_1+b_3u)^2 = t^2 (V_{11} + 2uV_{13} + u^2V_{33})`."""
    t2 = crit**2
    a = b[3] ** 2 - t2 * cov[3, 3]
    h = b[1] * b[3] - t2 * cov[1, 3]
    c = b[1] ** 2 - t2 * cov[1, 1]
    if a == 0:
        return [] if h == 0 else [-c / (2 * h)]
    disc = h**2 - a * c
    if disc < 0:
        return []
    root = np.sqrt(disc)
    # The numerically stable pair: q = -(h + sign(h) root); roots q/a and c/q.
    q = -(h + np.copysign(root, h))
    roots = [q / a, c / q] if q != 0 else [-h / a]
    return sorted(float(r) for r in roots)


def _slope(at: str, w: float, c: NDArray[np.float64], model: OLSResult, crit: float) -> SimpleSlope:
    b, cov = _coef_cov(model)
    est = float(c @ b)
    se = float(np.sqrt(c @ cov @ c))
    t = est / se
    df = model.f_df2
    return SimpleSlope(
        at, w, est, se, t, df, float(t_two_sided_p(t, df)), est - crit * se, est + crit * se
    )


def _levels(w: Sequence[object]) -> tuple[list[str], NDArray[np.float64]] | None:
    """Levels and their 0/1 indicators when w is text (or numeric with two values)."""
    cells = [None if _missing(v) else str(v).strip() for v in w]
    numeric = all(c is None or _is_number(c) for c in cells)
    if numeric:
        cells = [None if c is None else f"{float(c):g}" for c in cells]
    present = sorted({c for c in cells if c is not None}, key=(float if numeric else str))
    if numeric and len(present) != 2:
        return None
    ind = np.array(
        [[np.nan if c is None else float(c == lev) for lev in present[1:]] for c in cells]
    )
    return present, ind.reshape(len(cells), max(len(present) - 1, 0))


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def moderation(
    x: ArrayLike,
    w: Sequence[object] | ArrayLike,
    y: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    names: tuple[str, str, str, Sequence[str]] = ("x", "w", "y", ()),
    se_type: SEType = "auto",
    confidence_level: float = 0.95,
) -> ModerationResult:
    r"""Hayes' PROCESS model 1: the effect of x on y moderated by w.

    Parameters
    ----------
    x, y : array_like of float, shape (n_obs,)
        Focal predictor and outcome; NaN is missing.
    w : sequence, shape (n_obs,)
        The moderator: numbers (continuous; two distinct values count as categorical), or
        text levels (categorical; the first in sorted order is the reference). Missing is
        NaN, None or an empty string.
    covariates : array_like of float, shape (n_obs, k), optional
        Covariates (dummy-coded); NaN is missing.
    names : (x, w, y, covariates)
        Names echoed in the result and used as term names.
    se_type : {"auto", "hc3", "classical"}
        Standard errors (see :func:`patalliance.stats.regression.ols`; PROCESS's ``hc3=1``).
    confidence_level : float
        Level of every interval; the Johnson–Neyman boundaries use the same
        :math:`\alpha = 1 - \text{confidence level}`.

    Returns
    -------
    ModerationResult
        Every case missing x, w, y or a covariate is left out (``model.n_excluded``).

    Raises
    ------
    ValueError
        When the arrays differ in length or an option is not allowed.

    Notes
    -----
    With :math:`u = w - \bar w`, the slope of x at w is :math:`\theta(w) = b_1 + b_3 u` with
    variance :math:`V_{11} + 2uV_{13} + u^2V_{33}` (Hayes 2022, eq. 7.12). The values
    :math:`\bar w \pm s_w` use the SD with n − 1. The Johnson–Neyman boundaries solve
    :math:`\theta(w)^2 = t_{crit}^2\,\mathrm{Var}(\theta(w))`, the quadratic

    .. math:: (b_3^2 - t^2V_{33})u^2 + 2(b_1b_3 - t^2V_{13})u + (b_1^2 - t^2V_{11}) = 0,

    solved in closed form (Bauer & Curran 2005). :math:`\Delta R^2` is the drop in
    :math:`R^2` when the product terms are removed; its F is the Wald test of the product
    coefficients (with classical errors, the usual F of the :math:`R^2` change).

    Examples
    --------
    >>> res = moderation([1.0, 2, 3, 4, 5, 6, 7], [0.0, 1, 0, 1, 0, 1, 0],
    ...                  [1.0, 3, 2, 6, 3, 9, 5], se_type="classical")
    >>> [s.at for s in res.slopes]
    ['0', '1']
    """
    func = "moderation"
    xv, yv = as_vector(x, "x", func), as_vector(y, "y", func)
    check_confidence_level(confidence_level, func)
    w_list = list(np.asarray(w, dtype=object).ravel())
    n_all = len(xv)
    if len(w_list) != n_all or len(yv) != n_all:
        raise ValueError(
            f"The 'x', 'w' and 'y' parameters of {func} must have the same length. Got "
            f"{n_all}, {len(w_list)} and {len(yv)} instead."
        )
    cov_m = (
        np.empty((n_all, 0)) if covariates is None else as_matrix(covariates, "covariates", func)[0]
    )
    x_name, w_name, y_name, cov_names = names[0], names[1], names[2], tuple(names[3])
    cat = _levels(w_list)
    w_num = (
        np.full(n_all, np.nan)
        if cat
        else np.array([np.nan if _missing(v) else float(v) for v in w_list])
    )
    w_cols = cat[1] if cat else w_num[:, None]
    keep = np.isfinite(xv) & np.isfinite(yv) & np.all(np.isfinite(w_cols), axis=1)
    keep &= np.all(np.isfinite(cov_m), axis=1)
    x_mean = float(np.mean(xv[keep])) if keep.any() else float("nan")
    xc = xv - x_mean
    if cat:
        levels = cat[0]
        wc = w_cols
        w_terms = [f"{w_name}[{lev}]" for lev in levels[1:]]
        w_mean = w_sd = float("nan")
    else:
        levels = []
        w_mean = float(np.mean(w_num[keep])) if keep.any() else float("nan")
        w_sd = float(np.std(w_num[keep], ddof=1)) if keep.sum() > 1 else float("nan")
        wc = (w_num - w_mean)[:, None]
        w_terms = [w_name]
    products = xc[:, None] * wc
    p_terms = [f"{x_name}×{t}" for t in w_terms]
    design = np.column_stack([xc, wc, products, cov_m])
    design[~keep] = np.nan
    terms = [x_name, *w_terms, *p_terms, *cov_names]
    model = ols(
        yv, design, names=terms, outcome=y_name, se_type=se_type, confidence_level=confidence_level
    )
    k_w = len(w_terms)
    res = _probe(
        model, (x_name, w_name, y_name, cov_names), levels, k_w, x_mean, w_mean, w_sd,
        w_num[keep] if not cat else np.empty(0), design[keep], yv[keep],
    )  # fmt: skip
    if not keep.any():
        return res
    return replace(
        res,
        x_min=float(np.min(xv[keep])),
        x_max=float(np.max(xv[keep])),
        covariate_means=tuple(float(v) for v in np.mean(cov_m[keep], axis=0)),
    )


def _probe(
    model: OLSResult,
    names: tuple[str, str, str, tuple[str, ...]],
    levels: list[str],
    k_w: int,
    x_mean: float,
    w_mean: float,
    w_sd: float,
    w_obs: NDArray[np.float64],
    design: NDArray[np.float64],
    y: NDArray[np.float64],
) -> ModerationResult:
    """Simple slopes, ΔR² and Johnson–Neyman from a fitted model."""
    nan = float("nan")
    x_name, w_name, y_name, cov_names = names
    w_type: Literal["continuous", "categorical"] = "categorical" if levels else "continuous"
    w_min = float(np.min(w_obs)) if w_obs.size else nan
    w_max = float(np.max(w_obs)) if w_obs.size else nan
    if model.status != Status.OK:
        return ModerationResult(
            x_name, w_name, y_name, cov_names, w_type, tuple(levels), model, x_mean, w_mean,
            w_sd, nan, nan, nan, nan, nan, (), (), JN_METHOD, w_min, w_max, nan,
        )  # fmt: skip
    df = model.f_df2
    crit = float(special.stdtrit(df, 0.5 + model.confidence_level / 2.0))
    b, cov = _coef_cov(model)
    p = b.size
    prod = slice(2 + k_w, 2 + 2 * k_w)
    f_change = float(b[prod] @ np.linalg.solve(cov[prod, prod], b[prod])) / k_w
    reduced = np.delete(design, np.arange(1 + k_w, 1 + 2 * k_w), axis=1)
    r2_change = model.r2 - _r2(reduced, y)
    slopes: list[SimpleSlope] = []
    if levels:
        for j, lev in enumerate(levels):
            c = np.zeros(p)
            c[1] = 1.0
            if j > 0:
                c[2 + k_w + j - 1] = 1.0
            slopes.append(_slope(lev, nan, c, model, crit))
        roots: list[float] = []
    else:
        for at, u in (("-1 SD", -w_sd), ("mean", 0.0), ("+1 SD", w_sd)):
            c = np.zeros(p)
            c[1], c[3] = 1.0, u
            slopes.append(_slope(at, w_mean + u, c, model, crit))
        roots = [w_mean + u for u in _jn_roots(b, cov, crit)]
    return ModerationResult(
        x_name, w_name, y_name, cov_names, w_type, tuple(levels), model, x_mean, w_mean, w_sd,
        r2_change, f_change, float(k_w), df, float(special.fdtrc(k_w, df, f_change)),
        tuple(slopes), tuple(roots), JN_METHOD, w_min, w_max, crit,
    )  # fmt: skip


def _r2(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return 1.0 - float(resid @ resid) / float(np.sum((y - y.mean()) ** 2))
