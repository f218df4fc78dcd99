"""The report section of ``[[analysis.trajectories]]``: APA sentences, tables and a spaghetti plot.

Each trajectory gets one sentence per slope (the reference arm's, and the time × arm
difference of each other arm), a table of its fixed effects and one of its variance
components, and a figure: one light line per participant through their observed scores and
the model's mean trajectory per arm (the fixed-effects prediction). Participants are never
named in the figure. Fits that are singular or did not converge are flagged in the text, the
tables and the caption. Numbers are rounded here and only here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.results import AnalysisResults
from patalliance.analysis.trajectories import DAYS_PER_UNIT, TrajectoryRecord
from patalliance.report import apa
from patalliance.report.aggregate import aggregated, binned_means
from patalliance.report.labels import Labeler
from patalliance.report.layout import fit
from patalliance.report.sections import Figure, Section
from patalliance.report.svg import PALETTE, new_figure, to_svg
from patalliance.stats.mixedlm import FixedEffect
from patalliance.status import Status

__all__ = ["trajectory_section"]

_STATUS = {
    Status.OK: "ok",
    Status.PARTIAL: "partly estimable",
    Status.NOT_ESTIMABLE: "not estimable",
    Status.NOT_CONVERGED: "did not converge (not interpreted)",
    Status.SINGULAR: "singular fit (flagged)",
}

#: Notes whose content the status sentences already give.
_STATUS_NOTES = frozenset({"growth_singular", "growth_not_converged"})


def _per(rec: TrajectoryRecord) -> str:
    return "per 30 days" if rec.time == "days" else "per timepoint"


def _arm_label(res: AnalysisResults, arm: str | None) -> str:
    info = res.study.arms.get(arm or "")
    return info.label if info is not None else str(arm)


def _term(rec: TrajectoryRecord, res: AnalysisResults, term: str) -> str:
    ref = _arm_label(res, rec.reference_arm)
    if term == "Intercept":
        return "Intercept (day 0)" if rec.time == "days" else "Intercept (first timepoint)"
    if term == "time":
        return f"Time, {_per(rec)}" + (f" ({ref})" if rec.by_arm else "")
    arm = term.split("[", 1)[1].rstrip("]")
    if term.startswith("time:arm["):
        return f"Time × arm: {_arm_label(res, arm)} vs {ref}"
    return f"Arm: {_arm_label(res, arm)} vs {ref}"


def _stat(f: FixedEffect, level: float) -> str:
    return (
        f"b = {apa.fmt_num(f.estimate)}, SE = {apa.fmt_num(f.se)}, "
        f"t({apa.fmt_int(f.df)}) = {apa.fmt_num(f.t)}, {apa.fmt_p(f.p)}, "
        f"{apa.fmt_ci(f.ci_low, f.ci_high, confidence_level=level)}"
    )


def _title(rec: TrajectoryRecord, lab: Labeler) -> str:
    head = lab.head(rec.variable)
    first, last = lab.timepoint(rec.timepoints[0]), lab.timepoint(rec.timepoints[-1])
    return rec.label or f"{head}, {first} to {last}"


def _sentences(rec: TrajectoryRecord, res: AnalysisResults, lab: Labeler) -> list[str]:
    m = rec.result
    name = _title(rec, lab)
    notes = [f"{name}: {w.message}" for w in m.warnings if w.code not in _STATUS_NOTES]
    if m.status == Status.NOT_ESTIMABLE:
        return [f"{name}: not estimable — {m.reason}.", *notes]
    level = m.confidence_level
    slope = rec.effect("time")
    where = f" in the {_arm_label(res, rec.reference_arm)} arm" if rec.by_arm else ""
    text = (
        f"{name} ({m.n_obs} observations of {m.n_participants} participants at "
        f"{len(rec.timepoints)} timepoints): {lab.head(rec.variable)} scores{where} changed "
        f"by {apa.fmt_num(slope.estimate if slope else None)} points {_per(rec)}, "
        f"{_stat(slope, level) if slope else 'n/a'}"
    )
    for arm in rec.arms[1:]:
        diff = rec.effect(f"time:arm[{arm}]")
        if diff is not None:
            text += (
                f"; in the {_arm_label(res, arm)} arm the slope differed by {_stat(diff, level)}"
            )
    sd = [np.sqrt(max(v, 0.0)) for v in (m.intercept_variance, m.slope_variance)]
    text += (
        f". Participants varied in their level (SD = {apa.fmt_num(sd[0])}) and in their rate "
        f"of change (SD = {apa.fmt_num(sd[1])} {_per(rec)}), with a correlation of "
        f"{apa.fmt_r(m.intercept_slope_correlation)} between the two; residual SD = "
        f"{apa.fmt_num(np.sqrt(m.residual_variance))}."
    )
    out = [text]
    if m.status == Status.NOT_CONVERGED:
        out.append(
            f"{name}: the model did not converge; these numbers are shown for completeness "
            "and are not interpreted."
        )
    elif m.status == Status.SINGULAR:
        out.append(
            f"{name}: the fit was singular (the random-effects covariance at its boundary); "
            "the estimates are flagged, and a simpler random-effects structure fits these "
            "data as well."
        )
    return out + notes


def _effect_rows(rec: TrajectoryRecord, res: AnalysisResults, lab: Labeler) -> list[dict[str, Any]]:
    m = rec.result
    ci = f"{apa.ci_label(m.confidence_level)} CI"
    return [
        {
            "Trajectory": _title(rec, lab),
            "Term": _term(rec, res, f.term),
            "b": apa.fmt_num(f.estimate),
            "SE": apa.fmt_num(f.se),
            "df": apa.fmt_int(f.df),
            "t": apa.fmt_num(f.t),
            "p": apa.fmt_p_value(f.p),
            ci: apa.fmt_interval(f.ci_low, f.ci_high),
            "Status": _STATUS[Status(m.status)],
        }
        for f in m.fixed_effects
    ]


def _variance_row(rec: TrajectoryRecord, lab: Labeler) -> dict[str, Any]:
    m = rec.result
    return {
        "Trajectory": _title(rec, lab),
        "Participants": m.n_participants,
        "Observations": m.n_obs,
        "Intercept variance": apa.fmt_num(m.intercept_variance),
        f"Slope variance ({_per(rec)})": apa.fmt_num(m.slope_variance, 3),
        "Covariance": apa.fmt_num(m.intercept_slope_covariance, 3),
        "Correlation": apa.fmt_r(m.intercept_slope_correlation),
        "Residual variance": apa.fmt_num(m.residual_variance),
        "Status": _STATUS[Status(m.status)]
        + (f": {m.reason}" if m.status == Status.NOT_ESTIMABLE else ""),
    }


def _lines(ax: Any, x: np.ndarray, scores: np.ndarray, colour: str) -> None:
    """One light line per participant through their observed scores (a dot for just one)."""
    from matplotlib.collections import LineCollection

    seen = ~np.isnan(scores)
    many = seen.sum(axis=1) > 1
    paths = [
        np.column_stack([x[s], row[s]]) for row, s in zip(scores[many], seen[many], strict=True)
    ]
    if paths:
        ax.add_collection(LineCollection(paths, colors=colour, alpha=0.25, linewidths=0.8))
    one = seen.sum(axis=1) == 1
    if one.any():
        xs = np.broadcast_to(x, scores.shape)[one][seen[one]]
        ax.plot(xs, scores[one][seen[one]], "o", color=colour, alpha=0.25, ms=2.5, ls="none")


def _caption(rec: TrajectoryRecord, lab: Labeler, x: np.ndarray, many: int | None) -> str:
    when = ", ".join(
        f"{lab.timepoint(tp)} (day {v:g})" if rec.time == "days" else lab.timepoint(tp)
        for tp, v in zip(rec.timepoints, x, strict=True)
    )
    flag = {
        Status.SINGULAR: " The fit was singular; the mean trajectories are flagged.",
        Status.NOT_CONVERGED: " The model did not converge; the lines are not interpreted.",
    }.get(Status(rec.result.status), "")
    per = " per arm" if rec.by_arm else ""
    model = f"bold lines: the linear mixed model's mean trajectory{per}."
    if many is not None:
        level = apa.ci_label(rec.result.confidence_level)
        return (
            f"{lab.head(rec.variable)} over time ({when}), {many} participants, summarised"
            f"{per} (not drawn one by one): points and bars, the observed mean at each "
            f"timepoint with its {level} confidence interval; shaded, the middle half of the "
            f"participants' scores (25th to 75th percentile); {model}{flag}"
        )
    return (
        f"{lab.head(rec.variable)} over time ({when}). Thin lines: one participant each, "
        f"through their observed scores; {model}{flag}"
    )


def _figure(rec: TrajectoryRecord, res: AnalysisResults, lab: Labeler, k: int) -> Figure:
    """Per-participant lines (light) and the model's mean trajectory per arm (bold); above
    the aggregate threshold, observed means with their CIs and quartile bands instead."""
    vals = res.table.values
    scores = np.column_stack(
        [vals[f"{rec.variable}@{tp}"].to_numpy(dtype=float) for tp in rec.timepoints]
    )
    times = np.asarray(rec.time_values)
    x = times * DAYS_PER_UNIT if rec.time == "days" else times
    arm_of = res.table.arms.reindex(vals.index).astype(str).to_numpy()
    groups = list(rec.arms) if rec.by_arm else [None]
    many = aggregated(len(vals))
    fig = new_figure(6.4, 3.8)
    ax = fig.subplots()
    grid = np.linspace(times.min(), times.max(), 60)
    summary = []
    for i, arm in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)] if arm is not None else "#555555"
        rows = arm_of == arm if arm is not None else np.ones(len(vals), bool)
        if many:
            binned_means(ax, x, scores[rows], colour, confidence_level=rec.result.confidence_level)
        else:
            _lines(ax, x, scores[rows], colour)
        mean = rec.mean_trajectory(arm, grid)
        if np.isfinite(mean).all():
            label = _arm_label(res, arm) if arm is not None else "Model mean"
            gx = grid * DAYS_PER_UNIT if rec.time == "days" else grid
            ax.plot(gx, mean, color=colour if arm is not None else "black", linewidth=2.6,
                    label=label)  # fmt: skip
            summary.append(
                f"{label}: model mean {apa.fmt_num(mean[0])} at the first and "
                f"{apa.fmt_num(mean[-1])} at the last timepoint"
            )
    if rec.time == "days":
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.set_xlabel("Days from the reference point")
    else:
        ax.set_xticks(x, [lab.timepoint(tp) for tp in rec.timepoints], rotation=20, ha="right")
        ax.set_xlabel("Timepoint")
    ax.set_ylabel(lab.head(rec.variable))
    if summary:
        ax.legend(frameon=False, fontsize=9)
    fit(fig, [ax])
    caption = _caption(rec, lab, x, len(vals) if many else None)
    kind = "Line chart of the mean at each timepoint of" if many else "Spaghetti plot of"
    who = "" if many else " per participant"
    alt = f"{kind} {lab.head(rec.variable)}{who} over time. " + "; ".join(summary)
    return Figure(to_svg(fig, f"ftraj{k}"), caption, alt)


def trajectory_section(res: AnalysisResults, lab: Labeler) -> Section:
    """The ``trajectories`` section: sentences, two tables and one figure per trajectory."""
    paras: list[str] = []
    effects: list[dict[str, Any]] = []
    variances = []
    figures = []
    for k, rec in enumerate(res.trajectories, start=1):
        paras += _sentences(rec, res, lab)
        effects += _effect_rows(rec, res, lab)
        variances.append(_variance_row(rec, lab))
        if rec.result.status != Status.NOT_ESTIMABLE:
            figures.append(_figure(rec, res, lab, k))
    return Section(
        "trajectories",
        "Trajectories over time",
        paras,
        [
            ("Trajectories: fixed effects (t tests with Satterthwaite df)", pd.DataFrame(effects)),
            ("Trajectories: random effects and residual variance", pd.DataFrame(variances)),
        ],
        figures,
        table_notes={
            0: "Linear mixed models fitted by REML, with a random intercept and a random slope "
            "of time per participant (unstructured covariance). t tests and intervals use "
            "Satterthwaite's degrees of freedom (Kuznetsova et al., 2017). Time is in months "
            "of 30 days from the reference point when the timepoints have days, else in "
            "timepoints from the first.",
            1: "REML estimates. The slope variance is per unit of time squared; the "
            "correlation is that of the participants' intercepts and slopes.",
        },
    )
