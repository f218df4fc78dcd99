"""Pearson and Spearman correlations of every pair of variables, with missing values.

All pairs are computed at once with masks and matrix products (:mod:`patalliance.stats._pairs`):
no Python loop runs over the pairs. The t-test of each coefficient is
:func:`patalliance.stats.tdist.correlation_t`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from patalliance.stats._checks import as_vector, check_choice, check_confidence_level
from patalliance.stats._pairs import pair_correlations, pair_index, prepare_pairs, to_matrix
from patalliance.stats.tdist import correlation_t

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
StandardError = Literal["fisher", "bonett_wright"]

_METHODS = ("pearson", "spearman")
_MISSING = ("pairwise", "listwise")
_SES = ("fisher", "bonett_wright")
#: ``ConfidenceInterval.method`` / ``CorrelationResult.ci_method`` for each standard error.
_CI_METHOD = {"fisher": "fisher_z", "bonett_wright": "fisher_z_bonett_wright"}
#: The standard error of each coefficient's interval: Bonett & Wright (2000) for Spearman.
_SE_OF = {"pearson": "fisher", "spearman": "bonett_wright"}


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
        Confidence interval on the Fisher-z scale (see ``ci_method``); NaN where ``n < 4``.
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
    ci_method : str
        The interval: ``"fisher_z"`` (Pearson; Fisher 1921) or ``"fisher_z_bonett_wright"``
        (Spearman; Fisher z with the Bonett & Wright 2000 standard error), see
        :func:`fisher_ci`.
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
    ci_method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per pair ``(x, y)``, with every field as a column.

        Returns
        -------
        pandas.DataFrame
            Columns ``x, y, method, missing, n, n_dropped, r, ci_low, ci_high, ci_method, p,
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
                "ci_method": self.ci_method,
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
        ``"fisher_z"`` (standard error of Fisher 1921/1924) or ``"fisher_z_bonett_wright"``
        (standard error of Bonett & Wright 2000, for Spearman's coefficient).
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
# Public functions
# --------------------------------------------------------------------------------------------


def fisher_ci(
    r: ArrayLike,
    n: ArrayLike,
    *,
    confidence_level: float = 0.95,
    k: int = 0,
    se: StandardError = "fisher",
) -> ConfidenceInterval:
    r"""Fisher-z confidence interval of a (partial) Pearson or a Spearman correlation.

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
    se : {"fisher", "bonett_wright"}, default "fisher"
        Standard error on the z scale: Fisher's, for Pearson's r, or Bonett & Wright's, for
        Spearman's :math:`r_s` (zero-order only, ``k = 0``).

    Returns
    -------
    ConfidenceInterval
        ``low`` and ``high`` with the broadcast shape of ``r`` and ``n``; NaN where
        :math:`n - 3 - k < 1`. ``method`` is ``"fisher_z"`` or ``"fisher_z_bonett_wright"``.

    Raises
    ------
    ValueError
        If ``confidence_level`` is not in (0, 1), ``k`` is not a non-negative integer, ``se``
        is not one of its values or is ``"bonett_wright"`` with ``k > 0``, or ``r`` lies
        outside [-1, 1].

    Notes
    -----
    With :math:`z = \operatorname{artanh}(r)` the interval is

    .. math:: \tanh\left(z \pm z_{1-\alpha/2}\,\mathrm{SE}\right),
              \qquad \alpha = 1 - \text{confidence level},

    with, for Pearson's r, :math:`\mathrm{SE} = 1/\sqrt{n - 3 - k}` (Fisher, 1921; with
    :math:`k` covariates, Fisher, 1924), and, for Spearman's :math:`r_s`,

    .. math:: \mathrm{SE} = \sqrt{\frac{1 + r_s^2/2}{n - 3}}

    (Bonett & Wright, 2000): the variance of :math:`\operatorname{artanh}(r_s)` exceeds
    :math:`1/(n-3)`, increasingly with :math:`|\rho_s|`, so Fisher's SE undercovers for
    Spearman's coefficient. This is the interval of ``ci.spear`` in Bonett's R package
    statpsych.

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.
    .. [2] Fisher, R. A. (1924). The distribution of the partial correlation coefficient.
       *Metron*, 3, 329-332.
    .. [3] Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating
       Pearson, Kendall and Spearman correlations. *Psychometrika*, 65(1), 23-28.
       https://doi.org/10.1007/BF02294183

    Examples
    --------
    >>> from patalliance.stats import fisher_ci
    >>> ci = fisher_ci(0.5, 20)
    >>> print(f"{float(ci.low):.4f} {float(ci.high):.4f}")
    0.0738 0.7718
    >>> ci = fisher_ci(0.5, 20, se="bonett_wright")
    >>> print(f"{float(ci.low):.4f} {float(ci.high):.4f} {ci.method}")
    0.0451 0.7832 fisher_z_bonett_wright
    """
    func = "fisher_ci"
    level = check_confidence_level(confidence_level, func)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(
            f"The 'k' parameter of {func} must be a non-negative integer (the number of "
            f"covariates). Got {k!r} instead."
        )
    se = check_choice(se, "se", func, _SES)  # type: ignore[assignment]
    if se == "bonett_wright" and k != 0:
        raise ValueError(
            f"The 'se' parameter of {func} can be 'bonett_wright' only for a zero-order "
            f"(Spearman) correlation, k = 0. Got k = {k!r} instead."
        )
    r_arr = np.asarray(r, dtype=np.float64)
    if np.any(np.abs(r_arr) > 1.0):
        raise ValueError(
            f"The 'r' parameter of {func} must lie in [-1, 1] (or be NaN). Got values "
            f"outside that range instead, e.g. {r_arr[np.abs(r_arr) > 1.0].ravel()[0]!r}."
        )
    n_arr = np.asarray(n)
    dof = n_arr.astype(np.float64) - 3.0 - int(k)
    z_crit = special.ndtri(0.5 + level / 2.0)  # the normal quantile, = stats.norm.ppf
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(r_arr)
        se_z = 1.0 / np.sqrt(dof)
        if se == "bonett_wright":
            se_z = se_z * np.sqrt(1.0 + r_arr**2 / 2.0)
        low = np.tanh(z - z_crit * se_z)
        high = np.tanh(z + z_crit * se_z)
    ok = dof >= 1
    low = np.where(ok, low, np.nan)
    high = np.where(ok, high, np.nan)
    return ConfidenceInterval(
        low=low,
        high=high,
        n=n_arr.astype(np.int64),
        k=int(k),
        confidence_level=level,
        method=_CI_METHOD[se],
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
        Arrays of shape (p, q): ``r``, ``n``, ``p``, ``ci_low``, ``ci_high``; ``ci_method``
        names the interval.

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
    ``scipy.stats.pearsonr`` and ``scipy.stats.spearmanr``. The interval is :func:`fisher_ci`
    with :math:`k = 0`: :math:`\tanh(\operatorname{artanh} r \pm z_{1-\alpha/2}\,
    \mathrm{SE})` with :math:`\mathrm{SE} = 1/\sqrt{n-3}` for Pearson (Fisher, 1921;
    ``ci_method = "fisher_z"``) and :math:`\mathrm{SE} = \sqrt{(1 + r_s^2/2)/(n-3)}` for
    Spearman (Bonett & Wright, 2000; ``ci_method = "fisher_z_bonett_wright"``).
    Coefficients are NaN where :math:`n < 3` or either variable is constant over the pair's
    complete cases; intervals are NaN where :math:`n < 4`.

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
    .. [5] Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating
       Pearson, Kendall and Spearman correlations. *Psychometrika*, 65(1), 23-28.
       https://doi.org/10.1007/BF02294183

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
    method = check_choice(method, "method", func, _METHODS)  # type: ignore[assignment]
    missing = check_choice(missing, "missing", func, _MISSING)  # type: ignore[assignment]
    level = check_confidence_level(confidence_level, func)
    xm, ym, x_labels, y_labels, symmetric = prepare_pairs(x, y, missing, func)
    shape = (xm.shape[1], ym.shape[1])
    jj, kk = pair_index(*shape, symmetric)
    ones = np.ones((1, xm.shape[0]))
    r_pairs, n_pairs = pair_correlations(xm, ym, jj, kk, ones, method)
    r = to_matrix(r_pairs[:, 0], jj, kk, shape, symmetric)
    n = to_matrix(np.rint(n_pairs[:, 0]).astype(np.int64), jj, kk, shape, symmetric)
    ci = fisher_ci(r, n, confidence_level=level, se=_SE_OF[method])  # type: ignore[arg-type]
    return CorrelationResult(
        r=r,
        n=n,
        p=correlation_t(r, n - 2)[1],
        ci_low=ci.low,
        ci_high=ci.high,
        n_obs=xm.shape[0],
        method=method,
        missing=missing,
        confidence_level=level,
        x_labels=tuple(x_labels),
        y_labels=tuple(y_labels),
        ci_method=ci.method,
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
        as_vector(x, "x", "pearson"),
        as_vector(y, "y", "pearson"),
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
        Confidence level of the interval: Fisher z with the Bonett & Wright (2000) standard
        error.

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
    ``scipy.stats.spearmanr`` does. The interval is

    .. math:: \tanh\left(\operatorname{artanh} r_s \pm z_{1-\alpha/2}
              \sqrt{\frac{1 + r_s^2/2}{n - 3}}\right)

    (Bonett & Wright, 2000; ``ci_method = "fisher_z_bonett_wright"``), as ``ci.spear`` of
    the R package statpsych computes it.

    References
    ----------
    .. [1] Spearman, C. (1904). The proof and measurement of association between two things.
       *American Journal of Psychology*, 15(1), 72-101.
    .. [2] Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating
       Pearson, Kendall and Spearman correlations. *Psychometrika*, 65(1), 23-28.
       https://doi.org/10.1007/BF02294183

    Examples
    --------
    >>> from patalliance.stats import spearman
    >>> res = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 60])
    >>> print(f"{res.r[0, 0]:.4f} {res.ci_method}")
    0.8000 fisher_z_bonett_wright
    """
    return correlate(
        as_vector(x, "x", "spearman"),
        as_vector(y, "y", "spearman"),
        method="spearman",
        confidence_level=confidence_level,
    )
