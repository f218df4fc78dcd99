r"""ICC(1): the one-way random-effects intraclass correlation of a variable by cluster.

Used for facilitator effects: how much of the variance of alliance lies between
facilitators (Shrout & Fleiss, 1979; McGraw & Wong, 1996).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from patalliance.status import Status

__all__ = ["ICCResult", "icc1"]


@dataclass(frozen=True)
class ICCResult:
    """ICC(1) of one variable by cluster. ``status``: ``ok`` or ``not_estimable``."""

    variable: str
    n: int
    n_clusters: int
    n_singletons: int
    k0: float
    ms_between: float
    ms_within: float
    f: float
    df1: float
    df2: float
    p: float
    icc: float
    ci_low: float
    ci_high: float
    confidence_level: float
    status: Status = Status.OK
    reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame."""
        return pd.DataFrame([asdict(self)])


def icc1(
    values: ArrayLike,
    clusters: ArrayLike,
    *,
    confidence_level: float = 0.95,
    name: str = "x",
    cluster_name: str = "cluster",
) -> ICCResult:
    r"""ICC(1): one-way random-effects intraclass correlation of ``values`` by ``clusters``.

    Parameters
    ----------
    values : array_like of float, shape (n_obs,)
        The variable (e.g. alliance); NaN rows are left out.
    clusters : array_like, shape (n_obs,)
        Cluster labels (e.g. facilitators); missing labels (NaN, ``""``, ``"nan"``) are left out.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    name : str, default "x"
        Label stored in the result.
    cluster_name : str, default "cluster"
        What a cluster is (e.g. ``"facilitator"``), for the ``reason`` of a failure.

    Returns
    -------
    ICCResult
        ``status = not_estimable`` with fewer than two clusters or no within-cluster
        replication.

    Notes
    -----
    With :math:`a` clusters of sizes :math:`n_i` and :math:`N = \sum n_i`,
    :math:`MS_B = \sum n_i(\bar y_i - \bar y)^2/(a-1)`, :math:`MS_W = \sum\sum (y_{ij} -
    \bar y_i)^2/(N-a)` and :math:`k_0 = (N - \sum n_i^2/N)/(a-1)` (the mean cluster size when
    balanced),

    .. math:: \mathrm{ICC}(1) = \frac{MS_B - MS_W}{MS_B + (k_0 - 1) MS_W}.

    With :math:`F = MS_B/MS_W`, :math:`F_L = F / F_{1-\alpha/2}(a-1, N-a)` and
    :math:`F_U = F \cdot F_{1-\alpha/2}(N-a, a-1)`, the interval is
    :math:`[(F_L - 1)/(F_L + k_0 - 1),\ (F_U - 1)/(F_U + k_0 - 1)]` (Shrout & Fleiss,
    1979; McGraw & Wong, 1996, Table 7, case 1). For balanced data this is ``ICC1`` of
    ``pingouin.intraclass_corr``.

    References
    ----------
    .. [1] Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing
       rater reliability. *Psychological Bulletin*, 86(2), 420-428.
    .. [2] McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
       correlation coefficients. *Psychological Methods*, 1(1), 30-46.

    Examples
    --------
    >>> from patalliance.stats import icc1
    >>> res = icc1([1, 2, 3, 5, 6, 7, 2, 3, 4], ["A", "A", "A", "B", "B", "B", "C", "C", "C"])
    >>> print(f"{res.icc:.4f}")
    0.8000
    """
    level = float(confidence_level)
    v = np.asarray(values, dtype=np.float64)
    raw = pd.Series(np.asarray(clusters, dtype=object))
    c = raw.astype(str).to_numpy()
    ok = ~np.isnan(v) & ~raw.isna().to_numpy() & ~np.isin(c, ["", "nan", "None", "<NA>"])
    v, c = v[ok], c[ok]
    codes, uniq = pd.factorize(pd.Series(c))
    a, n = len(uniq), v.size
    sizes = np.bincount(codes, minlength=a) if a else np.zeros(0, dtype=int)
    nan = float("nan")
    singles = int(np.sum(sizes == 1))
    if a < 2 or n - a < 1:
        why = (
            f"{a} {cluster_name}(s): an ICC needs at least two"
            if a < 2
            else f"no {cluster_name} has more than one observation"
        )
        return ICCResult(name, n, a, singles, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                         nan, level, Status.NOT_ESTIMABLE, why)  # fmt: skip
    means = np.bincount(codes, weights=v, minlength=a) / sizes
    grand = v.mean()
    msb = float(np.sum(sizes * (means - grand) ** 2) / (a - 1))
    msw = float(np.sum((v - means[codes]) ** 2) / (n - a))
    k0 = float((n - np.sum(sizes**2) / n) / (a - 1))
    df1, df2 = float(a - 1), float(n - a)
    if msw == 0:
        return ICCResult(name, n, a, singles, k0, msb, msw, nan, df1, df2, nan, nan, nan, nan,
                         level, Status.NOT_ESTIMABLE, f"no variance within {cluster_name}s")  # fmt: skip
    f = msb / msw
    icc = (msb - msw) / (msb + (k0 - 1.0) * msw)
    q = 0.5 + level / 2.0
    fl = f / stats.f.ppf(q, df1, df2)
    fu = f * stats.f.ppf(q, df2, df1)
    return ICCResult(
        variable=name,
        n=int(n),
        n_clusters=int(a),
        n_singletons=singles,
        k0=k0,
        ms_between=msb,
        ms_within=msw,
        f=float(f),
        df1=df1,
        df2=df2,
        p=float(stats.f.sf(f, df1, df2)),
        icc=float(icc),
        ci_low=float((fl - 1.0) / (fl + k0 - 1.0)),
        ci_high=float((fu - 1.0) / (fu + k0 - 1.0)),
        confidence_level=level,
    )
