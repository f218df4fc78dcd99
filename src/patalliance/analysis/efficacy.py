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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from patalliance.analysis.records import Family, Record, records_frame
from patalliance.derive import AnalysisTable
from patalliance.stats.group import ancova, cohens_d, welch_t, wilson_interval
from patalliance.status import Note, Status
from patalliance.study import EfficacySpec, Study

__all__ = ["Efficacy", "EfficacyComparison", "EfficacyResult", "RateRecord", "run_efficacy"]


@dataclass(frozen=True)
class EfficacyComparison(Record):
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
    status: Status = Status.OK
    reason: str = ""


@dataclass(frozen=True)
class RateRecord(Record):
    """Response or remission rate of one arm at one timepoint, with a Wilson interval."""

    timepoint: str
    outcome: str
    arm: str
    count: int
    n: int
    proportion: float
    ci_low: float
    ci_high: float
    confidence_level: float


@dataclass(frozen=True)
class EfficacyResult(Record):
    """Everything one ``[[analysis.efficacy]]`` entry produced.

    ``status`` is ``ok``, ``partial`` (some comparisons not estimable) or ``not_estimable``
    (none).
    """

    measure: str
    scale: str
    baseline: str
    treatment_arm: str
    control_arm: str
    improvement: str
    status: Status
    comparisons: tuple[EfficacyComparison, ...]
    rates: tuple[RateRecord, ...]
    warnings: tuple[Note, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per timepoint comparison."""
        return records_frame(self.comparisons, EfficacyComparison)


_SPEC_FIELDS = ("measure", "scale", "treatment_arm", "control_arm")


@dataclass(frozen=True)
class Efficacy(Family[EfficacyResult]):
    """Every ``[[analysis.efficacy]]`` entry."""

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison (entry × timepoint): the entry's measure, scale and arms,
        then the comparison's fields."""
        rows = [
            {**{k: getattr(res, k) for k in _SPEC_FIELDS}, **c.to_row()}
            for res in self.records
            for c in res.comparisons
        ]
        if not rows:
            return records_frame((), EfficacyComparison).reindex(
                columns=[*_SPEC_FIELDS, *records_frame((), EfficacyComparison).columns]
            )
        return pd.DataFrame(rows)

    def rates_frame(self) -> pd.DataFrame:
        """One row per response/remission rate (entry × timepoint × arm)."""
        rows = [
            {"measure": res.measure, "scale": res.scale, **r.to_row()}
            for res in self.records
            for r in res.rates
        ]
        return pd.DataFrame(rows) if rows else records_frame((), RateRecord)


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
    status, reason = Status.OK, ""
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
        status, reason = Status.PARTIAL, f"baseline-adjusted difference not estimable: {exc}"
    n_t = int(np.sum(~np.isnan(yt)))
    n_c = int(np.sum(~np.isnan(yc)))
    if n_t < 2 or n_c < 2:
        status = Status.NOT_ESTIMABLE
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
    warnings: list[Note] = []
    for arm, mask in ((spec.treatment_arm, is_t), (spec.control_arm, is_c)):
        if not mask.any():
            warnings.append(Note("arm_empty", f"No participant is in arm {arm!r}."))
    comparisons = []
    rates = []
    for tp in spec.timepoints:
        var = f"{head}@{tp}"
        y = table.values[var].to_numpy(dtype=float)
        comp = _compare(
            y, base, is_t, is_c, timepoint=tp, variable=var, sign=sign, level=confidence_level
        )
        if comp.reason:
            code = (
                "comparison_partial"
                if comp.status == Status.PARTIAL
                else "comparison_not_estimable"
            )
            warnings.append(Note(code, f"{tp}: {comp.reason}."))
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
                    RateRecord(
                        tp, outcome, arm, w.count, w.nobs, w.proportion, w.ci_low, w.ci_high,
                        confidence_level,
                    )
                )  # fmt: skip
    n_bad = sum(c.status == Status.NOT_ESTIMABLE for c in comparisons)
    status = (
        Status.OK
        if n_bad == 0
        else Status.NOT_ESTIMABLE
        if n_bad == len(comparisons)
        else Status.PARTIAL
    )
    return EfficacyResult(
        measure=spec.measure,
        scale=spec.scale,
        baseline=spec.baseline,
        treatment_arm=spec.treatment_arm,
        control_arm=spec.control_arm,
        improvement=spec.improvement,
        status=status,
        comparisons=tuple(comparisons),
        rates=tuple(rates),
        warnings=tuple(warnings),
    )


def run_efficacy(study: Study, table: AnalysisTable) -> Efficacy:
    """Every ``[[analysis.efficacy]]`` entry, in plan order."""
    level = study.analysis.confidence_level
    return Efficacy(
        tuple(efficacy(table, spec, confidence_level=level) for spec in study.analysis.efficacy),
        EfficacyResult,
    )
