"""The report's figures (matplotlib, rendered to deterministic inline SVG).

Every figure comes with a plain-language caption and alt text. A figure whose variables are
absent is skipped with a note; nothing here raises for missing data. Above
:data:`patalliance.report.aggregate.AGGREGATE_ABOVE` participants, the figures that draw one
mark per participant draw aggregates instead (:mod:`patalliance.report.aggregate`), so that
the report stays small and quick to open at any N.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patalliance.analysis.correlations import CorrelationRecord
from patalliance.report import aggregate, apa
from patalliance.report.context import FigureContext
from patalliance.report.labels import peak_phrase
from patalliance.report.layout import fit, legend_height
from patalliance.report.missing_map import missingness
from patalliance.report.sections import Figure
from patalliance.report.svg import PALETTE, RC, mean_ci, new_figure, to_svg, wrap
from patalliance.report.tables import family_title, significant

__all__ = ["PALETTE", "RC", "FigureContext", "FigureSet", "build_figures", "to_svg"]

MAX_SCATTER = 12
ACUTE_INSTRUMENTS = ("meq30", "piq", "ebi")


@dataclass
class FigureSet:
    """Figures in report order, with an anchor id each, and notes on skipped figures."""

    figures: list[tuple[str, Figure]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ci_text(level: float) -> str:
    return apa.ci_label(level)


def _paired_lines(ax: Any, ya: np.ndarray, yb: np.ndarray, colour: str) -> None:
    """One thin line per participant with both scores, one dot per participant with one."""
    from matplotlib.collections import LineCollection

    seen_a, seen_b = ~np.isnan(ya), ~np.isnan(yb)
    both = seen_a & seen_b
    if both.any():
        segments = [[(0.0, y0), (1.0, y1)] for y0, y1 in zip(ya[both], yb[both], strict=True)]
        ax.add_collection(LineCollection(segments, colors=colour, alpha=0.35, linewidths=0.9))
    only_a, only_b = seen_a & ~both, seen_b & ~both
    if only_a.any() or only_b.any():
        xs = np.r_[np.zeros(only_a.sum()), np.ones(only_b.sum())]
        ax.plot(xs, np.r_[ya[only_a], yb[only_b]], "o", color=colour, alpha=0.35, ms=3, ls="none")


def _mean_bars(ax: Any, ya: np.ndarray, yb: np.ndarray, level: float) -> list[float]:
    """The mean at each timepoint with its CI (black); returns the two means."""
    stats_ = [mean_ci(ya, level), mean_ci(yb, level)]
    means = [s[1] for s in stats_]
    lows = [s[1] - s[2] if not np.isnan(s[2]) else 0.0 for s in stats_]
    highs = [s[3] - s[1] if not np.isnan(s[3]) else 0.0 for s in stats_]
    ax.errorbar(
        [0, 1], means, yerr=[lows, highs], color="black", linewidth=2.2, capsize=4,
        marker="o", zorder=5,
    )  # fmt: skip
    return means


def _change_caption(ctx: FigureContext, measure: str, la: str, lb: str) -> str:
    ci = f"black: the mean with its {_ci_text(ctx.confidence_level)} confidence interval."
    if ctx.many:
        return (
            f"{measure} at {la} and {lb}, by arm, for {ctx.table.n_participants} participants "
            f"(summarised, not drawn one by one): {aggregate.SPREAD_CAPTION}; {ci}"
        )
    return f"{measure} for each participant at {la} and {lb}, by arm. Thin lines: one " + (
        f"participant each; {ci}"
    )


def trajectories(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """Per-participant lines between the two timepoints of each change test, by arm (above
    the aggregate threshold: the spread of the scores at each timepoint)."""
    out = []
    for i, spec in enumerate(ctx.results.change):
        a, b = spec.variable_from, spec.variable_to
        va, vb = ctx.column(a), ctx.column(b)
        if va is None or vb is None:
            continue
        arms = ctx.arms() or [("all", "All participants", PALETTE[0], np.ones(len(va), bool))]
        fig = new_figure(2.6 * len(arms) + 0.6, 3.4)
        axes = fig.subplots(1, len(arms), sharey=True, squeeze=False)[0]
        la, lb = ctx.labeler.parts(a)[2], ctx.labeler.parts(b)[2]
        summary = []
        for ax, (_, label, colour, mask) in zip(axes, arms, strict=True):
            ya, yb = va[mask], vb[mask]
            if ctx.many:
                aggregate.spread(ax, [0.0, 1.0], [ya, yb], colour, width=0.22)
            else:
                _paired_lines(ax, ya, yb, colour)
            means = _mean_bars(ax, ya, yb, ctx.confidence_level)
            ax.set_xticks([0, 1], [wrap(la, 16), wrap(lb, 16)])
            ax.set_xlim(-0.3, 1.3)
            ax.set_title(wrap(f"{label} (n = {int(mask.sum())})", 34), y=1.0)
            n_a, n_b = int((~np.isnan(ya)).sum()), int((~np.isnan(yb)).sum())
            summary.append(
                f"{label}: mean {apa.fmt_num(means[0])} (n = {n_a}) at {la} and "
                f"{apa.fmt_num(means[1])} (n = {n_b}) at {lb}"
            )
        axes[0].set_ylabel(ctx.labeler.short(a))
        fit(fig, list(axes))
        measure = ctx.labeler.short(a)
        caption = _change_caption(ctx, measure, la, lb)
        kind = aggregate.SPREAD_ALT if ctx.many else "per participant"
        alt = f"Line chart of {measure} from {la} to {lb} {kind}. " + "; ".join(summary)
        out.append((f"fig-change-{i + 1}", Figure(to_svg(fig, f"fchg{i + 1}"), caption, alt)))
    if not out:
        return "Alliance trajectories: skipped (no change test with scores at both timepoints)."
    return out


def _scatter_pairs(ctx: FigureContext) -> list[CorrelationRecord]:
    chosen: list[CorrelationRecord] = []
    for family in ctx.study.analysis.correlations:
        fam_records = [r for r in ctx.results.correlations if r.family == family.family]
        if family.scatter:
            wanted = [(str(p[0]), str(p[1])) for p in family.scatter if len(p) == 2]
            by_pair = {(r.x, r.y): r for r in fam_records}
            chosen.extend(by_pair[w] for w in wanted if w in by_pair)
        else:
            chosen.extend(r for r in fam_records if significant(r, ctx.alpha))
    return chosen[:MAX_SCATTER]


def _dots(ax: Any, ctx: FigureContext, vx: np.ndarray, vy: np.ndarray, both: np.ndarray) -> int:
    """One dot per participant with both values, coloured by arm; returns the arms drawn."""
    arms = ctx.arms() or [("all", "All participants", PALETTE[0], np.ones(len(vx), bool))]
    for _, label, colour, mask in arms:
        sel = both & mask
        if sel.any():
            ax.scatter(
                vx[sel],
                vy[sel],
                s=22,
                color=colour,
                label=label,
                alpha=0.85,
                edgecolors="white",
                linewidths=0.5,
            )
    return len(arms)


def _reuse(reused: list[Any]) -> tuple[Any, Any]:
    """The figure and axes of the per-participant scatter plots, made once and emptied for each
    plot: only the marks, labels and title change, so the axes and their ticks are reused."""
    if not reused:
        fig = new_figure(4.2, 3.4)
        reused.extend([fig, fig.subplots()])
        return fig, reused[1]
    fig, ax = reused
    for artist in [*ax.collections, *ax.lines, *fig.legends]:
        artist.remove()
    ax.ignore_existing_data_limits = True  # the next marks set the data limits afresh
    return fig, ax


def _scatter_text(
    ctx: FigureContext, rec: CorrelationRecord, stat: str, n_both: int
) -> tuple[str, str]:
    """The caption and alt text of a scatter plot (or of its aggregate view)."""
    x, y = ctx.labeler.variable(rec.x), ctx.labeler.variable(rec.y)
    direction = (
        "higher values went with higher values"
        if not apa.is_missing(rec.r) and rec.r > 0
        else "higher values went with lower values"
    )
    if ctx.many:
        return (
            f"{x} against {y}: {aggregate.HEXBIN_CAPTION} of the {n_both} participants with "
            f"both values; the line is the least-squares fit. {stat}.",
            f"{aggregate.HEXBIN_ALT.capitalize()} of {y} against {x} for {n_both} "
            f"participants; {direction} ({stat}).",
        )
    return (
        f"{x} against {y}: each dot is one participant with both values; the line is the "
        f"least-squares fit. {stat}.",
        f"Scatter plot of {y} against {x} for {n_both} participants; {direction} ({stat}).",
    )


def scatters(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """A scatter plot with least-squares line and r for each marked (or significant) pair
    (above the aggregate threshold: hexagonal bins of participant counts)."""
    pairs = _scatter_pairs(ctx)
    out = []
    reused: list[Any] = []
    for i, rec in enumerate(pairs):
        vx, vy = ctx.column(rec.x), ctx.column(rec.y)
        if vx is None or vy is None:
            continue
        both = ~np.isnan(vx) & ~np.isnan(vy)
        cbar, n_arms = None, 0
        if ctx.many:
            fig = new_figure(4.2, 3.4)
            ax = fig.subplots()
            cbar = aggregate.hexbin(fig, ax, vx[both], vy[both])
        else:
            fig, ax = _reuse(reused)
            n_arms = _dots(ax, ctx, vx, vy, both)
        if both.sum() >= 3 and np.ptp(vx[both]) > 0:
            slope, intercept = np.polyfit(vx[both], vy[both], 1)
            xs = np.linspace(vx[both].min(), vx[both].max(), 50)
            line = aggregate.FIT_COLOUR if ctx.many else "#333333"
            ax.plot(xs, intercept + slope * xs, color=line, linewidth=1.4)
        stat = apa.apa_correlation(
            rec.r,
            n=rec.n,
            p=rec.p,
            ci_low=rec.ci_low,
            ci_high=rec.ci_high,
            confidence_level=rec.confidence_level,
            method=rec.method,
        )
        ax.set_title(wrap(stat, 48), fontsize=9, y=1.0)
        ax.set_xlabel(wrap(ctx.labeler.variable(rec.x), 50))
        ax.set_ylabel(wrap(ctx.labeler.variable(rec.y), 36))
        below = 0.0
        if n_arms > 1:
            fig.legend(loc="lower center", ncols=n_arms, frameon=False, fontsize=9)
            below = legend_height(9.0)
        fit(fig, [ax], colorbar=cbar, below=below)
        caption, alt = _scatter_text(ctx, rec, stat, int(both.sum()))
        out.append((f"fig-scatter-{i + 1}", Figure(to_svg(fig, f"fsc{i + 1}"), caption, alt)))
    if not out:
        return (
            "Scatter plots: none (no correlation is marked in the plan's `scatter` lists and "
            "none reached significance)."
        )
    return out


def heatmaps(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """A heatmap of r for each correlation family, with significance markers."""
    out = []
    for i, family in enumerate(ctx.study.analysis.correlations):
        by_pair = {(r.x, r.y): r for r in ctx.results.correlations if r.family == family.family}
        xs, ys = list(family.x), list(family.y)
        if not by_pair:
            continue
        mat = np.full((len(xs), len(ys)), np.nan)
        for j, xv in enumerate(xs):
            for k, yv in enumerate(ys):
                rec = by_pair.get((xv, yv))
                if rec is not None and not apa.is_missing(rec.r):
                    mat[j, k] = rec.r
        xl, x_common = ctx.labeler.axis(xs)
        yl, y_common = ctx.labeler.axis(ys)
        fig = new_figure(min(1.3 * len(ys) + 2.8, 9.0), 0.55 * len(xs) + 1.9)
        ax = fig.subplots()
        image = ax.imshow(np.ma.masked_invalid(mat), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for j in range(len(xs)):
            for k in range(len(ys)):
                rec = by_pair.get((xs[j], ys[k]))
                if rec is None:
                    continue
                text = apa.fmt_r(rec.r) + apa.sig_marker(rec.decision_p)
                dark = not np.isnan(mat[j, k]) and abs(mat[j, k]) > 0.55
                ax.text(
                    k,
                    j,
                    text,
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if dark else "black",
                )
        ax.set_xticks(range(len(ys)), [wrap(v, 16) for v in yl])
        ax.set_yticks(range(len(xs)), [wrap(v, 30) for v in xl])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if y_common:
            ax.set_xlabel(y_common)
        if x_common:
            ax.set_ylabel(wrap(x_common, 30))
        cbar = fig.colorbar(image, ax=ax, shrink=0.8, label="r")
        fit(fig, [ax], colorbar=cbar.ax)
        title = family_title(family, ctx.labeler)
        strongest = max(
            by_pair.values(), key=lambda r: abs(r.r) if not apa.is_missing(r.r) else -1.0
        )
        caption = (
            f"{title}: red cells are positive, blue cells negative "
            "correlations; the stronger the colour, the stronger the association. "
            "* p < .05, ** p < .01, *** p < .001."
        )
        alt = (
            f"Heatmap of {len(xs)} by {len(ys)} correlations. Strongest: "
            f"{ctx.labeler.variable(strongest.x)} with "
            f"{ctx.labeler.variable(strongest.y)}, r = {apa.fmt_r(strongest.r)}."
        )
        out.append((f"fig-heatmap-{i + 1}", Figure(to_svg(fig, f"fhm{i + 1}"), caption, alt)))
    return out or "Correlation heatmaps: skipped (the plan has no correlation families)."


def _depression_measure(ctx: FigureContext) -> str | None:
    for mid, key in ctx.keys.items():
        if key.instrument.id.startswith("grid_hamd"):
            return str(mid)
    for mid, key in ctx.keys.items():
        if key.outcome is not None and ctx.study.measures[mid].baseline is not None:
            return str(mid)
    return None


def depression_over_time(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """Mean depression score (with CI) at each assessment, by arm, protocol order."""
    mid = _depression_measure(ctx)
    if mid is None:
        return "Depression over time: skipped (no GRID-HAMD or other outcome measure)."
    measure = ctx.study.measures[mid]
    order = [t for t in ctx.study.timepoint_ids if t in measure.timepoints]
    present: list[tuple[str, np.ndarray]] = []
    for t in order:
        col = ctx.column(f"{mid}.total@{t}")
        if col is not None:
            present.append((t, col))
    if not present:
        return f"Depression over time: skipped (no {ctx.labeler.measure(mid)} total scores)."
    arms = ctx.arms() or [
        ("all", "All participants", PALETTE[0], np.ones(ctx.table.n_participants, bool))
    ]
    fig = new_figure(max(4.5, 0.75 * len(present) + 2.5), 3.6)
    ax = fig.subplots()
    offsets = np.linspace(-0.08, 0.08, len(arms)) if len(arms) > 1 else [0.0]
    only_some: list[str] = []
    summary = []
    for (_, label, colour, mask), off in zip(arms, offsets, strict=True):
        xs, means, lo, hi = [], [], [], []
        for k, (_t, v) in enumerate(present):
            n, mean, low, high = mean_ci(v[mask], ctx.confidence_level)
            if n == 0:
                continue
            xs.append(k + off)
            means.append(mean)
            lo.append(mean - low if not np.isnan(low) else 0.0)
            hi.append(high - mean if not np.isnan(high) else 0.0)
        if xs:
            ax.errorbar(
                xs,
                means,
                yerr=[lo, hi],
                color=colour,
                marker="o",
                capsize=3,
                linewidth=1.6,
                label=label,
            )
            summary.append(
                f"{label}: from {apa.fmt_num(means[0], 1)} to {apa.fmt_num(means[-1], 1)}"
            )
    for t, v in present:
        has = [bool((~np.isnan(v[mask])).any()) for _, _, _, mask in arms]
        if len(arms) > 1 and not all(has):
            only_some.append(ctx.labeler.timepoint(t))
    ax.set_xticks(range(len(present)), [wrap(ctx.labeler.timepoint(t), 14) for t, _ in present])
    ax.set_ylabel(f"{ctx.labeler.measure(mid)} total (lower = less depressed)")
    ax.set_ylim(bottom=0)
    if len(arms) > 1:
        ax.legend(frameon=False, fontsize=9)
    fit(fig, [ax])
    name = ctx.labeler.measure(mid)
    caption = (
        f"Mean {name} depression score at each assessment, by arm, with "
        f"{_ci_text(ctx.confidence_level)} confidence intervals; lower scores mean less "
        "depression. Assessments are in protocol order, aligned to each participant's own "
        "treatment."
    )
    if only_some:
        caption += (
            " Only some arms were rated at "
            + ", ".join(only_some)
            + " (for example the waiting-list weeks of the delayed arm)."
        )
    alt = f"Line chart of mean {name} over {len(present)} assessments by arm. " + "; ".join(summary)
    return [("fig-depression", Figure(to_svg(fig, "fdep"), caption, alt))]


def acute_distributions(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """Histograms of the peak acute-experience totals (MEQ-30, PIQ, EBI) present."""
    panels = []
    for mid, key in ctx.keys.items():
        if key.instrument.id in ACUTE_INSTRUMENTS:
            # the peak across sessions or, in a single-session design, the one session's score
            tps = ctx.study.measures[mid].timepoints
            tp = "peak" if ctx.column(f"{mid}.total@peak") is not None else tps[0]
            v = ctx.column(f"{mid}.total@{tp}") if tp == "peak" or len(tps) == 1 else None
            if v is not None:
                panels.append((str(mid), key, v[~np.isnan(v)], tp))
    if not panels:
        return "Acute-experience distributions: skipped (no MEQ-30, PIQ or EBI totals)."
    fig = new_figure(2.9 * len(panels) + 0.4, 3.0)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    notes = []
    for ax, (mid, key, v, tp) in zip(axes, panels, strict=True):
        ax.hist(v, bins=min(10, max(4, len(v) // 2)), color=PALETTE[5], edgecolor="white")
        where = "Peak " if tp == "peak" else ""
        ax.set_xlabel(wrap(f"{where}{key.instrument.abbreviation} total", 30))
        ax.set_ylabel("Participants")
        text = f"{key.instrument.abbreviation}: n = {len(v)}, mean {apa.fmt_num(np.mean(v))}"
        if key.instrument.id == "meq30":
            info = key.instrument
            line = info.response_min + 0.6 * (info.response_max - info.response_min)
            ax.axvline(line, color="#333333", linestyle="--", linewidth=1.2)
            ax.annotate(
                "60% of max",
                (line, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -10),
                textcoords="offset points",
                fontsize=9,
            )
            above = int((v >= line).sum())
            text += f"; {above} at or above the 60% line ({apa.fmt_num(line, 1)})"
            complete = ctx.column(f"{mid}.complete@{tp}")
            if complete is not None:
                n_c = int(np.nansum(complete))
                text += (
                    f"; {n_c} of {int((~np.isnan(complete)).sum())} had a complete mystical "
                    "experience (all four subscales at ≥ 60% of their maximum)"
                )
        notes.append(text)
    peak = peak_phrase(ctx.study) if any(p[3] == "peak" for p in panels) else ""
    single = [
        f"{key.instrument.abbreviation}: {ctx.labeler.timepoint(tp)}"
        for _, key, _, tp in panels
        if tp != "peak"
    ]
    which = (f"peak ({peak})" if peak else "") + (" or " if peak and single else "")
    which += f"single-session ({'; '.join(single)})" if single else ""
    caption = (
        f"Distribution of each participant's {which} acute-experience "
        "score. The dashed line on the MEQ-30 panel marks 60% of the maximum score, the "
        "threshold used for a “complete mystical experience” (Barrett et al., 2015), which "
        "requires all four subscales to reach it. " + "; ".join(notes) + "."
    )
    alt = f"Histograms of {which} acute-experience scores. " + "; ".join(notes) + "."
    fit(fig, list(axes))
    return [("fig-acute", Figure(to_svg(fig, "facute"), caption, alt))]


BUILDERS: Sequence[Callable[[FigureContext], list[tuple[str, Figure]] | str]] = (
    trajectories,
    depression_over_time,
    acute_distributions,
    heatmaps,
    scatters,
    missingness,
)


def build_figures(ctx: FigureContext) -> FigureSet:
    """Every figure the data allow; a builder that fails is skipped with a note."""
    import matplotlib

    out = FigureSet()
    for builder in BUILDERS:
        try:
            with matplotlib.rc_context(RC):
                result = builder(ctx)
        except Exception as exc:  # a figure must never break the report
            out.notes.append(f"{builder.__name__}: skipped ({type(exc).__name__}: {exc}).")
            continue
        if isinstance(result, str):
            out.notes.append(result)
        else:
            out.figures.extend(result)
    return out
