"""Efficacy: treatment versus control arm at each timepoint (``[[analysis.efficacy]]``).

This is the primary analysis of a waiting-list-controlled trial such as Davis et al. (2021):
at each timepoint, the arms' means and SDs, Welch's t-test of the difference, the
baseline-adjusted difference (ANCOVA), Cohen's d with the pooled SD and Hedges' g, and the
response and remission rates per arm with Wilson intervals.

Signs are oriented to **benefit**: with ``improvement = "lower"`` (the default, as for a
depression score) the difference is control − treatment, so a positive difference and a
positive d favour the treatment arm. ``contrast`` in each record says which way it was taken.

References
----------
.. [1] Davis, A. K., Barrett, F. S., May, D. G., Cosimano, M. P., Sepeda, N. D., Johnson,
   M. W., Finan, P. H., & Griffiths, R. R. (2021). Effects of psilocybin-assisted therapy on
   major depressive disorder: A randomized clinical trial. *JAMA Psychiatry*, 78(5), 481-489.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from patalliance.derive import AnalysisTable
from patalliance.stats.group import ancova, cohens_d, welch_t, wilson_interval
from patalliance.study import EfficacySpec, Study

__all__ = ["DAVIS_2021", "EfficacyComparison", "EfficacyResult", "RateRecord", "run_efficacy"]

#: Davis et al. (2021), GRID-HAMD-17, immediate (n = 13) vs delayed (n = 11) arm. ``d`` is
#: the effect size the abstract reports; ``d_implied`` is what the published means and SDs
#: imply with the pooled SD (computed here, not published). The reported d values could not
#: be re-checked against the article text in this build; see docs.
DAVIS_2021: tuple[dict[str, Any], ...] = (
    {
        "comparison": "week 5 (immediate: 1 week after session 2)",
        "mean_treatment": 8.0,
        "sd_treatment": 7.1,
        "mean_control": 23.8,
        "sd_control": 5.4,
        "n_treatment": 13,
        "n_control": 11,
        "d_reported": 2.2,
        "source": "Davis et al. (2021), JAMA Psychiatry 78(5):481-489, abstract",
    },
    {
        "comparison": "week 8 (immediate: 4 weeks after session 2)",
        "mean_treatment": 8.5,
        "sd_treatment": 5.7,
        "mean_control": 23.5,
        "sd_control": 6.0,
        "n_treatment": 13,
        "n_control": 11,
        "d_reported": 2.6,
        "source": "Davis et al. (2021), JAMA Psychiatry 78(5):481-489, abstract",
    },
)


def _published() -> list[dict[str, Any]]:
    out = []
    for row in DAVIS_2021:
        n1, n2 = row["n_treatment"], row["n_control"]
        sp = np.sqrt(
            ((n1 - 1) * row["sd_treatment"] ** 2 + (n2 - 1) * row["sd_control"] ** 2)
            / (n1 + n2 - 2)
        )
        out.append({**row, "d_implied": float((row["mean_control"] - row["mean_treatment"]) / sp)})
    return out


@dataclass(frozen=True)
class EfficacyComparison:
    """Treatment versus control at one timepoint. Floats are unrounded."""

    timepoint: str
    variable: str
    contrast: str
    n_treatment: int
    n_control: int
    mean_treatment: float
    sd_treatment: float
    mean_control: float
    sd_control: float
    diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p: float
    adjusted_n: int
    adjusted_diff: float
    adjusted_ci_low: float
    adjusted_ci_high: float
    adjusted_p: float
    sd_pooled: float
    d: float
    d_ci_low: float
    d_ci_high: float
    g: float
    g_ci_low: float
    g_ci_high: float
    confidence_level: float
    status: str = "ok"
    reason: str = ""


@dataclass(frozen=True)
class RateRecord:
    """Response or remission rate of one arm at one timepoint, with a Wilson interval."""

    timepoint: str
    outcome: str
    arm: str
    count: int
    n: int
    proportion: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class EfficacyResult:
    """Everything one ``[[analysis.efficacy]]`` entry produced."""

    measure: str
    scale: str
    baseline: str
    treatment_arm: str
    control_arm: str
    improvement: str
    comparisons: tuple[EfficacyComparison, ...]
    rates: tuple[RateRecord, ...]
    published: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per timepoint comparison."""
        return pd.DataFrame([asdict(c) for c in self.comparisons])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the spec, ``comparisons``, ``rates``, ``published`` and ``warnings``."""
        return {
            "measure": self.measure,
            "scale": self.scale,
            "baseline": self.baseline,
            "treatment_arm": self.treatment_arm,
            "control_arm": self.control_arm,
            "improvement": self.improvement,
            "status": "ok",
            "comparisons": [asdict(c) for c in self.comparisons],
            "rates": [asdict(r) for r in self.rates],
            "published": list(self.published),
            "warnings": list(self.warnings),
        }


def _compare(
    y: np.ndarray,
    base: np.ndarray,
    is_t: np.ndarray,
    is_c: np.ndarray,
    *,
    timepoint: str,
    variable: str,
    sign: float,
    level: float,
) -> EfficacyComparison:
    yt, yc = y[is_t], y[is_c]
    # Benefit orientation: first group minus second group.
    first, second = (yt, yc) if sign > 0 else (yc, yt)
    contrast = "treatment - control" if sign > 0 else "control - treatment"
    w = welch_t(first, second, confidence_level=level)
    es = cohens_d(first, second, confidence_level=level)
    nan = float("nan")
    status, reason = "ok", ""
    adj_n, adj, adj_lo, adj_hi, adj_p = 0, nan, nan, nan, nan
    sel = is_t | is_c
    try:
        a = ancova(y[sel], is_t[sel].astype(float), base[sel], confidence_level=level)
        adj_n = a.n
        if sign > 0:
            adj, adj_lo, adj_hi = a.estimate, a.ci_low, a.ci_high
        else:
            adj, adj_lo, adj_hi = -a.estimate, -a.ci_high, -a.ci_low
        adj_p = a.p
    except ValueError as exc:
        status, reason = "partial", f"baseline-adjusted difference not estimable: {exc}"
    n_t = int(np.sum(~np.isnan(yt)))
    n_c = int(np.sum(~np.isnan(yc)))
    if n_t < 2 or n_c < 2:
        status = "not_estimable"
        reason = f"each arm needs at least 2 participants with data; got {n_t} and {n_c}"
    wt = welch_t(yt, yc, confidence_level=level)
    return EfficacyComparison(
        timepoint=timepoint,
        variable=variable,
        contrast=contrast,
        n_treatment=n_t,
        n_control=n_c,
        mean_treatment=wt.mean_x,
        sd_treatment=wt.sd_x,
        mean_control=wt.mean_y,
        sd_control=wt.sd_y,
        diff=w.mean_diff,
        diff_ci_low=w.ci_low,
        diff_ci_high=w.ci_high,
        t=w.t,
        df=w.df,
        p=w.p,
        adjusted_n=adj_n,
        adjusted_diff=adj,
        adjusted_ci_low=adj_lo,
        adjusted_ci_high=adj_hi,
        adjusted_p=adj_p,
        sd_pooled=es.sd_pooled,
        d=es.d,
        d_ci_low=es.d_ci_low,
        d_ci_high=es.d_ci_high,
        g=es.g,
        g_ci_low=es.g_ci_low,
        g_ci_high=es.g_ci_high,
        confidence_level=level,
        status=status,
        reason=reason,
    )


def efficacy(
    table: AnalysisTable, spec: EfficacySpec, *, confidence_level: float = 0.95
) -> EfficacyResult:
    r"""Compare the treatment and control arms at each timepoint of ``spec``.

    Parameters
    ----------
    table : AnalysisTable
        The analysis table; ``table.arms`` gives each participant's arm.
    spec : EfficacySpec
        Measure, scale, timepoints, baseline timepoint and the two arms.
    confidence_level : float, default 0.95
        Confidence level of every interval.

    Returns
    -------
    EfficacyResult
        One comparison per timepoint, and response/remission rates per arm where the table
        has ``measure.response@tp`` / ``measure.remission@tp``.

    Notes
    -----
    Per timepoint, with the benefit-oriented difference :math:`\Delta` (see the module
    docstring): Welch's t-test of :math:`\Delta` (:func:`patalliance.stats.group.welch_t`);
    the ANCOVA estimate of the arm coefficient in :math:`y = \beta_0 + \beta_1
    \mathrm{treatment} + \beta_2 \mathrm{baseline}` (:func:`patalliance.stats.group.ancova`);
    Cohen's :math:`d = \Delta / s_p` and Hedges' g (:func:`patalliance.stats.group.cohens_d`).
    Rates use the Wilson interval (:func:`patalliance.stats.group.wilson_interval`).

    References
    ----------
    .. [1] Davis, A. K., et al. (2021). Effects of psilocybin-assisted therapy on major
       depressive disorder: A randomized clinical trial. *JAMA Psychiatry*, 78(5), 481-489.
    .. [2] Vickers, A. J., & Altman, D. G. (2001). Analysing controlled trials with baseline
       and follow up measurements. *BMJ*, 323(7321), 1123-1124.
    """
    arms = table.arms.astype(str).to_numpy()
    is_t = arms == spec.treatment_arm
    is_c = arms == spec.control_arm
    sign = -1.0 if spec.improvement == "lower" else 1.0
    head = f"{spec.measure}.{spec.scale}"
    base = table.values[f"{head}@{spec.baseline}"].to_numpy(dtype=float)
    warnings: list[str] = []
    for arm, mask in ((spec.treatment_arm, is_t), (spec.control_arm, is_c)):
        if not mask.any():
            warnings.append(f"no participant is in arm {arm!r}")
    comparisons = []
    rates = []
    for tp in spec.timepoints:
        var = f"{head}@{tp}"
        y = table.values[var].to_numpy(dtype=float)
        comp = _compare(
            y, base, is_t, is_c, timepoint=tp, variable=var, sign=sign, level=confidence_level
        )
        if comp.reason:
            warnings.append(f"{tp}: {comp.reason}")
        comparisons.append(comp)
        for outcome in ("response", "remission"):
            name = f"{spec.measure}.{outcome}@{tp}"
            if name not in table.values.columns:
                continue
            flag = table.values[name].to_numpy(dtype=float)
            for arm, mask in ((spec.treatment_arm, is_t), (spec.control_arm, is_c)):
                vals = flag[mask & ~np.isnan(flag)]
                w = wilson_interval(
                    int(vals.sum()), int(vals.size), confidence_level=confidence_level
                )
                rates.append(
                    RateRecord(tp, outcome, arm, w.count, w.nobs, w.proportion, w.ci_low, w.ci_high)
                )
    return EfficacyResult(
        measure=spec.measure,
        scale=spec.scale,
        baseline=spec.baseline,
        treatment_arm=spec.treatment_arm,
        control_arm=spec.control_arm,
        improvement=spec.improvement,
        comparisons=tuple(comparisons),
        rates=tuple(rates),
        warnings=tuple(warnings),
    )


def run_efficacy(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """Every ``[[analysis.efficacy]]`` entry as a JSON-ready dict (the results section)."""
    out = []
    for spec in study.analysis.efficacy:
        res = efficacy(table, spec, confidence_level=study.analysis.confidence_level)
        doc = res.to_dict()
        measure = study.measures.get(spec.measure)
        if measure is not None and measure.instrument == "grid_hamd17":
            doc["published"] = _published()
            doc["published_note"] = (
                "Davis et al. (2021) reported Cohen's d = 2.2 (week 5) and 2.6 (week 8), "
                "immediate vs delayed arm, in the abstract (values as given to the developers; "
                "not re-checked against the article text in this build); d_implied is what "
                "their published means and SDs give with the pooled SD."
            )
        if any(c.status == "not_estimable" for c in res.comparisons):
            doc["status"] = (
                "not_estimable"
                if all(c.status == "not_estimable" for c in res.comparisons)
                else "partial"
            )
        out.append(doc)
    return out
