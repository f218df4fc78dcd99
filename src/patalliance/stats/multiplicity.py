"""Adjustment of p-values for multiple testing within a family."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from statsmodels.stats.multitest import multipletests

from patalliance.stats.correlation import _check_choice

__all__ = ["adjust_pvalues"]

AdjustMethod = Literal["none", "holm", "fdr_bh"]
_ADJUST = ("none", "holm", "fdr_bh")


def adjust_pvalues(p: ArrayLike, *, method: AdjustMethod = "none") -> NDArray[np.float64]:
    r"""Adjust a family of p-values for multiple testing, ignoring missing ones.

    Parameters
    ----------
    p : array_like of float
        Unadjusted p-values in [0, 1], any shape; NaN marks a test that could not be done.
        The family is every non-NaN entry.
    method : {"none", "holm", "fdr_bh"}, default "none"
        ``"holm"``: Holm's step-down family-wise error control; ``"fdr_bh"``:
        Benjamini-Hochberg false discovery rate; ``"none"``: returns the p-values unchanged.

    Returns
    -------
    ndarray of float
        Adjusted p-values, same shape as ``p``; NaN stays NaN.

    Raises
    ------
    ValueError
        If ``method`` is not allowed or ``p`` has values outside [0, 1].

    Notes
    -----
    With the :math:`m` non-missing p-values sorted,
    :math:`p_{(1)} \le \dots \le p_{(m)}`, Holm's adjusted values are

    .. math:: \tilde p_{(i)} = \min\left(1, \max_{j \le i} (m - j + 1)\, p_{(j)}\right),

    and Benjamini-Hochberg's are

    .. math:: \tilde p_{(i)} = \min\left(1, \min_{j \ge i} \frac{m}{j}\, p_{(j)}\right).

    Both are computed by ``statsmodels.stats.multitest.multipletests``.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       *Scandinavian Journal of Statistics*, 6(2), 65-70.
    .. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A
       practical and powerful approach to multiple testing. *Journal of the Royal
       Statistical Society: Series B*, 57(1), 289-300.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, np.nan, 0.03], method="holm").tolist()
    [0.03, 0.06, nan, 0.06]
    """
    func = "adjust_pvalues"
    _check_choice(method, "method", func, _ADJUST)
    try:
        arr = np.array(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'p' parameter of {func} must be an array of numbers in [0, 1] (NaN for "
            f"missing). Got {type(p).__name__} with non-numeric entries instead."
        ) from None
    finite = ~np.isnan(arr)
    if np.any((arr[finite] < 0) | (arr[finite] > 1)):
        bad = arr[finite][(arr[finite] < 0) | (arr[finite] > 1)][0]
        raise ValueError(
            f"The 'p' parameter of {func} must hold p-values in [0, 1] (NaN for missing). "
            f"Got {bad!r} instead."
        )
    out = arr.copy()
    if method == "none" or not finite.any():
        return out
    out[finite] = multipletests(arr[finite], method=method)[1]
    return out
