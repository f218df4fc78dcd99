r"""Case-deletion diagnostics of a correlation: r and p with each case left out in turn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.stats._jackknife import loo_pearson, loo_spearman
from patalliance.stats.tdist import correlation_t

__all__ = ["LeaveOneOut", "leave_one_out"]


@dataclass(frozen=True)
class LeaveOneOut:
    """Correlations with each participant left out in turn (complete cases of the pair)."""

    participants: tuple[str, ...]
    r: NDArray[np.float64]
    p: NDArray[np.float64]
    n: int

    def to_frame(self) -> pd.DataFrame:
        """One row per participant left out: ``participant_id, r, p``."""
        return pd.DataFrame({"participant_id": list(self.participants), "r": self.r, "p": self.p})


def leave_one_out(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    ids: list[str] | tuple[str, ...],
    *,
    method: str = "pearson",
) -> LeaveOneOut:
    r"""Correlation of ``x`` and ``y`` with each complete case left out in turn.

    Parameters
    ----------
    x, y : ndarray of float, shape (n_obs,)
        The pair; rows with NaN in either are not part of the pair and are not left out.
    ids : sequence of str
        Participant ids of the rows.
    method : {"pearson", "spearman"}, default "pearson"
        Spearman re-ranks the remaining :math:`n - 1` cases each time.

    Returns
    -------
    LeaveOneOut
        ``r[i]`` and ``p[i]`` without participant ``participants[i]``.

    Notes
    -----
    All :math:`n` coefficients come in closed form from the sums of the pair less each
    case's own terms (for Spearman, the ranks less the shift that removing one case makes:
    1 for the cases above it, 1/2 for those tied with it), in :math:`O(n)` time for Pearson
    and :math:`O(n \log^2 n)` for Spearman, never re-ranking or copying the :math:`n - 1`
    remaining cases :math:`n` times (:mod:`patalliance.stats._jackknife`). A coefficient is
    NaN when a variable is constant over the remaining cases. :math:`p` is the t-test of r
    on :math:`n - 3` degrees of freedom. This is the case-deletion diagnostic of Cook (1977)
    applied to r.

    References
    ----------
    .. [1] Cook, R. D. (1977). Detection of influential observation in linear regression.
       *Technometrics*, 19(1), 15-18.

    Examples
    --------
    >>> import numpy as np
    >>> from patalliance.stats import leave_one_out
    >>> res = leave_one_out(np.array([1.0, 2, 3, 4, 10]), np.array([1.0, 3, 2, 4, 10]),
    ...                     ["a", "b", "c", "d", "e"])
    >>> res.participants[int(np.argmin(res.r))]
    'e'
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not len(ids) == x.size == y.size:
        raise ValueError(
            "The 'x', 'y' and 'ids' parameters of leave_one_out must have the same length. "
            f"Got {x.size}, {y.size} and {len(ids)} instead."
        )
    ok = ~(np.isnan(x) | np.isnan(y))
    xs, ys = x[ok], y[ok]
    pid = tuple(map(str, np.asarray(ids, dtype=object)[ok]))
    n = xs.size
    if n < 4:
        empty = np.full(n, np.nan)
        return LeaveOneOut(pid, empty, empty.copy(), n)
    r = loo_spearman(xs, ys) if method == "spearman" else loo_pearson(xs, ys)
    _, p = correlation_t(r, n - 3)
    return LeaveOneOut(pid, r, p, n)
