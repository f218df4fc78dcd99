r"""Adjustment of p-values for multiple testing: Holm and Benjamini–Hochberg.

The one implementation of both procedures in the package. :func:`adjust_pvalues` adjusts one
family of tests (any shape, NaN for a test that could not be done); :func:`adjust_pvalues_batch`
adjusts many families at once, one per row, for the Monte Carlo power engine.

With the :math:`m` p-values of a family sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`,

.. math::

    \tilde p_{(i)}^{\text{Holm}} = \min\Bigl(1, \max_{j \le i} (m - j + 1)\, p_{(j)}\Bigr),
    \qquad
    \tilde p_{(i)}^{\text{BH}} = \min\Bigl(1, \min_{j \ge i} \frac{p_{(j)}}{j/m}\Bigr).

These are the adjusted p-values of ``statsmodels.stats.multitest.multipletests`` (methods
``"holm"`` and ``"fdr_bh"``), which the tests use as the reference.

References
----------
.. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   *Scandinavian Journal of Statistics*, 6(2), 65-70.
.. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A
   practical and powerful approach to multiple testing. *Journal of the Royal Statistical
   Society: Series B*, 57(1), 289-300.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patalliance.stats._checks import check_choice

__all__ = ["ADJUST_METHODS", "AdjustMethod", "adjust_pvalues", "adjust_pvalues_batch"]

AdjustMethod = Literal["none", "holm", "fdr_bh"]
ADJUST_METHODS: tuple[str, ...] = ("none", "holm", "fdr_bh")


def _adjust_rows(p: NDArray[np.float64], method: str) -> NDArray[np.float64]:
    """Adjust along the last axis (no NaN, values in [0, 1]; unchecked)."""
    m = p.shape[-1]
    if method == "none" or m <= 1:
        return p.copy()
    order = np.argsort(p, axis=-1, kind="stable")
    ps = np.take_along_axis(p, order, axis=-1)
    if method == "holm":
        adj = np.maximum.accumulate(ps * np.arange(m, 0, -1), axis=-1)
    else:  # fdr_bh
        raw = ps / (np.arange(1, m + 1) / m)
        adj = np.minimum.accumulate(raw[..., ::-1], axis=-1)[..., ::-1]
    np.minimum(adj, 1.0, out=adj)
    out = np.empty_like(p)
    np.put_along_axis(out, order, adj, axis=-1)
    return out


def adjust_pvalues(p: ArrayLike, *, method: AdjustMethod = "none") -> NDArray[np.float64]:
    """Adjust one family of p-values for multiple testing, ignoring missing ones.

    Parameters
    ----------
    p : array_like of float
        Unadjusted p-values in [0, 1], any shape; NaN marks a test that could not be done.
        The family is every non-NaN entry.
    method : {"none", "holm", "fdr_bh"}, default "none"
        ``"holm"``: Holm's step-down family-wise error control; ``"fdr_bh"``:
        Benjamini-Hochberg false discovery rate; ``"none"``: the p-values unchanged.

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
    See the module docstring for the formulas and references.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, np.nan, 0.03], method="holm").tolist()
    [0.03, 0.06, nan, 0.06]
    """
    func = "adjust_pvalues"
    check_choice(method, "method", func, ADJUST_METHODS)
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
    out[finite] = _adjust_rows(arr[finite], method)
    return out


def adjust_pvalues_batch(p: ArrayLike, *, method: str) -> NDArray[np.float64]:
    r"""Adjust p-values along the last axis, for many families of tests at once.

    Parameters
    ----------
    p : array_like of float
        p-values, shape ``(..., m)``; every row along the last axis is one family of ``m``
        tests. Values must lie in [0, 1] (no NaN).
    method : {"none", "holm", "fdr_bh"}
        As :func:`adjust_pvalues`.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape as ``p``. A test is rejected at level
        :math:`\alpha` when its adjusted p-value is at most :math:`\alpha`.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``p`` is a scalar, or ``p`` has values outside [0, 1].

    Notes
    -----
    The formulas of the module docstring, for every row at once with one sort and one
    cumulative maximum (or minimum) along the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.01, 0.04, 0.03], [0.20, 0.001, 0.02]])
    >>> adjust_pvalues_batch(p, method="holm")
    array([[0.03 , 0.06 , 0.06 ],
           [0.2  , 0.003, 0.04 ]])
    """
    check_choice(method, "method", "adjust_pvalues_batch", ADJUST_METHODS)
    arr = np.array(p, dtype=float)
    if arr.ndim == 0:
        raise ValueError(
            "The 'p' parameter of adjust_pvalues_batch must have at least one dimension. "
            "Got a scalar instead."
        )
    if np.any(np.isnan(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(
            "The 'p' parameter of adjust_pvalues_batch must hold p-values in [0, 1]. "
            "Got values outside [0, 1] (or NaN) instead."
        )
    return _adjust_rows(arr, method)


def adjust_rows_unchecked(p: NDArray[np.float64], method: str) -> NDArray[np.float64]:
    """:func:`adjust_pvalues_batch` without the checks, for the power engine's inner loop."""
    return _adjust_rows(p, method)
