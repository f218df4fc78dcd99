"""The figures' shared style: palette, matplotlib settings and deterministic inline SVG.

Kept apart from :mod:`patalliance.report.figures` so that a page with one figure (the power
plan's) draws it without loading the analysis report. matplotlib is imported only when a
figure is made.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = ["PALETTE", "RC", "new_figure", "to_svg"]

#: Okabe–Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
RC: Any = {
    "svg.hashsalt": "patalliance",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100.0,
}


def _uniquify_ids(svg: str, prefix: str) -> str:
    """Prefix every id (and reference to it) so several SVGs can share one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)


def to_svg(fig: MplFigure, prefix: str) -> str:
    """The figure as inline ``<svg>`` markup, deterministic (no date, fixed hash salt)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        # An emoji or rare script in a participant id or label has no glyph in the bundled
        # font: the character is drawn as a box, which is not worth a warning on stderr.
        warnings.filterwarnings(
            "ignore", message=r"Glyph .* missing from font", category=UserWarning
        )
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    return _uniquify_ids(svg, prefix)


def new_figure(width: float, height: float) -> MplFigure:
    """An empty figure of ``width`` x ``height`` inches, constrained layout, no pyplot."""
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(width, height), layout="constrained")
