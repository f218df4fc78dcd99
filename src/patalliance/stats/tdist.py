r"""Student-t tail probabilities: the one place where r becomes t, and t becomes p.

Every test of a (partial) correlation coefficient and every t statistic in the package gets
its two-sided p-value here, so the formula exists once.

References
----------
.. [1] Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.
.. [2] Fisher, R. A. (1915). Frequency distribution of the values of the correlation
   coefficient in samples from an indefinitely large population. *Biometrika*, 10(4),
   507-521.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["correlation_t", "t_two_sided_p"]


def t_two_sided_p(t: ArrayLike, df: ArrayLike) -> Any:
    r"""Two-sided p-value :math:`2\,P(T_{df} \ge |t|)` of a t statistic.

    Parameters
    ----------
    t : array_like of float
        t statistics; NaN propagates.
    df : array_like of float
        Degrees of freedom (broadcast against ``t``); may be fractional (Welch,
        Satterthwaite).

    Returns
    -------
    float or ndarray
        A float for scalar input, else an array of the broadcast shape. An infinite ``t``
        gives 0.

    Notes
    -----
    Uses the Student t cumulative distribution function (``scipy.special.stdtr``):
    :math:`p = 2\,F_{df}(-|t|)`.

    Examples
    --------
    >>> print(f"{t_two_sided_p(2.0, 10):.6f}")
    0.073388
    """
    p = 2.0 * special.stdtr(np.asarray(df, dtype=np.float64), -np.abs(np.asarray(t, dtype=float)))
    return float(p) if np.ndim(p) == 0 else p


def correlation_t(r: ArrayLike, df: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The t statistic and two-sided p-value of a (partial) correlation coefficient.

    Parameters
    ----------
    r : array_like of float
        Coefficients in [-1, 1]; NaN propagates.
    df : array_like of float
        Degrees of freedom: :math:`n - 2` for a correlation of :math:`n` pairs,
        :math:`n - 2 - k` for a partial correlation with :math:`k` covariates.

    Returns
    -------
    t, p : ndarray of float
        Arrays of the broadcast shape. ``p`` is NaN where ``r`` is NaN or ``df < 1``; an
        ``|r| = 1`` gives an infinite t and ``p = 0``.

    Notes
    -----
    .. math:: t = r\sqrt{\frac{df}{1 - r^2}},\qquad p = 2\,P(T_{df} \ge |t|),

    the test of :math:`\rho = 0` used by ``scipy.stats.pearsonr``, ``scipy.stats.spearmanr``
    and ``pingouin.partial_corr``. :math:`1 - r^2` is computed as :math:`(1 + r)(1 - r)` to
    keep precision near :math:`|r| = 1`.

    Examples
    --------
    >>> t, p = correlation_t(0.5, 18)
    >>> print(f"{float(t):.4f} {float(p):.6f}")
    2.4495 0.024770
    """
    r_arr = np.asarray(r, dtype=np.float64)
    df_arr = np.asarray(df, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r_arr * np.sqrt(df_arr / ((1.0 + r_arr) * (1.0 - r_arr)))
        p = 2.0 * special.stdtr(df_arr, -np.abs(t))
    p = np.where(np.isnan(r_arr) | (df_arr < 1), np.nan, np.minimum(p, 1.0))
    return np.asarray(t, dtype=np.float64), np.asarray(p, dtype=np.float64)
