"""The figure layout computed from font metrics: text measured as matplotlib measures it, and
every piece of text of a laid-out figure inside the figure, with little room to spare
(matplotlib's own extents of the drawn artists are the reference)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure as MplFigure

from patalliance.report.layout import fit, legend_height, text_size
from patalliance.report.svg import RC, new_figure, to_svg


def _svg_renderer(fig: MplFigure) -> RendererSVG:
    """The renderer matplotlib draws an SVG with (72 dpi), for the extents of the artists."""
    fig.set_dpi(72)
    w, h = fig.get_size_inches() * 72
    return RendererSVG(w, h, io.StringIO())


@pytest.mark.parametrize(
    "text",
    [
        "WAI-SR Total, Final preparation session ×",
        "r (dot: all participants;\nbar: leave-one-out range)",
        "−0.8",
        "GRID-HAMD-17 Total,\n4 weeks after\nsession 2",
    ],
)
@pytest.mark.parametrize("size", [6.0, 9.0, 10.0])
def test_text_size_matches_matplotlib(text: str, size: float) -> None:
    with matplotlib.rc_context(RC):
        fig = MplFigure(figsize=(4, 3))
        artist = fig.text(0.1, 0.5, text, fontsize=size)
        ours = text_size(text, artist.get_fontproperties())
        theirs = artist.get_window_extent(_svg_renderer(fig))
    # glyph advances without kerning: within 2% of the width; lines 1.2 sizes apart
    assert ours[0] == pytest.approx(theirs.width, rel=0.02, abs=0.5)
    assert theirs.height - 0.1 <= ours[1] <= theirs.height + 0.25 * size


def _inside(fig: MplFigure, slack: float = 1.0) -> tuple[float, float, float, float]:
    """The margins (left, bottom, right, top) in points between the drawn text and the edges
    of the figure; asserts that nothing sticks out."""
    renderer = _svg_renderer(fig)
    with matplotlib.rc_context(RC):
        fig.draw(renderer)
        box = fig.get_tightbbox(renderer)  # in inches
    w, h = fig.get_size_inches()
    margins = tuple(72.0 * m for m in (box.x0, box.y0, w - box.x1, h - box.y1))
    assert min(margins) >= -slack, margins
    return margins


def _panels(n: int, *, sharey: bool) -> tuple[MplFigure, list]:  # type: ignore[type-arg]
    fig = new_figure(2.6 * n + 0.6, 3.4)
    axes = list(fig.subplots(1, n, sharey=sharey, squeeze=False)[0])
    rng = np.random.default_rng(0)
    for k, ax in enumerate(axes):
        ax.plot(rng.normal(50, 10, 20), rng.normal(1000, 300, 20), "o")
        ax.set_title(f"Arm {k}: a title long enough\nto take two lines (n = 13)", y=1.0)
        ax.set_xticks([30, 50, 70], ["Final\npreparation\nsession", "Middle", "1 week after"])
        ax.set_xlabel("An x label")
    axes[0].set_ylabel("A y label on\ntwo lines")
    return fig, axes


@pytest.mark.parametrize(("n", "sharey"), [(1, False), (2, True), (3, False)])
def test_fitted_panels_keep_their_text_inside_the_figure(n: int, sharey: bool) -> None:
    with matplotlib.rc_context(RC):
        fig, axes = _panels(n, sharey=sharey)
        fit(fig, axes)
    margins = _inside(fig)
    assert max(margins) < 12.0  # no room wasted either: at most PAD plus a rounding


def test_colorbar_rotated_ticks_and_a_legend_below_fit() -> None:
    with matplotlib.rc_context(RC):
        fig = new_figure(4.2, 3.4)
        ax = fig.subplots()
        image = ax.imshow(np.arange(12.0).reshape(3, 4) / 11, cmap="RdBu_r", aspect="auto")
        ax.set_xticks(range(4), ["a long tick label", "b", "c", "another long one"], rotation=90)
        ax.set_yticks(range(3), ["row one", "row two", "row three is longer"])
        cbar = fig.colorbar(image, ax=ax, shrink=0.8, label="r")
        ax.plot([0, 1], [0, 1], label="first series")
        ax.plot([1, 2], [1, 2], label="second series")
        fig.legend(loc="lower center", ncols=2, frameon=False, fontsize=9)
        fit(fig, [ax], colorbar=cbar.ax, below=legend_height(9.0))
        svg = to_svg(fig, "t")
    assert svg.startswith("<svg")
    _inside(fig)
    legend = fig.legends[0].get_window_extent(_svg_renderer(fig))
    axes_box = ax.get_tightbbox(_svg_renderer(fig))
    assert legend.y1 <= axes_box.y0 + 1.0  # the legend sits below the tick labels


def test_text_too_large_for_the_figure_leaves_the_axes_a_tenth() -> None:
    with matplotlib.rc_context(RC):
        fig = new_figure(2.0, 2.0)
        ax = fig.subplots()
        ax.set_ylabel("\n".join(["a label of many lines"] * 12))
        fit(fig, [ax])
    box = ax.get_position()
    assert box.width >= 0.099 and box.height >= 0.099
