"""Aggregate views of the per-participant figures, for studies above a number of participants.

A scatter plot of 24,000 participants draws 24,000 dots, and a spaghetti plot 24,000 lines:
the report grows by megabytes, a browser takes long to open it, and no single mark can be
seen anyway. Above :data:`AGGREGATE_ABOVE` participants, the figures that draw one mark per
participant draw summaries whose size does not grow with N instead:

- scatter plots: hexagonal bins of participant counts, with the least-squares line;
- paired-change plots: the spread of the scores at each timepoint (a box from the 25th to
  the 75th percentile, whiskers from the 5th to the 95th, a line at the median), with the
  mean and its confidence interval;
- spaghetti plots: the observed mean at each timepoint with its confidence interval and the
  25th to 75th percentile band, with the model's mean trajectory;
- the missingness map: the share of each score missing in consecutive groups of participants.

Captions and alt text say which view is shown. At or below the threshold the figures draw
every participant, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from patalliance.report.svg import mean_ci

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["AGGREGATE_ABOVE", "aggregated", "binned_means", "hexbin", "missing_share", "spread"]

#: Above this many participants (in the analysis table), figures show aggregates instead of
#: one mark per participant. At 1,000 a scatter plot is already a cloud in which single dots
#: overlap, and the report's per-participant marks (one dot per participant in each scatter
#: plot, one line in each change and spaghetti plot) make report.html about 2.5 MB for the
#: demo's plan (0.5 MB at its 24 participants), growing by about 2 MB per 1,000 more.
AGGREGATE_ABOVE = 1_000

#: Hexagons across the x range of a hexbin plot.
HEX_GRID = 25
#: Groups of participants (rows) in the aggregate missingness map.
MISSING_GROUPS = 50
FIT_COLOUR = "#D55E00"

HEXBIN_CAPTION = (
    "hexagonal bins of participant counts (the darker a hexagon, the more participants have "
    "values in it; the colour bar gives the count)"
)
HEXBIN_ALT = "hexagonal-bin plot of participant counts"
SPREAD_CAPTION = (
    "the boxes span the middle half of the participants' scores (25th to 75th percentile) "
    "at each timepoint, with a line at the median and whiskers from the 5th to the 95th "
    "percentile"
)
SPREAD_ALT = "summarised by box plots of the scores at each timepoint"


def aggregated(n_participants: int) -> bool:
    """Whether figures of ``n_participants`` show aggregates (above :data:`AGGREGATE_ABOVE`)."""
    return n_participants > AGGREGATE_ABOVE


def spread(
    ax: Axes,
    positions: Sequence[float],
    columns: Sequence[np.ndarray],
    colour: str,
    *,
    width: float,
) -> None:
    """A box (25th to 75th percentile, median line, 5th to 95th percentile whiskers) of the
    observed values of each column at its position; no single value is drawn."""
    stats: list[dict[str, Any]] = []
    kept: list[float] = []
    for x, col in zip(positions, columns, strict=True):
        v = col[~np.isnan(col)]
        if not v.size:
            continue
        lo, q1, med, q3, hi = np.percentile(v, [5, 25, 50, 75, 95])
        stats.append({"med": med, "q1": q1, "q3": q3, "whislo": lo, "whishi": hi, "fliers": []})
        kept.append(x)
    if not stats:
        return
    ax.bxp(
        stats,
        positions=kept,
        widths=width,
        patch_artist=True,
        showfliers=False,
        manage_ticks=False,
        boxprops={"facecolor": colour, "alpha": 0.35, "edgecolor": colour},
        medianprops={"color": colour, "linewidth": 1.6},
        whiskerprops={"color": colour},
        capprops={"color": colour},
    )


def hexbin(fig: MplFigure, ax: Axes, x: np.ndarray, y: np.ndarray) -> Axes | None:
    """Hexagonal bins of the counts of (x, y) pairs with a colour bar; returns the bar's axes."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    if not x.size:
        return None
    blues = ListedColormap(colormaps["Blues"](np.linspace(0.3, 1.0, 256)))
    extent = None
    if np.ptp(x) == 0 or np.ptp(y) == 0:  # one value: a bin around it
        extent = (x.min() - 0.5, x.max() + 0.5, y.min() - 0.5, y.max() + 0.5)
    cells = ax.hexbin(
        x, y, gridsize=HEX_GRID, mincnt=1, cmap=blues, linewidths=0.2, edgecolors="face",
        extent=extent, clip_on=False,
    )  # fmt: skip
    return fig.colorbar(cells, ax=ax, shrink=0.8, label="Participants").ax


def binned_means(
    ax: Axes, x: np.ndarray, scores: np.ndarray, colour: str, *, confidence_level: float
) -> None:
    """The observed mean of each column of ``scores`` (participants × timepoints) at ``x``
    with its confidence interval, and the 25th to 75th percentile band."""
    means, lows, highs, q1, q3, xs = [], [], [], [], [], []
    for k in range(scores.shape[1]):
        col = scores[:, k]
        n, mean, low, high = mean_ci(col, confidence_level)
        if n == 0:
            continue
        xs.append(x[k])
        means.append(mean)
        lows.append(mean - low if not np.isnan(low) else 0.0)
        highs.append(high - mean if not np.isnan(high) else 0.0)
        quart = np.percentile(col[~np.isnan(col)], [25, 75])
        q1.append(quart[0])
        q3.append(quart[1])
    if not xs:
        return
    ax.fill_between(xs, q1, q3, color=colour, alpha=0.15, linewidth=0)
    ax.errorbar(
        xs, means, yerr=[lows, highs], color=colour, marker="o", ms=4, capsize=3,
        linestyle="none",
    )  # fmt: skip


def missing_share(observed: np.ndarray) -> tuple[np.ndarray, int]:
    """The share of missing values of each column in :data:`MISSING_GROUPS` consecutive groups
    of rows (groups × columns), and the size of the largest group."""
    groups = np.array_split(np.arange(observed.shape[0]), min(MISSING_GROUPS, len(observed)))
    share = np.vstack([1.0 - observed[g].mean(axis=0) for g in groups])
    return share, max(len(g) for g in groups)
