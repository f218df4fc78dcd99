"""Facilitator effects (``[[analysis.facilitator]]``): does alliance depend on the dyad?

Uses the participants file's ``facilitator`` column (a facilitator or facilitator-pair id).
For each alliance variable: ICC(1) by facilitator with its F-based interval; for each
alliance × outcome pair: the association with a facilitator random intercept. Few clusters
(< 5) or singleton clusters make the between-facilitator variance poorly estimated; the
results then carry an explicit warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from patalliance.analysis.mixed import fit_random_intercept
from patalliance.derive import AnalysisTable
from patalliance.study import Study

__all__ = ["ICCResult", "icc1", "run_facilitator"]

MIN_CLUSTERS = 5


@dataclass(frozen=True)
class ICCResult:
    """ICC(1) of one variable by cluster. ``status``: ``"ok"`` or ``"not estimable"``."""

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
    status: str = "ok"
    reason: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame."""
        row = asdict(self)
        row["warnings"] = "; ".join(self.warnings)
        return pd.DataFrame([row])


def cluster_warnings(sizes: np.ndarray) -> list[str]:
    """Warnings about too few clusters (< 5) or singleton clusters."""
    out = []
    if sizes.size < MIN_CLUSTERS:
        out.append(
            f"only {sizes.size} facilitator(s): at least {MIN_CLUSTERS} are needed to estimate "
            f"the between-facilitator variance with any precision"
        )
    singles = int(np.sum(sizes == 1))
    if singles:
        out.append(
            f"{singles} facilitator(s) saw a single participant; a singleton cluster carries "
            f"no information about within-facilitator variance"
        )
    return out


def icc1(
    values: ArrayLike,
    clusters: ArrayLike,
    *,
    confidence_level: float = 0.95,
    name: str = "x",
) -> ICCResult:
    r"""ICC(1): one-way random-effects intraclass correlation of ``values`` by ``clusters``.

    Parameters
    ----------
    values : array_like of float, shape (n_obs,)
        The variable (e.g. alliance); NaN rows are left out.
    clusters : array_like, shape (n_obs,)
        Cluster labels (facilitators); missing labels (NaN, ``""``, ``"nan"``) are left out.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    name : str, default "x"
        Label stored in the result.

    Returns
    -------
    ICCResult
        ``status = "not estimable"`` with fewer than two clusters or no within-cluster
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
    >>> from patalliance.analysis.facilitator import icc1
    >>> res = icc1([1, 2, 3, 5, 6, 7, 2, 3, 4], ["A", "A", "A", "B", "B", "B", "C", "C", "C"])
    >>> print(f"{res.icc:.4f}")
    0.8000
    """
    level = float(confidence_level)
    v = np.asarray(values, dtype=np.float64)
    c = pd.Series(np.asarray(clusters, dtype=object)).astype(str).to_numpy()
    ok = ~np.isnan(v) & ~np.isin(c, ["", "nan", "None", "<NA>"])
    v, c = v[ok], c[ok]
    codes, uniq = pd.factorize(pd.Series(c))
    a, n = len(uniq), v.size
    sizes = np.bincount(codes, minlength=a) if a else np.zeros(0, dtype=int)
    notes = cluster_warnings(sizes)
    nan = float("nan")
    singles = int(np.sum(sizes == 1))
    if a < 2 or n - a < 1:
        why = (
            f"{a} facilitator(s): an ICC needs at least two"
            if a < 2
            else "no facilitator saw more than one participant"
        )
        return ICCResult(name, n, a, singles, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                         nan, level, "not estimable", why, tuple(notes))  # fmt: skip
    means = np.bincount(codes, weights=v, minlength=a) / sizes
    grand = v.mean()
    msb = float(np.sum(sizes * (means - grand) ** 2) / (a - 1))
    msw = float(np.sum((v - means[codes]) ** 2) / (n - a))
    k0 = float((n - np.sum(sizes**2) / n) / (a - 1))
    df1, df2 = float(a - 1), float(n - a)
    if msw == 0:
        return ICCResult(name, n, a, singles, k0, msb, msw, nan, df1, df2, nan, nan, nan, nan,
                         level, "not estimable", "no variance within facilitators",
                         tuple(notes))  # fmt: skip
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
        warnings=tuple(notes),
    )


def run_facilitator(study: Study, table: AnalysisTable) -> dict[str, Any]:
    """The ``facilitator`` results section: ICCs, random-intercept models and warnings."""
    level = study.analysis.confidence_level
    fac = table.facilitators.astype(str).to_numpy()
    present = ~np.isin(fac, ["", "nan", "None", "<NA>"])
    if not present.any():
        return {
            "status": "not estimable",
            "reason": "the participants file has no 'facilitator' column (or it is empty)",
            "icc": [],
            "models": [],
            "warnings": [],
        }
    sizes = pd.Series(fac[present]).value_counts()
    section: dict[str, Any] = {
        "status": "ok",
        "n_facilitators": len(sizes),
        "cluster_sizes": {str(k): int(v) for k, v in sizes.sort_index().items()},
        "icc": [],
        "models": [],
        "warnings": cluster_warnings(sizes.to_numpy()),
    }
    for spec in study.analysis.facilitator:
        for var in spec.alliance:
            res = icc1(table.values[var].to_numpy(dtype=float), fac, confidence_level=level,
                       name=var)  # fmt: skip
            section["icc"].append(asdict(res))
            for outcome in spec.outcomes:
                x = table.values[var].to_numpy(dtype=float)
                y = table.values[outcome].to_numpy(dtype=float)
                ok = ~np.isnan(x) & ~np.isnan(y) & present
                model = fit_random_intercept(
                    y[ok],
                    np.column_stack([np.ones(int(ok.sum())), x[ok]]),
                    fac[ok],
                    names=["Intercept", var],
                    focus=var,
                    outcome=outcome,
                    groups_name="facilitator",
                    confidence_level=level,
                )
                section["models"].append(model.to_dict())
    if all(r["status"] != "ok" for r in section["icc"]) and section["icc"]:
        section["status"] = "not estimable"
        section["reason"] = section["icc"][0]["reason"]
    return section
