"""The positive-definite correlation matrix nearest a given one, within bounds.

Kept apart from the calibration code so that power planning uses it without loading
:mod:`scipy.stats`.

References
----------
.. [1] Higham, N. J. (2002). Computing the nearest correlation matrix: a problem from
   finance. *IMA Journal of Numerical Analysis*, 22(3), 329-343.
"""

from __future__ import annotations

import numpy as np

__all__ = ["complete_correlation"]


def complete_correlation(
    center: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, eps: float = 1e-3, iterations: int = 2000
) -> np.ndarray | None:
    """A positive-definite correlation matrix with entries in ``[lo, hi]``, near ``center``.

    Dykstra's alternating projections (Higham 2002) between the matrices with eigenvalues
    ``>= eps`` and the unit-diagonal matrices inside the box. None when they do not meet.
    """
    x = center.copy()
    dy = np.zeros_like(x)
    for _ in range(iterations):
        r = x - dy
        w, v = np.linalg.eigh((r + r.T) / 2)
        y = (v * np.maximum(w, eps)) @ v.T
        dy = y - r
        x = np.clip(y, lo, hi)
        np.fill_diagonal(x, 1.0)
        if np.linalg.eigvalsh(x).min() >= eps / 2:
            return x
    return None
