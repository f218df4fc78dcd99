"""Bootstrap confidence intervals for all pairwise correlations at once.

One replicate resamples participants (rows of the whole data matrix) with replacement, and the
same resample serves every pair, so the correlations of all pairs in all replicates come from
a few batched matrix products (see :mod:`patalliance.stats._pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from patalliance.stats._checks import check_choice, check_confidence_level
from patalliance.stats._jackknife import loo_pairs
from patalliance.stats._pairs import (
    PairMoments,
    pair_correlations,
    pair_index,
    prepare_pairs,
    to_matrix,
)
from patalliance.stats._resample import (
    block_rows,
    counts_bytes,
    one_blas_thread,
    resample_counts,
)
from patalliance.stats.correlation import (
    _METHODS,
    _MISSING,
    CorrelationMethod,
    MissingPolicy,
)

__all__ = ["BootstrapResult", "bootstrap_correlations", "bootstrap_memory_bytes"]

_CI_METHODS = ("percentile", "bca")
# Replicates per block: at most BLOCK_ELEMENTS resampling counts, and at most this many
# pair moments (6 per pair and replicate), so that a block's arrays stay a few MiB.
_MOMENT_ELEMENTS = 2**18


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap confidence intervals of every correlation of ``x`` with ``y``.

    Every array has shape ``(p, q)``. Floats are unrounded.

    Attributes
    ----------
    r : ndarray of float
        Correlations of the original data (pairwise-complete).
    n : ndarray of int
        Complete pairs in the original data.
    ci_low, ci_high : ndarray of float
        Bootstrap confidence interval; NaN where it cannot be computed (no valid replicate,
        or for BCa a degenerate bias correction or jackknife).
    n_excluded : ndarray of int
        Replicates left out of each pair's interval because the resampled pair had fewer than
        3 complete observations or a constant variable.
    bias_correction : ndarray of float
        BCa bias correction :math:`\\hat z_0`; NaN for the percentile method.
    acceleration : ndarray of float
        BCa acceleration :math:`\\hat a`; NaN for the percentile method.
    n_resamples : int
        Number of bootstrap replicates drawn.
    n_obs : int
        Rows (participants) resampled, after listwise deletion if requested.
    method : str
        ``"pearson"`` or ``"spearman"``.
    ci_method : str
        ``"percentile"`` or ``"bca"``.
    missing : str
        ``"pairwise"`` or ``"listwise"``.
    confidence_level : float
        Confidence level of the intervals.
    x_labels, y_labels : tuple of str
        Column labels of ``x`` and ``y``.
    """

    r: NDArray[np.float64]
    n: NDArray[np.int64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    n_excluded: NDArray[np.int64]
    bias_correction: NDArray[np.float64]
    acceleration: NDArray[np.float64]
    n_resamples: int
    n_obs: int
    method: str
    ci_method: str
    missing: str
    confidence_level: float
    x_labels: tuple[str, ...]
    y_labels: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per pair ``(x, y)``.

        Returns
        -------
        pandas.DataFrame
            Columns ``x, y, method, ci_method, n, r, ci_low, ci_high, n_resamples,
            n_excluded, bias_correction, acceleration, confidence_level``.
        """
        p, q = self.r.shape
        jj, kk = np.divmod(np.arange(p * q), q)
        return pd.DataFrame(
            {
                "x": [self.x_labels[j] for j in jj],
                "y": [self.y_labels[k] for k in kk],
                "method": self.method,
                "ci_method": self.ci_method,
                "n": self.n.ravel(),
                "r": self.r.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
                "n_resamples": self.n_resamples,
                "n_excluded": self.n_excluded.ravel(),
                "bias_correction": self.bias_correction.ravel(),
                "acceleration": self.acceleration.ravel(),
                "confidence_level": self.confidence_level,
            }
        )


def _lerp_quantile(
    sorted_values: NDArray[np.float64], n_valid: NDArray[np.int64], prob: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-row quantile of ``sorted_values`` (P, B), NaNs last, numpy's 'linear' method."""
    npairs = sorted_values.shape[0]
    ok = (n_valid > 0) & np.isfinite(prob)
    m = np.maximum(n_valid, 1)
    h = (m - 1) * np.where(ok, prob, 0.0)
    lo = np.clip(np.floor(h), 0, m - 1).astype(np.intp)
    hi = np.minimum(lo + 1, m - 1)
    t = h - lo
    rows = np.arange(npairs)
    a = sorted_values[rows, lo]
    b = sorted_values[rows, hi]
    diff = b - a
    value = np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
    return np.where(ok, value, np.nan)


def bootstrap_correlations(
    x: ArrayLike,
    y: ArrayLike,
    *,
    method: CorrelationMethod = "pearson",
    missing: MissingPolicy = "pairwise",
    n_resamples: int = 10_000,
    confidence_level: float = 0.95,
    ci_method: str = "percentile",
    rng: np.random.Generator,
) -> BootstrapResult:
    r"""Bootstrap confidence intervals for all pairwise correlations, computed together.

    Parameters
    ----------
    x : array_like, shape (n_obs, p) or (n_obs,)
        Data, one row per participant; NaN marks a missing value.
    y : array_like, shape (n_obs, q) or (n_obs,)
        Second set of variables. Pass ``x`` again for all pairs within ``x`` (then only the
        pairs ``j <= k`` are computed and mirrored).
    method : {"pearson", "spearman"}, default "pearson"
        Correlation coefficient; see :func:`patalliance.stats.correlate`.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Missing-data policy; with ``"listwise"`` the incomplete rows are dropped before
        resampling.
    n_resamples : int, default 10000
        Number of bootstrap replicates.
    confidence_level : float, default 0.95
        Confidence level in (0, 1).
    ci_method : {"percentile", "bca"}, default "percentile"
        Percentile interval, or bias-corrected and accelerated (BCa) interval.
    rng : numpy.random.Generator
        Source of randomness; the result is a deterministic function of its state.

    Returns
    -------
    BootstrapResult
        Arrays of shape (p, q).

    Raises
    ------
    ValueError
        If an option is outside its allowed values, the data are invalid (see
        :func:`patalliance.stats.correlate`), or ``rng`` is not a ``numpy.random.Generator``.

    Notes
    -----
    The row indices of the replicates are drawn in blocks of replicates, in order, as
    ``rng.integers(0, n_obs, size=(rows, n_obs))``: the same numbers as one call
    ``rng.integers(0, n_obs, size=(n_resamples, n_obs))``. Replicate :math:`b` is the data
    matrix with those rows, shared by every pair; its coefficients come from the resampling
    counts of the rows (weighted moments), so time is linear in ``n_resamples × n_obs`` and
    memory is bounded by a block. A replicate in which a pair has fewer than
    three complete observations or a constant variable is degenerate: its coefficient is NaN
    and is left out of that pair's interval (counted in ``n_excluded``).

    With the :math:`B'` valid replicates :math:`r^*_b` of a pair, the percentile interval
    is :math:`[\hat G^{-1}(\alpha/2), \hat G^{-1}(1-\alpha/2)]`, with :math:`\hat G^{-1}` the
    linearly interpolated empirical quantile. The BCa interval (Efron, 1987) uses instead
    the levels

    .. math:: \alpha_{1,2} = \Phi\left(\hat z_0 + \frac{\hat z_0 + z_{\alpha/2,\,1-\alpha/2}}
              {1 - \hat a(\hat z_0 + z_{\alpha/2,\,1-\alpha/2})}\right),\qquad
              \hat z_0 = \Phi^{-1}\left(\frac{\#\{r^*_b < \hat r\} + \#\{r^*_b \le \hat r\}}
              {2B'}\right),

    .. math:: \hat a = \frac{\sum_i (\bar r_{(\cdot)} - r_{(i)})^3}
              {6\left[\sum_i (\bar r_{(\cdot)} - r_{(i)})^2\right]^{3/2}},

    where :math:`r_{(i)}` is the coefficient with participant :math:`i` left out
    (jackknife), over the pair's complete cases only, computed in closed form from the
    downdated sums (:mod:`patalliance.stats._jackknife`). The mid-rank count in
    :math:`\hat z_0` matches ``scipy.stats.bootstrap`` and handles ties of discrete
    statistics such as Spearman's.

    References
    ----------
    .. [1] Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the American
       Statistical Association*, 82(397), 171-185.
    .. [2] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       Chapman & Hall/CRC. Chapters 13-14.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import bootstrap_correlations
    >>> data = np.random.default_rng(1).normal(size=(24, 3))
    >>> data[0, 1] = np.nan
    >>> res = bootstrap_correlations(data, data, n_resamples=2000, rng=np.random.default_rng(7))
    >>> res.ci_low.shape
    (3, 3)
    >>> bool(np.all(res.ci_low <= res.ci_high))
    True
    """
    func = "bootstrap_correlations"
    method = check_choice(method, "method", func, _METHODS)  # type: ignore[assignment]
    missing = check_choice(missing, "missing", func, _MISSING)  # type: ignore[assignment]
    ci_method = check_choice(ci_method, "ci_method", func, _CI_METHODS)
    level = check_confidence_level(confidence_level, func)
    _check_resampling(n_resamples, rng, func)
    xm, ym, x_labels, y_labels, symmetric = prepare_pairs(x, y, missing, func)
    n_obs = xm.shape[0]
    shape = (xm.shape[1], ym.shape[1])
    jj, kk = pair_index(*shape, symmetric)
    n_boot = int(n_resamples)

    r_obs_b, n_obs_b = pair_correlations(xm, ym, jj, kk, np.ones((1, n_obs)), method)
    r_obs, n_pair = r_obs_b[:, 0], np.rint(n_obs_b[:, 0]).astype(np.int64)

    boot = _replicates(xm, ym, jj, kk, method, n_boot, rng)
    valid = ~np.isnan(boot)
    n_valid = valid.sum(axis=1)
    prob_low, prob_high, z0, acc = _interval_levels(
        boot, r_obs, n_valid, (1.0 - level) / 2.0, ci_method, (xm, ym, jj, kk, method)
    )
    boot.sort(axis=1)  # NaN last
    ci_low = _lerp_quantile(boot, n_valid, prob_low)
    ci_high = _lerp_quantile(boot, n_valid, prob_high)

    def mat(v: NDArray[np.generic]) -> NDArray[np.generic]:
        return to_matrix(v, jj, kk, shape, symmetric)

    return BootstrapResult(
        r=mat(r_obs),  # type: ignore[arg-type]
        n=mat(n_pair),  # type: ignore[arg-type]
        ci_low=mat(ci_low),  # type: ignore[arg-type]
        ci_high=mat(ci_high),  # type: ignore[arg-type]
        n_excluded=mat((n_boot - n_valid).astype(np.int64)),  # type: ignore[arg-type]
        bias_correction=mat(z0),  # type: ignore[arg-type]
        acceleration=mat(acc),  # type: ignore[arg-type]
        n_resamples=n_boot,
        n_obs=n_obs,
        method=method,
        ci_method=ci_method,
        missing=missing,
        confidence_level=level,
        x_labels=tuple(x_labels),
        y_labels=tuple(y_labels),
    )


def _check_resampling(n_resamples: object, rng: object, func: str) -> None:
    if (
        isinstance(n_resamples, bool)
        or not isinstance(n_resamples, int | np.integer)
        or n_resamples < 1
    ):
        raise ValueError(
            f"The 'n_resamples' parameter of {func} must be a positive integer, such as "
            f"10000. Got {n_resamples!r} instead."
        )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"The 'rng' parameter of {func} must be a numpy.random.Generator, e.g. "
            f"numpy.random.default_rng(20240314). Got {type(rng).__name__} instead."
        )


def _block(n_obs: int, npairs: int, n_boot: int, method: str) -> int:
    """Replicates per block of resampling counts (Spearman holds about eight arrays of a
    block's size per pair, so its blocks are smaller)."""
    rows = block_rows(n_obs, n_boot, 8 if method == "spearman" else 1)
    return min(rows, max(1, _MOMENT_ELEMENTS // (6 * max(npairs, 1))))


def bootstrap_memory_bytes(n_obs: int, n_x: int, n_y: int, n_resamples: int, method: str) -> int:
    """Bytes that :func:`bootstrap_correlations` holds at its peak, estimated (an upper bound,
    within a small factor of the measured peak).

    The replicates (``n_resamples × pairs``) are held whole, with the masks and counts that
    sort them into an interval; the resampling counts and the pair moments are held for one
    block of replicates at a time; the jackknife holds a few ``n_obs × pairs`` arrays. Nothing
    grows with ``n_resamples × n_obs``.
    """
    npairs = n_x * n_y
    rows = _block(n_obs, npairs, n_resamples, method)
    held = 11 * npairs * n_resamples  # float64 replicates + boolean masks
    block = counts_bytes(n_obs, rows) + rows * 8 * 14 * npairs  # counts, moments, r
    if method == "spearman":
        block += 8 * 10 * rows * n_obs  # weights and ranks of one pair in sort order
    data = 8 * 6 * n_obs * (n_x + n_y)  # centred copies and masks
    jackknife = 8 * 6 * n_obs * npairs + 8 * 40 * n_obs
    return held + block + data + jackknife


def _replicates(
    xm: NDArray[np.float64],
    ym: NDArray[np.float64],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    method: str,
    n_boot: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """The coefficient of every pair in every replicate, (P, n_boot); NaN where degenerate."""
    n_obs = xm.shape[0]
    boot = np.empty((jj.size, n_boot))
    if n_obs == 0:
        boot[:] = np.nan
        return boot
    rows = _block(n_obs, jj.size, n_boot, method)
    moments = PairMoments(xm, ym, jj, kk, method)
    with one_blas_thread():
        for reps, counts in resample_counts(rng, n_obs, n_boot, rows):
            boot[:, reps] = moments.correlations(counts)[0]
    return boot


def _interval_levels(
    boot: NDArray[np.float64],
    r_obs: NDArray[np.float64],
    n_valid: NDArray[np.intp],
    alpha: float,
    ci_method: str,
    data: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], str],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Quantile levels of the interval's ends per pair, with the BCa ``z0`` and acceleration
    (NaN for the percentile interval). ``boot``: (P, B), NaN for invalid replicates."""
    npairs = boot.shape[0]
    z0 = np.full(npairs, np.nan)
    acc = np.full(npairs, np.nan)
    if ci_method == "percentile":
        prob_low = np.full(npairs, alpha)
        prob_high = np.full(npairs, 1.0 - alpha)
        return prob_low, prob_high, z0, acc
    with np.errstate(divide="ignore", invalid="ignore"):
        below = (boot < r_obs[:, None]).sum(axis=1) + (boot <= r_obs[:, None]).sum(axis=1)
        z0 = special.ndtri(below / (2.0 * n_valid))
        acc = _jackknife_acceleration(*data)
        z_a = special.ndtri(alpha)
        num1 = z0 + z_a
        num2 = z0 - z_a
        prob_low = special.ndtr(z0 + num1 / (1.0 - acc * num1))
        prob_high = special.ndtr(z0 + num2 / (1.0 - acc * num2))
    z0 = np.where(np.isnan(r_obs), np.nan, z0)
    return prob_low, prob_high, z0, acc


def _jackknife_acceleration(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    method: str,
) -> NDArray[np.float64]:
    """BCa acceleration from leave-one-participant-out coefficients, per pair (P,)."""
    r_jack = loo_pairs(x, y, jj, kk, method)  # (n_obs, P)
    in_pair = ~np.isnan(x[:, jj]) & ~np.isnan(y[:, kk])
    count = in_pair.sum(axis=0)
    # A NaN leave-one-out coefficient of a complete case makes the acceleration undefined.
    broken = np.any(in_pair & np.isnan(r_jack), axis=0)
    vals = np.where(in_pair, r_jack, 0.0)
    vals = np.nan_to_num(vals)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = vals.sum(axis=0) / count
        d = np.where(in_pair, mean - vals, 0.0)
        acc = (d**3).sum(axis=0) / (6.0 * ((d**2).sum(axis=0)) ** 1.5)
    return np.where(broken | (count < 2), np.nan, acc)
