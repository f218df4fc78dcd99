"""matplotlib figures rendered to deterministic inline SVG, and what every figure shares.

matplotlib is imported lazily (only when a report is written) and pyplot is never used, so
no global state or GUI backend is touched. A figure is made by :func:`new_figure`, its axes
are placed once by :func:`patalliance.report.layout.fit`, and it is drawn once by
:func:`to_svg`.
"""

from __future__ import annotations

import io
import re
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = ["PALETTE", "RC", "mean_ci", "new_figure", "quiet_glyphs", "to_svg", "wrap"]

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


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """No warning for a character the bundled font has no glyph for.

    An emoji or rare script in a participant id or label is drawn as a box, which is not
    worth a warning on stderr.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Glyph .* missing from font", category=UserWarning
        )
        yield


def _uniquify_ids(svg: str, prefix: str) -> str:
    """Prefix every id (and reference to it) so several SVGs can share one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)


def to_svg(fig: MplFigure, prefix: str) -> str:
    """The figure as inline ``<svg>`` markup, deterministic (no date, fixed hash salt)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(RC), quiet_glyphs():
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    return _uniquify_ids(svg, prefix)


def new_figure(width: float, height: float, *, constrained: bool = False) -> MplFigure:
    """A figure of ``width`` × ``height`` inches.

    Without ``constrained``, it has no layout engine: its axes are placed once by
    :func:`patalliance.report.layout.fit` and the figure is drawn once. With it, matplotlib's
    constrained layout places them while the figure is saved (for figures of an unusual
    shape, drawn once per run).
    """
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(width, height), layout="constrained" if constrained else None)


def wrap(text: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def mean_ci(values: np.ndarray, confidence_level: float) -> tuple[int, float, float, float]:
    """n, mean and t-based CI of the mean (NaN bounds when n < 2)."""
    from scipy import stats

    v = values[~np.isnan(values)]
    n = int(v.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    mean = float(v.mean())
    if n < 2:
        return n, mean, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence_level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return n, mean, mean - half, mean + half
