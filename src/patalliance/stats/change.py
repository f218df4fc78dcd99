"""Change between two paired measurements: paired t-test, effect sizes, Wilcoxon test."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from patalliance.stats._checks import check_confidence_level
from patalliance.stats._nct import nct_limits
from patalliance.stats.tdist import t_two_sided_p

__all__ = ["PairedChangeResult", "paired_change"]


@dataclass(frozen=True)
class PairedChangeResult:
    """Paired comparison of ``x_to`` with ``x_from`` on the complete pairs.

    Floats are unrounded; a statistic that cannot be computed is NaN, with the reason in
    ``notes``.

    Attributes
    ----------
    n : int
        Complete pairs used.
    n_dropped : int
        Pairs left out because either value was missing.
    mean_from, mean_to : float
        Means of the two measurements over the complete pairs.
    sd_from, sd_to : float
        Standard deviations (ddof = 1) over the complete pairs.
    mean_diff : float
        Mean of ``x_to - x_from``.
    diff_ci_low, diff_ci_high : float
        t-based confidence interval of ``mean_diff``.
    t : float
        Paired t statistic.
    df : float
        Degrees of freedom, ``n - 1``.
    p : float
        Two-sided p-value of the paired t-test.
    d_z : float
        ``mean_diff`` divided by the SD of the differences.
    d_z_ci_low, d_z_ci_high : float
        Noncentral-t confidence interval of ``d_z``.
    d_av : float
        ``mean_diff`` divided by the mean of ``sd_from`` and ``sd_to`` (Lakens 2013, eq. 10).
    wilcoxon_statistic : float
        Wilcoxon signed-rank statistic :math:`V`, the sum of the ranks of the positive
        differences ``x_to - x_from`` (R's ``V`` of ``wilcox.test(x_to, x_from, paired =
        TRUE)``).
    wilcoxon_p : float
        Its two-sided p-value, by the rule of R's ``wilcox.test`` (see
        :func:`paired_change`).
    wilcoxon_method : str
        ``"exact"`` (exact null distribution of :math:`V`), ``"normal_cc"`` (normal
        approximation with continuity correction and tie-corrected variance), or ``""``
        when the test is undefined (no nonzero difference).
    confidence_level : float
        Confidence level of the intervals.
    method : str
        Description of the tests and effect sizes.
    notes : tuple of str
        Why any statistic is NaN, and any warning from the underlying routines.
    """

    n: int
    n_dropped: int
    mean_from: float
    mean_to: float
    sd_from: float
    sd_to: float
    mean_diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p: float
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    wilcoxon_statistic: float
    wilcoxon_p: float
    wilcoxon_method: str
    confidence_level: float
    method: str
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with every field as a column (``notes`` joined by "; ")."""
        row = asdict(self)
        row["notes"] = "; ".join(self.notes)
        return pd.DataFrame([row])


_METHOD = (
    "paired t-test; d_z with noncentral-t CI; d_av (Lakens 2013 eq. 10); Wilcoxon signed-rank "
    "test as R wilcox.test(paired = TRUE): zeros dropped, exact p for n < 50 without ties or "
    "zeros, else normal approximation with continuity correction"
)
#: Below this many nonzero differences, and without ties or zeros, the p-value is exact.
_EXACT_BELOW = 50


def _signed_rank_null_counts(n: int) -> NDArray[np.int64]:
    r"""``c[v]``: how many of the ``2**n`` sign patterns of ranks ``1..n`` give ``V = v``.

    The generating function :math:`\prod_{i=1}^n (1 + x^i)`, expanded one factor at a time.
    Exact in int64 for the ``n < 50`` it is used for (the counts sum to :math:`2^n`).
    """
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=np.int64)
    counts[0] = 1
    for i in range(1, n + 1):
        counts[i:] = counts[i:] + counts[: top + 1 - i]
    return counts


def _signed_rank_exact_p(v: int, n: int) -> float:
    """Two-sided exact p of ``V = v`` with ``n`` untied nonzero differences, as R does it.

    R: ``p = P(V >= v)`` if ``v > n(n+1)/4`` else ``P(V <= v)``; two-sided ``min(2p, 1)``.
    """
    counts = _signed_rank_null_counts(n)
    tail = int(counts[v:].sum()) if v > n * (n + 1) / 4 else int(counts[: v + 1].sum())
    return min(2.0 * tail / 2.0**n, 1.0)


def _signed_rank_test(d: NDArray[np.float64]) -> tuple[float, float, str, list[str]]:
    """V, two-sided p, method and notes of the Wilcoxon signed-rank test of ``d``.

    The rule of R's ``wilcox.test(x, y, paired = TRUE)`` with its defaults (``exact = NULL``,
    ``correct = TRUE``, ``digits.rank = Inf``), formulas in :func:`paired_change`.
    """
    nan = float("nan")
    zero = d == 0.0
    n_zero = int(zero.sum())
    nonzero = d[~zero]
    n = int(nonzero.size)
    if n == 0:
        return nan, nan, "", ["all differences are zero: the Wilcoxon test is undefined (NaN)"]
    notes = []
    if n_zero:
        notes.append(f"wilcoxon: {n_zero} zero difference(s) left out (n = {n})")
    ranks = stats.rankdata(np.abs(nonzero))  # average ranks for ties, as R's rank()
    v = float(ranks[nonzero > 0].sum())
    _, tie_sizes = np.unique(np.abs(nonzero), return_counts=True)
    ties = bool((tie_sizes > 1).any())
    if n < _EXACT_BELOW and not ties and n_zero == 0:
        return v, _signed_rank_exact_p(round(v), n), "exact", notes
    if n < _EXACT_BELOW:
        why = " and ".join(w for w, has in (("ties", ties), ("zeros", n_zero > 0)) if has)
        notes.append(f"wilcoxon: normal approximation (no exact p-value with {why})")
    t = tie_sizes.astype(np.float64)
    sigma = float(np.sqrt(n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(t**3 - t)) / 48.0))
    z = v - n * (n + 1) / 4.0
    z = (z - 0.5 * float(np.sign(z))) / sigma
    p = 2.0 * min(float(stats.norm.cdf(z)), float(stats.norm.sf(z)))
    return v, p, "normal_cc", notes


def _as_vector(a: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter of paired_change must be a one-dimensional numeric array "
            f"(NaN for missing). Got {type(a).__name__} with non-numeric entries instead."
        ) from None
    if arr.ndim != 1:
        raise ValueError(
            f"The '{name}' parameter of paired_change must be one-dimensional, shape (n,). "
            f"Got an array with shape {arr.shape} instead."
        )
    if np.isinf(arr).any():
        raise ValueError(
            f"The '{name}' parameter of paired_change must contain only finite numbers or NaN "
            "for missing values. Got infinite values instead; replace them with NaN."
        )
    return arr


def paired_change(
    x_from: ArrayLike, x_to: ArrayLike, *, confidence_level: float = 0.95
) -> PairedChangeResult:
    r"""Change from ``x_from`` to ``x_to`` in the same participants.

    Parameters
    ----------
    x_from : array_like of float, shape (n,)
        First measurement (e.g. alliance at the preparation session); NaN for missing.
    x_to : array_like of float, shape (n,)
        Second measurement of the same participants, same order; NaN for missing.
    confidence_level : float, default 0.95
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    PairedChangeResult
        Descriptives, paired t-test, ``d_z`` with its CI, ``d_av`` and the Wilcoxon test.
        Degenerate data (fewer than two complete pairs, identical differences) give NaN
        statistics with an explanation in ``notes`` rather than an exception.

    Raises
    ------
    ValueError
        If the inputs are not one-dimensional numeric arrays of the same length, contain
        infinite values, or ``confidence_level`` is not in (0, 1).

    Notes
    -----
    Only complete pairs are used. With differences :math:`d_i = x_{\mathrm{to},i} -
    x_{\mathrm{from},i}`, their mean :math:`\bar d` and SD :math:`s_d` over :math:`n` pairs,

    .. math:: t = \frac{\bar d}{s_d/\sqrt n},\quad \nu = n - 1,\quad
              \bar d \pm t_{1-\alpha/2,\nu}\,\frac{s_d}{\sqrt n},

    .. math:: d_z = \frac{\bar d}{s_d} = \frac{t}{\sqrt n},\qquad
              d_{av} = \frac{\bar d}{(s_{\mathrm{from}} + s_{\mathrm{to}})/2}.

    The CI of :math:`d_z` inverts the noncentral t distribution (Steiger & Fouladi, 1997;
    Cumming & Finch, 2001): the bounds are :math:`\lambda/\sqrt n` where :math:`\lambda`
    solves :math:`F_{t,\nu,\lambda}(t_{\mathrm{obs}}) = 1-\alpha/2` (lower) and
    :math:`\alpha/2` (upper), found with Brent's method.

    :math:`d_{av}` is Lakens (2013), eq. 10, the effect size reported by Levin et al.
    (2024). It differs from pingouin's ``compute_effsize(..., paired=True,
    eftype="cohen")``, which divides by :math:`\sqrt{(s_{\mathrm{from}}^2 +
    s_{\mathrm{to}}^2)/2}`; the two agree only when the SDs are equal.

    **Wilcoxon signed-rank test**, two-sided, as R's ``wilcox.test(x_to, x_from, paired =
    TRUE)`` computes it with its defaults (R up to 4.5; R 4.6.0 also gives exact conditional
    p-values with ties or zeros). Zero differences are left out (Wilcoxon, 1945); with
    :math:`n` nonzero differences ranked by :math:`|d_i|` (average ranks for ties),

    .. math:: V = \sum_{d_i > 0} R_i .

    *Exact* (``wilcoxon_method = "exact"``) when :math:`n < 50` and there are no ties and
    no zeros: :math:`p = \min\{1, 2P(V \ge v)\}` if :math:`v > n(n+1)/4`, else
    :math:`\min\{1, 2P(V \le v)\}`, under the exact null distribution of :math:`V`
    (each of the :math:`2^n` sign patterns of the ranks :math:`1..n` equally likely).

    *Otherwise* (``wilcoxon_method = "normal_cc"``) the normal approximation with
    continuity correction and the tie-corrected variance:

    .. math:: z = \frac{V - \frac{n(n+1)}{4} - \frac12\operatorname{sign}\left(V -
              \frac{n(n+1)}{4}\right)}{\sqrt{\frac{n(n+1)(2n+1)}{24} -
              \frac{\sum_j (t_j^3 - t_j)}{48}}},\qquad p = 2\min\{\Phi(z), 1 - \Phi(z)\},

    where :math:`t_j` are the sizes of the groups of tied :math:`|d_i|` (Hollander & Wolfe,
    1999, §3.1). When every difference is zero the test is undefined and reported as NaN.

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.
    .. [2] Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences* (2nd
       ed.). Lawrence Erlbaum.
    .. [3] Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
       science: A practical primer for t-tests and ANOVAs. *Frontiers in Psychology*, 4,
       863. https://doi.org/10.3389/fpsyg.2013.00863
    .. [4] Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation and the
       evaluation of statistical models. In L. L. Harlow, S. A. Mulaik, & J. H. Steiger
       (Eds.), *What If There Were No Significance Tests?* (pp. 221-257). Lawrence Erlbaum.
    .. [5] Cumming, G., & Finch, S. (2001). A primer on the understanding, use, and
       calculation of confidence intervals that are based on central and noncentral
       distributions. *Educational and Psychological Measurement*, 61(4), 532-574.
    .. [6] Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics
       Bulletin*, 1(6), 80-83.
    .. [7] Hollander, M., & Wolfe, D. A. (1999). *Nonparametric Statistical Methods* (2nd
       ed.). Wiley. Section 3.1, the signed rank test; the depression data of Table 3.1 are
       the example of R's ``?wilcox.test``.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import paired_change
    >>> res = paired_change([50, 52, 47, 60, np.nan, 55], [54, 53, 50, 61, 58, 60])
    >>> res.n, res.n_dropped
    (5, 1)
    >>> print(f"diff = {res.mean_diff:.2f}, t({res.df:.0f}) = {res.t:.3f}, p = {res.p:.4f}")
    diff = 2.80, t(4) = 3.500, p = 0.0249
    >>> print(f"d_z = {res.d_z:.3f}, d_av = {res.d_av:.3f}")
    d_z = 1.565, d_av = 0.578
    >>> print(f"V = {res.wilcoxon_statistic:.1f}, p = {res.wilcoxon_p:.4f} ({res.wilcoxon_method})")
    V = 15.0, p = 0.0579 (normal_cc)
    """
    level = check_confidence_level(confidence_level, "paired_change")
    a = _as_vector(x_from, "x_from")
    b = _as_vector(x_to, "x_to")
    if a.shape != b.shape:
        raise ValueError(
            "The 'x_from' and 'x_to' parameters of paired_change must have the same length "
            f"(one value per participant, NaN for missing). Got {a.size} and {b.size} "
            "instead."
        )
    complete = ~(np.isnan(a) | np.isnan(b))
    a, b = a[complete], b[complete]
    n = int(a.size)
    notes: list[str] = []
    nan = float("nan")
    d = b - a
    mean_from = float(a.mean()) if n else nan
    mean_to = float(b.mean()) if n else nan
    mean_diff = float(d.mean()) if n else nan
    sd_from = float(a.std(ddof=1)) if n >= 2 else nan
    sd_to = float(b.std(ddof=1)) if n >= 2 else nan
    sd_diff = float(d.std(ddof=1)) if n >= 2 else nan
    df = float(n - 1) if n >= 2 else nan
    t = p = d_z = ci_low = ci_high = dz_low = dz_high = nan
    if n < 2:
        notes.append(f"fewer than 2 complete pairs (n = {n}): t-test and effect sizes are NaN")
    elif np.ptp(d) == 0.0:
        notes.append("all differences are equal (SD of differences = 0): t, p and d_z are NaN")
    else:
        se = sd_diff / np.sqrt(n)
        t = mean_diff / se
        p = t_two_sided_p(t, df)
        t_crit = float(stats.t.ppf(0.5 + level / 2.0, df))
        ci_low, ci_high = mean_diff - t_crit * se, mean_diff + t_crit * se
        d_z = mean_diff / sd_diff
        nc_low, nc_high = nct_limits(t, df, level)
        dz_low, dz_high = nc_low / np.sqrt(n), nc_high / np.sqrt(n)
    denom = (sd_from + sd_to) / 2.0
    both_constant = n >= 2 and np.ptp(a) == 0.0 and np.ptp(b) == 0.0
    d_av = mean_diff / denom if n >= 2 and not both_constant else nan
    if both_constant:
        notes.append("both SDs are zero: d_av is NaN")
    w_stat, w_p, w_method = nan, nan, ""
    if n:
        w_stat, w_p, w_method, w_notes = _signed_rank_test(d)
        notes.extend(w_notes)
    return PairedChangeResult(
        n=n,
        n_dropped=int(complete.size - n),
        mean_from=mean_from,
        mean_to=mean_to,
        sd_from=sd_from,
        sd_to=sd_to,
        mean_diff=mean_diff,
        diff_ci_low=float(ci_low),
        diff_ci_high=float(ci_high),
        t=float(t),
        df=df,
        p=float(p),
        d_z=float(d_z),
        d_z_ci_low=float(dz_low),
        d_z_ci_high=float(dz_high),
        d_av=float(d_av),
        wilcoxon_statistic=w_stat,
        wilcoxon_p=w_p,
        wilcoxon_method=w_method,
        confidence_level=level,
        method=_METHOD,
        notes=tuple(notes),
    )
