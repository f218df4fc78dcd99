r"""Partial correlation of two variables controlling for covariates (complete cases).

The partial correlation answers whether two scores go together beyond what the covariates
explain; with baseline severity as covariate, whether alliance predicts *change* rather than
level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from patalliance.stats.correlation import fisher_ci
from patalliance.stats.tdist import correlation_t
from patalliance.status import Status

__all__ = ["PartialCorrelationResult", "partial_correlation"]


@dataclass(frozen=True)
class PartialCorrelationResult:
    """One partial correlation. ``status`` is ``ok`` or ``not_estimable`` (see ``reason``)."""

    x: str
    y: str
    covariates: tuple[str, ...]
    n: int
    k: int
    r: float
    df: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    confidence_level: float
    status: Status = Status.OK
    reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame."""
        row = asdict(self)
        row["covariates"] = ", ".join(self.covariates)
        return pd.DataFrame([row])


def partial_correlation(
    x: ArrayLike,
    y: ArrayLike,
    covariates: ArrayLike,
    *,
    confidence_level: float = 0.95,
    names: tuple[str, str, tuple[str, ...]] = ("x", "y", ()),
) -> PartialCorrelationResult:
    r"""Pearson partial correlation of ``x`` and ``y`` given ``covariates`` (complete cases).

    Parameters
    ----------
    x, y : array_like of float, shape (n_obs,)
        The two variables; NaN marks a missing value.
    covariates : array_like of float, shape (n_obs, k) or (n_obs,)
        Covariates partialled out of both.
    confidence_level : float, default 0.95
        Confidence level of the Fisher-z interval.
    names : tuple, optional
        Labels ``(x, y, covariates)`` stored in the result.

    Returns
    -------
    PartialCorrelationResult
        ``status = not_estimable`` with a ``reason`` when fewer than ``k + 3`` complete
        cases remain, a covariate is constant or collinear, or x or y is fully explained by
        the covariates.

    Notes
    -----
    With :math:`Z = [1, C]` on the :math:`n` complete cases, the residuals
    :math:`e_x = (I - Z(Z^\top Z)^{-1}Z^\top)x` and :math:`e_y` likewise,

    .. math:: r_{xy\cdot C} = \frac{e_x^\top e_y}{\lVert e_x\rVert\,\lVert e_y\rVert},\qquad
              t = r\sqrt{\frac{n - 2 - k}{1 - r^2}},\quad df = n - 2 - k,

    and the Fisher-z interval :math:`\tanh(\operatorname{artanh} r \pm z_{1-\alpha/2} /
    \sqrt{n - 3 - k})` (Fisher, 1924). ``pingouin.partial_corr`` gives the same r and p.

    References
    ----------
    .. [1] Fisher, R. A. (1924). The distribution of the partial correlation coefficient.
       *Metron*, 3, 329-332.
    .. [2] Baba, K., Shibata, R., & Sibuya, M. (2004). Partial correlation and conditional
       correlation as measures of conditional independence. *Australian & New Zealand
       Journal of Statistics*, 46(4), 657-664.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import partial_correlation
    >>> rng = np.random.default_rng(0)
    >>> c = rng.normal(size=30)
    >>> res = partial_correlation(c + rng.normal(size=30), c + rng.normal(size=30), c)
    >>> res.n, res.k, res.df
    (30, 1, 27.0)
    """
    xv = np.asarray(x, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    cv = np.asarray(covariates, dtype=np.float64)
    if cv.ndim == 1:
        cv = cv[:, None]
    if not (xv.ndim == yv.ndim == 1 and xv.size == yv.size == cv.shape[0]):
        raise ValueError(
            "The 'x', 'y' and 'covariates' parameters of partial_correlation must have the "
            f"same number of rows. Got {xv.shape}, {yv.shape} and {cv.shape} instead."
        )
    k = cv.shape[1]
    xn, yn, cn = names
    cn = cn or tuple(f"c{i}" for i in range(k))
    ok = ~(np.isnan(xv) | np.isnan(yv) | np.isnan(cv).any(axis=1))
    n = int(ok.sum())
    nan = float("nan")

    def fail(reason: str) -> PartialCorrelationResult:
        return PartialCorrelationResult(
            xn, yn, tuple(cn), n, k, nan, float(n - 2 - k), nan, nan, nan, nan,
            confidence_level, Status.NOT_ESTIMABLE, reason,
        )  # fmt: skip

    if n < k + 4:
        return fail(f"n = {n} complete cases; at least {k + 4} are needed with {k} covariate(s)")
    xs, ys, cs = xv[ok], yv[ok], cv[ok]
    for j in range(k):
        if np.ptp(cs[:, j]) == 0:
            return fail(f"covariate {cn[j]!r} is constant over the complete cases")
    z = np.column_stack([np.ones(n), cs])
    if np.linalg.matrix_rank(z) < k + 1:
        return fail("the covariates are collinear")
    coef, _, _, _ = np.linalg.lstsq(z, np.column_stack([xs, ys]), rcond=None)
    res = np.column_stack([xs, ys]) - z @ coef
    ss = np.sum(res**2, axis=0)
    scale = np.sum((np.column_stack([xs, ys]) - np.column_stack([xs, ys]).mean(0)) ** 2, axis=0)
    if np.any(ss <= 1e-12 * np.maximum(scale, 1e-300)):
        which = xn if ss[0] <= 1e-12 * max(scale[0], 1e-300) else yn
        return fail(f"{which!r} is constant, or fully explained by the covariates")
    r = float(np.clip(res[:, 0] @ res[:, 1] / np.sqrt(ss[0] * ss[1]), -1.0, 1.0))
    df = n - 2 - k
    t, p = (float(v) for v in correlation_t(r, df))
    ci = fisher_ci(r, n, confidence_level=confidence_level, k=k)
    return PartialCorrelationResult(
        x=xn,
        y=yn,
        covariates=tuple(cn),
        n=n,
        k=k,
        r=r,
        df=float(df),
        t=float(t),
        p=p,
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        confidence_level=confidence_level,
    )
