"""Figure layout computed once, from font metrics, before a figure is drawn.

matplotlib's constrained layout finds the room each axes needs by laying the whole figure out
(every tick created, formatted and measured) before it is drawn, which costs as much as the
drawing itself. Here the room is computed from the text an axes carries (its title, axis
labels and tick labels, whose strings come from the axis' own locator and formatter) measured
with the font's metrics, and the axes are placed once with ``subplots_adjust``; the figure is
then drawn once, into SVG.

All lengths are in points (1/72 inch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patalliance.report.svg import quiet_glyphs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

__all__ = ["fit", "legend_height", "text_size"]

#: Space left between the outermost text and the edge of the figure, and between panels.
PAD = 4.0


#: Advance widths of the glyphs measured so far, in ems, by font file and character.
_ADVANCES: dict[tuple[str, str], float] = {}


def _line_width(text: str, prop: FontProperties) -> float:
    """Width of one line of text in points: the sum of its glyphs' advances."""
    from matplotlib import font_manager
    from matplotlib.ft2font import LoadFlags

    path = font_manager.findfont(prop)
    total = 0.0
    for char in text:
        em = _ADVANCES.get((path, char))
        if em is None:
            font = font_manager.get_font(path)
            font.set_size(100.0, 72.0)  # 100 pixels per em
            glyph = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
            em = _ADVANCES[path, char] = glyph.linearHoriAdvance / 65536.0 / 100.0
        total += em
    return total * prop.get_size_in_points()


def text_size(
    text: str, prop: FontProperties, *, rotation: float = 0.0, linespacing: float = 1.2
) -> tuple[float, float]:
    """Width and height in points of (possibly multi-line, rotated) text, as matplotlib lays
    it out: lines ``linespacing`` font sizes apart."""
    if not text:
        return 0.0, 0.0
    lines = text.split("\n")
    width = max(_line_width(line, prop) for line in lines)
    height = linespacing * len(lines) * prop.get_size_in_points()
    if rotation % 180 == 0:
        return width, height
    theta = math.radians(rotation)
    cos, sin = abs(math.cos(theta)), abs(math.sin(theta))
    return width * cos + height * sin, width * sin + height * cos


def _text_extent(artist: Text) -> tuple[float, float]:
    if not artist.get_visible():
        return 0.0, 0.0
    spacing = artist.get_linespacing()
    return text_size(
        artist.get_text(),
        artist.get_fontproperties(),
        rotation=artist.get_rotation(),
        linespacing=spacing if isinstance(spacing, float | int) else 1.2,
    )


@dataclass
class _Ticks:
    """The tick labels an axis will draw: their sizes and positions along the axis (0 to 1)."""

    sizes: list[tuple[float, float]]
    where: list[float]
    offset: float  # from the axes edge to the labels: tick length out plus the label pad
    side1: bool  # labels on the bottom/left
    side2: bool  # labels on the top/right
    ha: str

    def depth(self, horizontal: bool) -> float:
        """How far the labels reach out from the axes edge."""
        if not self.sizes:
            return 0.0
        return self.offset + max(h if horizontal else w for w, h in self.sizes)


def _ticks(axis: Axis) -> _Ticks:
    from matplotlib.ticker import NullLocator

    tick = axis.majorTicks[0]  # the one tick whose properties every other tick copies
    label = tick.label1 if tick.label1.get_visible() else tick.label2
    side1, side2 = tick.label1.get_visible(), tick.label2.get_visible()
    pad: float = tick.get_pad()  # type: ignore[func-returns-value,assignment]  # returns the pad
    offset = tick.get_tick_padding() + pad
    if isinstance(axis.get_major_locator(), NullLocator) or not (side1 or side2):
        return _Ticks([], [], offset, False, False, "center")
    locs = list(axis.get_majorticklocs())
    texts = axis.get_major_formatter().format_ticks(locs)
    lo, hi = sorted(axis.get_view_interval())
    span = (hi - lo) or 1.0
    prop, rot = label.get_fontproperties(), label.get_rotation()
    sizes, where = [], []
    for loc, txt in zip(locs, texts, strict=True):
        if lo - 1e-10 * span <= loc <= hi + 1e-10 * span and txt:
            sizes.append(text_size(txt, prop, rotation=rot))
            where.append((loc - lo) / span)
    if axis.axes.yaxis is axis and axis.axes.yaxis_inverted():
        where = [1.0 - f for f in where]
    return _Ticks(sizes, where, offset, side1, side2, label.get_horizontalalignment())


@dataclass
class Room:
    """The room an axes' text needs outside its box, on each side, in points."""

    left: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    top: float = 0.0


def _label_depth(axis: Axis) -> float:
    w, h = _text_extent(axis.label)
    depth = h if axis.axes.xaxis is axis else w
    return axis.labelpad + depth if depth else 0.0


def _x_room(ax: Axes, room: Room, width: float) -> None:
    ticks = _ticks(ax.xaxis)
    depth = ticks.depth(horizontal=True)
    label = _label_depth(ax.xaxis)
    if ax.xaxis.get_label_position() == "top":
        room.top, room.bottom = depth * ticks.side2 + label, depth * ticks.side1
    else:
        room.bottom, room.top = depth * ticks.side1 + label, depth * ticks.side2
    for (w, _), f in zip(ticks.sizes, ticks.where, strict=True):
        left_part = {"right": w, "left": 0.0}.get(ticks.ha, w / 2)
        room.left = max(room.left, left_part - f * width)
        room.right = max(room.right, w - left_part - (1 - f) * width)


def _y_room(ax: Axes, room: Room, height: float) -> None:
    ticks = _ticks(ax.yaxis)
    depth = ticks.depth(horizontal=False)
    label = _label_depth(ax.yaxis)
    on_right = ax.yaxis.get_label_position() == "right"
    room.left = max(room.left, depth * ticks.side1 + (0.0 if on_right else label))
    room.right = max(room.right, depth * ticks.side2 + (label if on_right else 0.0))
    for (_, h), f in zip(ticks.sizes, ticks.where, strict=True):
        room.bottom = max(room.bottom, h / 2 - f * height)
        room.top = max(room.top, h / 2 - (1 - f) * height)


def _room(ax: Axes, width: float, height: float) -> Room:
    """The room ``ax`` (``width`` × ``height`` points) needs for its ticks, labels and title."""
    import matplotlib

    if not ax.axison:
        return Room()
    room = Room()
    _x_room(ax, room, width)
    above = room.top  # the title goes above anything the x axis has on top
    _y_room(ax, room, height)
    title = _text_extent(ax.title)[1]
    if title:
        pad = float(matplotlib.rcParams["axes.titlepad"])
        room.top = max(room.top, above + pad + title)
    return room


def fit(
    fig: MplFigure,
    axes: Sequence[Axes],
    *,
    colorbar: Axes | None = None,
    below: float = 0.0,
    right: float = 0.0,
) -> None:
    """Place one row of subplots ``axes`` (left to right) so that their text fits the figure.

    ``colorbar`` is a colorbar drawn to the right of the last axes (``fig.colorbar(...,
    ax=axes[-1])``); ``below`` and ``right`` are the heights/widths in points of anything
    else the figure holds outside the axes (a legend under them, one to their right).
    """
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine(None)
    with quiet_glyphs():
        _fit(fig, axes, colorbar, below, right)


def _fit(
    fig: MplFigure, axes: Sequence[Axes], colorbar: Axes | None, below: float, right: float
) -> None:
    width, height = (float(v) * 72.0 for v in fig.get_size_inches())
    n = len(axes)
    panel_w, panel_h = width / n, height
    for _ in range(2):  # the room depends on the axes' size a little (ticks near an edge)
        rooms = [_room(ax, panel_w, panel_h) for ax in axes]
        extra = _room(colorbar, panel_w, panel_h).right if colorbar is not None else 0.0
        left = rooms[0].left + PAD
        right_m = max(rooms[-1].right, extra) + right + PAD
        top = max(r.top for r in rooms) + PAD
        bottom = max(r.bottom for r in rooms) + below + PAD
        gap = max((rooms[i].right + rooms[i + 1].left for i in range(n - 1)), default=0.0)
        gap += PAD
        panel_w = max((width - left - right_m - gap * (n - 1)) / n, 1.0)
        panel_h = max(height - top - bottom, 1.0)
    # text too large for the figure: the margins shrink together, the axes keep a tenth
    h_scale = min(1.0, 0.9 * width / (left + right_m + gap * (n - 1)))
    v_scale = min(1.0, 0.9 * height / (top + bottom))
    left, right_m, gap = left * h_scale, right_m * h_scale, gap * h_scale
    top, bottom = top * v_scale, bottom * v_scale
    panel_w = (width - left - right_m - gap * (n - 1)) / n
    fig.subplots_adjust(
        left=left / width,
        right=1.0 - right_m / width,
        bottom=bottom / height,
        top=1.0 - top / height,
        wspace=gap / panel_w,
    )


def legend_height(fontsize: float, rows: int = 1) -> float:
    """The height in points of a legend of ``rows`` rows of one-line labels in ``fontsize``
    points, with matplotlib's default padding, and its distance from the figure's edge."""
    from matplotlib.font_manager import FontProperties

    line = text_size("lp", FontProperties(family="DejaVu Sans", size=fontsize))[1]
    # borderpad 0.4 on each side, labelspacing 0.5 between rows, borderaxespad 0.5
    return rows * max(line, 0.7 * fontsize) + fontsize * (0.8 + 0.5 * (rows - 1) + 0.5)
