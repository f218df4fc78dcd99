"""The pooled analysis's figures: a forest plot and a funnel plot (deterministic inline SVG).

matplotlib is imported lazily and pyplot is never used; the SVG comes from
:func:`patalliance.report.svg.to_svg` under its fixed ``RC`` settings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from patalliance.pool.analysis import PoolResult
from patalliance.report import apa
from patalliance.report.sections import Figure
from patalliance.report.svg import PALETTE, RC, to_svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forest_plot", "funnel_plot"]

FUNNEL_MIN_STUDIES = 3


def _fmt(value: float, measure: str) -> str:
    return apa.fmt_r(value) if measure == "r" else apa.fmt_num(value)


def _diamond(ax: Axes, y: float, est: float, lo: float, hi: float, color: str) -> None:
    ax.fill([lo, est, hi, est], [y, y + 0.32, y, y - 0.32], color=color, zorder=3, linewidth=0)


def _forest_rows(result: PoolResult) -> list[tuple[str, str]]:
    lvl = apa.ci_label(result.confidence_level)
    m = result.measure
    rows = [
        (s.label, f"{_fmt(s.effect, m)} {apa.fmt_interval(s.ci_low, s.ci_high, leading_zero=m != 'r')}"
         f"  {100 * s.weight:.1f}%")
        for s in result.studies
    ]  # fmt: skip
    if result.model.k >= 2:
        rows.append(
            (
                f"Random effects ({result.model.method}{', HKSJ' if result.model.hksj else ''})",
                f"{_fmt(result.estimate, m)} "
                f"{apa.fmt_interval(result.ci_low, result.ci_high, leading_zero=m != 'r')}",
            )
        )
        if math.isfinite(result.pi_low):
            pi = apa.fmt_interval(result.pi_low, result.pi_high, leading_zero=m != "r")
            rows.append((f"{lvl} prediction interval", pi))
    if result.benchmark is not None:
        b = result.benchmark
        rows.append(
            (b.label, f"{_fmt(b.estimate, m)} "
             f"{apa.fmt_interval(b.ci_low, b.ci_high, leading_zero=m != 'r')}")
        )  # fmt: skip
    return rows


def forest_plot(result: PoolResult) -> Figure:
    """Studies with their intervals (squares sized by weight), the pooled diamond, the
    prediction interval, and the benchmark when there is one."""
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    rows = _forest_rows(result)
    n = len(rows)
    with matplotlib.rc_context(RC):
        fig = MplFigure(figsize=(8.6, 0.34 * n + 1.3), layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(n, 0, -1))
        for y, s in zip(ys, result.studies, strict=False):
            ax.plot([s.ci_low, s.ci_high], [y, y], color="#333333", linewidth=1, zorder=2)
            size = 20 + 180 * (s.weight if math.isfinite(s.weight) else 0.5)
            ax.scatter([s.effect], [y], marker="s", s=size, color=PALETTE[0], zorder=3)
        i = len(result.studies)
        if result.model.k >= 2:
            _diamond(ax, ys[i], result.estimate, result.ci_low, result.ci_high, PALETTE[1])
            i += 1
            if math.isfinite(result.pi_low):
                ax.plot([result.pi_low, result.pi_high], [ys[i], ys[i]], color=PALETTE[1],
                        linewidth=2.5, solid_capstyle="butt")  # fmt: skip
                i += 1
        if result.benchmark is not None:
            b = result.benchmark
            _diamond(ax, ys[i], b.estimate, b.ci_low, b.ci_high, PALETTE[2])
        ax.axvline(0, color="#888888", linewidth=0.8, linestyle="--", zorder=1)
        ax.set_yticks(ys, [label for label, _ in rows])
        ax.set_ylim(0.3, n + 0.7)
        right = ax.secondary_yaxis("right")
        right.set_yticks(ys, [text for _, text in rows])
        right.tick_params(length=0)
        right.spines["right"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(_axis_label(result))
        svg = to_svg(fig, "pool-forest")
    m = result.model
    caption = (
        f"Forest plot: each study's {result.effect_label} with its "
        f"{apa.ci_label(result.confidence_level)} CI (square area proportional to its "
        "random-effects weight)"
        + (", the pooled estimate (diamond) and the prediction interval (bar)" if m.k >= 2 else "")
        + (", and the benchmark (green diamond), which is not pooled" if result.benchmark else "")
        + ". The dashed line marks no effect."
    )
    alt = f"Forest plot of {len(result.studies)} studies." + (
        f" Pooled {result.effect_label} {_fmt(result.estimate, result.measure)}."
        if m.k >= 2
        else ""
    )
    return Figure(svg, caption, alt)


def _axis_label(result: PoolResult) -> str:
    base = result.effect_label
    if result.table.oriented:
        return f"{base} (positive = better outcome)"
    return base


def funnel_plot(result: PoolResult) -> Figure | None:
    """Effect (pooling scale) against its standard error, with the pooled estimate and the
    pseudo-confidence region :math:`\\hat\\mu \\pm 1.96\\,SE`; None below 3 studies."""
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    if result.model.k < FUNNEL_MIN_STUDIES:
        return None
    y = result.table.effects
    se = result.table.ses
    mu = result.model.estimate
    with matplotlib.rc_context(RC):
        fig = MplFigure(figsize=(5.6, 4.2), layout="constrained")
        ax = fig.add_subplot()
        top = float(se.max()) * 1.1
        grid = np.linspace(0, top, 50)
        ax.fill_betweenx(grid, mu - 1.96 * grid, mu + 1.96 * grid, color="#eef2f7", zorder=0)
        ax.plot(mu - 1.96 * grid, grid, color="#888888", linewidth=0.8, linestyle="--")
        ax.plot(mu + 1.96 * grid, grid, color="#888888", linewidth=0.8, linestyle="--")
        ax.axvline(mu, color=PALETTE[1], linewidth=1.2)
        ax.scatter(y, se, color=PALETTE[0], zorder=3, s=28)
        ax.set_ylim(top, 0)
        scale = "Fisher's z" if result.measure == "r" else result.effect_label
        ax.set_xlabel(scale + (" (positive = better outcome)" if result.table.oriented else ""))
        ax.set_ylabel("Standard error")
        svg = to_svg(fig, "pool-funnel")
    caption = (
        f"Funnel plot: each study's {'Fisher z' if result.measure == 'r' else result.effect_label}"
        " against its standard error, with the pooled estimate (vertical line) and the region "
        "where 95% of studies would fall without heterogeneity or small-study effects (dashed)."
    )
    return Figure(svg, caption, f"Funnel plot of {result.model.k} studies.")
