"""Diagnostics of a pooled analysis: leave-one-out influence, Egger's test, subgroups.

Each function works on the pooling scale and returns frozen results with ``to_frame()``;
values on the analysis scale (r back-transformed from z) are filled in by the caller through
``measure``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from patalliance.pool.model import Method, RandomEffects, random_effects
from patalliance.pool.studies import to_analysis_scale
from patalliance.status import Status

__all__ = [
    "EGGER_MIN_STUDIES",
    "EggerTest",
    "LeaveOneOut",
    "OmittedStudy",
    "SubgroupAnalysis",
    "egger_test",
    "leave_one_out",
    "subgroup_analysis",
]

#: Egger's test is run with at least this many studies (Sterne et al., 2011).
EGGER_MIN_STUDIES = 10


@dataclass(frozen=True)
class OmittedStudy:
    """The model refitted without one study (estimate and interval on the analysis scale)."""

    omitted: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    status: Status = Status.OK


@dataclass(frozen=True)
class LeaveOneOut:
    """Leave-one-out influence analysis: one refit per omitted study."""

    method: str
    hksj: bool
    confidence_level: float
    records: tuple[OmittedStudy, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per omitted study."""
        cols = ["omitted", "k", "estimate", "ci_low", "ci_high", "tau2", "i2", "q", "status"]
        return pd.DataFrame([asdict(r) for r in self.records], columns=cols)


def leave_one_out(
    effect: np.ndarray,
    se: np.ndarray,
    studies: list[str],
    *,
    measure: str,
    method: Method = "REML",
    hksj: bool = False,
    confidence_level: float = 0.95,
) -> LeaveOneOut:
    """Refit the random-effects model k times, each time without one study.

    Parameters
    ----------
    effect, se : numpy.ndarray
        Effects on the pooling scale and their SEs.
    studies : list of str
        Study ids, in the same order.
    measure : str, keyword-only
        ``r`` back-transforms estimates and intervals from Fisher's z.
    method, hksj, confidence_level : keyword-only
        As in :func:`patalliance.pool.model.random_effects`.

    Returns
    -------
    LeaveOneOut
        Empty when k < 3 (a refit would have fewer than 2 studies).

    Notes
    -----
    The estimate without study i, :math:`\\hat\\mu_{(-i)}`, uses the same τ² estimator
    re-estimated on the remaining k − 1 studies (Viechtbauer & Cheung, 2010).

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. *Research Synthesis Methods*, 1(2), 112–125. https://doi.org/10.1002/jrsm.11
    """
    records = []
    k = len(effect)
    if k >= 3:
        for i in range(k):
            keep = np.arange(k) != i
            fit = random_effects(
                effect[keep],
                se[keep],
                method=method,
                hksj=hksj,
                confidence_level=confidence_level,
            )
            records.append(
                OmittedStudy(
                    omitted=studies[i],
                    k=fit.k,
                    estimate=to_analysis_scale(fit.estimate, measure),
                    ci_low=to_analysis_scale(fit.ci_low, measure),
                    ci_high=to_analysis_scale(fit.ci_high, measure),
                    tau2=fit.tau2,
                    i2=fit.i2,
                    q=fit.q,
                    status=fit.status,
                )
            )
    return LeaveOneOut(method, hksj, confidence_level, tuple(records))


@dataclass(frozen=True)
class EggerTest:
    """Egger's regression test for funnel-plot asymmetry (small-study effects).

    ``intercept`` is the estimated bias (on the pooling scale); ``t``, ``df`` and ``p`` test
    it against 0. ``status`` is ``not_estimable`` with a ``reason`` when k < 10.
    """

    k: int
    intercept: float
    intercept_se: float
    ci_low: float
    ci_high: float
    slope: float
    t: float
    df: float
    p: float
    confidence_level: float
    min_studies: int = EGGER_MIN_STUDIES
    status: Status = Status.OK
    reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row with every field."""
        row = asdict(self)
        row["status"] = str(self.status)
        return pd.DataFrame([row])


def egger_test(
    effect: np.ndarray,
    se: np.ndarray,
    *,
    confidence_level: float = 0.95,
    min_studies: int = EGGER_MIN_STUDIES,
) -> EggerTest:
    """Egger's regression test, run only with ``min_studies`` (10) or more studies.

    Parameters
    ----------
    effect, se : numpy.ndarray
        Effects on the pooling scale and their SEs.
    confidence_level : float, keyword-only
        Level of the interval for the intercept.
    min_studies : int, keyword-only
        Fewer studies give ``status = not_estimable`` with the reason (default 10: with fewer
        studies the test has too little power to tell chance from asymmetry).

    Returns
    -------
    EggerTest

    Notes
    -----
    Ordinary least squares of the standardised effect on the precision,

    .. math:: \\frac{y_i}{SE_i} = \\beta_0 + \\beta_1 \\frac{1}{SE_i} + \\varepsilon_i,

    and a t test of :math:`\\beta_0 = 0` on k − 2 df.

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in meta-analysis
    detected by a simple, graphical test. *BMJ*, 315(7109), 629–634.
    https://doi.org/10.1136/bmj.315.7109.629

    Sterne, J. A. C., Sutton, A. J., Ioannidis, J. P. A., et al. (2011). Recommendations for
    examining and interpreting funnel plot asymmetry in meta-analyses of randomised controlled
    trials. *BMJ*, 343, d4002. https://doi.org/10.1136/bmj.d4002
    """
    k = len(effect)
    nan = math.nan
    if k < min_studies:
        return EggerTest(
            k, nan, nan, nan, nan, nan, nan, nan, nan, confidence_level, min_studies,
            Status.NOT_ESTIMABLE,
            f"Egger's test needs at least {min_studies} studies (k = {k}); with fewer it "
            "cannot tell funnel-plot asymmetry from chance (Sterne et al., 2011)",
        )  # fmt: skip
    z = effect / se
    x = np.column_stack([np.ones(k), 1 / se])
    beta, *_ = np.linalg.lstsq(x, z, rcond=None)
    resid = z - x @ beta
    df = k - 2
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * np.linalg.inv(x.T @ x)
    se0 = math.sqrt(float(cov[0, 0]))
    t = float(beta[0]) / se0
    crit = float(stats.t.ppf(0.5 + confidence_level / 2, df))
    return EggerTest(
        k=k,
        intercept=float(beta[0]),
        intercept_se=se0,
        ci_low=float(beta[0]) - crit * se0,
        ci_high=float(beta[0]) + crit * se0,
        slope=float(beta[1]),
        t=t,
        df=float(df),
        p=float(2 * stats.t.sf(abs(t), df)),
        confidence_level=confidence_level,
        min_studies=min_studies,
    )


@dataclass(frozen=True)
class SubgroupModel:
    """The random-effects model within one subgroup (estimate on the analysis scale)."""

    subgroup: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    model: RandomEffects
    note: str = ""


@dataclass(frozen=True)
class SubgroupAnalysis:
    """Separate random-effects models per subgroup and the test of subgroup differences."""

    column: str
    groups: tuple[SubgroupModel, ...]
    q_between: float
    df: float
    p: float
    confidence_level: float
    status: Status = Status.OK
    reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per subgroup."""
        cols = ["subgroup", "k", "estimate", "ci_low", "ci_high", "tau2", "i2", "note"]
        rows = [{c: getattr(g, c) for c in cols} for g in self.groups]
        return pd.DataFrame(rows, columns=cols)


def subgroup_analysis(
    effect: np.ndarray,
    se: np.ndarray,
    groups: list[str],
    *,
    measure: str,
    method: Method = "REML",
    hksj: bool = False,
    confidence_level: float = 0.95,
    column: str = "subgroup",
) -> SubgroupAnalysis:
    """Random-effects models within each subgroup and a test of subgroup differences.

    Parameters
    ----------
    effect, se : numpy.ndarray
        Effects on the pooling scale and their SEs.
    groups : list of str
        Each study's subgroup (a categorical column).
    measure, method, hksj, confidence_level : keyword-only
        As in :func:`leave_one_out`.
    column : str, keyword-only
        Name of the grouping column, for the report.

    Returns
    -------
    SubgroupAnalysis
        ``not_estimable`` with fewer than 2 subgroups.

    Notes
    -----
    Each subgroup g gets its own τ² (a subgroup of one study contributes its own effect and
    SE). With :math:`\\hat\\mu_g` and :math:`SE_g`, the test of differences is

    .. math:: Q_B = \\sum_g \\frac{(\\hat\\mu_g - \\bar\\mu)^2}{SE_g^2}, \\quad
              \\bar\\mu = \\frac{\\sum_g \\hat\\mu_g / SE_g^2}{\\sum_g 1/SE_g^2},

    referred to :math:`\\chi^2` with G − 1 df (Borenstein et al., 2009, ch. 19).

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    *Introduction to meta-analysis*, chapter 19. Wiley. https://doi.org/10.1002/9780470743386
    """
    names = sorted(set(groups))
    fitted = []
    mus, ses = [], []
    for name in names:
        idx = np.array([g == name for g in groups])
        fit = random_effects(
            effect[idx], se[idx], method=method, hksj=hksj, confidence_level=confidence_level
        )
        if fit.k == 1:
            mu, s, note = float(effect[idx][0]), float(se[idx][0]), "single study"
            crit = float(stats.norm.ppf(0.5 + confidence_level / 2))
            lo, hi = mu - crit * s, mu + crit * s
        else:
            mu, s, note, lo, hi = fit.estimate, fit.se, "", fit.ci_low, fit.ci_high
        mus.append(mu)
        ses.append(s)
        fitted.append(
            SubgroupModel(
                subgroup=name,
                k=fit.k,
                estimate=to_analysis_scale(mu, measure),
                ci_low=to_analysis_scale(lo, measure),
                ci_high=to_analysis_scale(hi, measure),
                tau2=fit.tau2,
                i2=fit.i2,
                model=fit,
                note=note,
            )
        )
    if len(names) < 2:
        return SubgroupAnalysis(
            column, tuple(fitted), math.nan, math.nan, math.nan, confidence_level,
            Status.NOT_ESTIMABLE, "a subgroup analysis needs at least 2 subgroups",
        )  # fmt: skip
    m, w = np.array(mus), 1 / np.array(ses) ** 2
    pooled = float(w @ m / w.sum())
    q_b = float(w @ (m - pooled) ** 2)
    df = len(names) - 1
    return SubgroupAnalysis(
        column, tuple(fitted), q_b, float(df), float(stats.chi2.sf(q_b, df)), confidence_level
    )
