"""The missingness map of the report's quality-control appendix: which total scores each
participant has (above the aggregate threshold: the share missing in groups of participants)."""

from __future__ import annotations

from typing import Any

import numpy as np

from patalliance.report import aggregate
from patalliance.report.context import FigureContext
from patalliance.report.layout import fit
from patalliance.report.sections import Figure
from patalliance.report.svg import new_figure, to_svg

__all__ = ["missingness"]


def _missing_groups(fig: Any, ax: Any, observed: np.ndarray) -> tuple[str, str]:
    """The aggregate missingness map: the share missing of each score in groups of rows."""
    from matplotlib.colors import LinearSegmentedColormap

    share, size = aggregate.missing_share(observed)
    image = ax.imshow(
        100.0 * share,
        cmap=LinearSegmentedColormap.from_list("missing", ["#1F4E79", "#F0E442"]),
        vmin=0,
        vmax=100,
        aspect="auto",
        interpolation="nearest",
    )
    cbar = fig.colorbar(image, ax=ax, shrink=0.8, label="% missing")
    ax.set_yticks([])
    ax.set_ylabel(f"Participants, in groups of up to {size}")
    fit(fig, [ax], colorbar=cbar.ax)
    n_missing, n_p = int((~observed).sum()), observed.shape[0]
    caption = (
        "Share of each total score missing, from dark blue (none) to yellow (all), for each "
        f"measure and timepoint (columns), with the {n_p} participants in {len(share)} "
        f"consecutive groups of up to {size} (rows, in the order of the analysis table): "
        f"{n_missing} of {observed.size} missing. Each test used the participants with the "
        "values it needs; its n is reported."
    )
    alt = (
        f"Grid of {len(share)} groups of participants by {observed.shape[1]} total scores "
        f"showing the share missing; {n_missing} of {observed.size} values are missing."
    )
    return caption, alt


def missingness(ctx: FigureContext) -> list[tuple[str, Figure]] | str:
    """Observed (dark) and missing (light) total scores, participant × variable (above the
    aggregate threshold: the share missing in groups of participants)."""
    values = ctx.table.values
    cols = [
        c
        for c, info in ctx.table.variables.items()
        if info.kind == "score" and info.scale == "total" and c in values.columns
    ]
    if not cols or values.empty:
        return "Missingness map: skipped (no scored totals)."
    observed = values[cols].notna().to_numpy()
    n_p, n_v = observed.shape
    height = 0.1 * aggregate.MISSING_GROUPS + 2.4 if ctx.many else min(0.2 * n_p + 2.4, 12.0)
    fig = new_figure(min(0.32 * n_v + 2.6, 9.5), height)
    ax = fig.subplots()
    ax.set_xticks(range(n_v), [ctx.labeler.variable(c) for c in cols], rotation=90, fontsize=9)
    ax.tick_params(length=0)
    if ctx.many:
        caption, alt = _missing_groups(fig, ax, observed)
        return [("fig-missing", Figure(to_svg(fig, "fmiss"), caption, alt))]
    from matplotlib.colors import ListedColormap

    ax.imshow(
        observed.astype(float),
        cmap=ListedColormap(["#F0E442", "#1F4E79"]),
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
    )
    if n_p <= 80:
        if ctx.labeler.ids.show_ids:
            ax.set_yticks(range(n_p), [str(i) for i in values.index], fontsize=9)
        else:
            ax.set_yticks([])
    ax.set_ylabel("Participant")
    fit(fig, [ax])
    n_missing = int((~observed).sum())
    caption = (
        "Which total scores are present (dark blue) or missing (yellow) for each participant "
        f"(rows) and measure and timepoint (columns): {n_missing} of {observed.size} missing. "
        "Each test used the participants with the values it needs; its n is reported."
    )
    alt = (
        f"Grid of {n_p} participants by {n_v} total scores showing observed and missing "
        f"values; {n_missing} of {observed.size} are missing."
    )
    return [("fig-missing", Figure(to_svg(fig, "fmiss"), caption, alt))]
