"""Figures of a moderation model: the interaction plot and the Johnson–Neyman plot.

Both are matplotlib figures rendered to deterministic inline SVG by
:func:`patalliance.report.svg.to_svg`, with a plain-language caption and alt text. The
interaction plot draws the model's predicted outcome over the observed range of x, one line
per value of the moderator (−1 SD, mean, +1 SD, or each level), covariates at their means.
The Johnson–Neyman plot draws the conditional effect of x across the observed range of a
continuous moderator with its confidence band, and marks the boundaries.
"""

from __future__ import annotations

import numpy as np

from patalliance.report import apa
from patalliance.report.labels import Labeler
from patalliance.report.layout import fit
from patalliance.report.sections import Figure
from patalliance.report.svg import PALETTE, new_figure, to_svg
from patalliance.stats.moderation import ModerationResult

__all__ = ["interaction_figure", "jn_figure"]


def _predicted(r: ModerationResult, x: np.ndarray, slope: int) -> np.ndarray:
    """Predicted y over ``x`` at the moderator value of ``r.slopes[slope]``."""
    b = np.array([c.estimate for c in r.model.coefficients])
    k_w = max(len(r.w_levels) - 1, 1)
    cov_part = float(b[2 + 2 * k_w :] @ np.array(r.covariate_means)) if r.covariate_means else 0.0
    xc = x - r.x_mean
    if r.w_type == "continuous":
        u = r.slopes[slope].w_value - r.w_mean
        return b[0] + b[1] * xc + b[2] * u + b[3] * xc * u + cov_part
    y = b[0] + b[1] * xc + cov_part
    if slope > 0:
        y = y + b[1 + slope] + b[1 + k_w + slope] * xc
    return y


def interaction_figure(r: ModerationResult, lab: Labeler) -> Figure:
    """Simple-slope lines of y on x at each probed value of w."""
    fig = new_figure(4.6, 3.4)
    ax = fig.add_subplot()
    x = np.linspace(r.x_min, r.x_max, 50)
    for i, s in enumerate(r.slopes):
        label = s.at if r.w_type == "categorical" else f"{s.at} ({apa.fmt_num(s.w_value)})"
        ax.plot(x, _predicted(r, x, i), color=PALETTE[i % len(PALETTE)], lw=1.6, label=label)
    ax.set_xlabel(lab.variable(r.x))
    ax.set_ylabel(f"Predicted {lab.short(r.y) or r.y}")
    ax.legend(title=lab.variable(r.w), fontsize=9, title_fontsize=9, frameon=False)
    fit(fig, [ax])
    at = "each level" if r.w_type == "categorical" else "−1 SD, the mean and +1 SD"
    return Figure(
        to_svg(fig, f"moderation-{r.x}-{r.w}".replace("@", "-").replace(".", "-")),
        f"Interaction plot: predicted {lab.variable(r.y)} by {lab.variable(r.x)} at {at} of "
        f"{lab.variable(r.w)} (n = {r.n}).",
        f"Line chart with one line per value of {lab.variable(r.w)}; each line's slope is the "
        f"conditional effect of {lab.variable(r.x)}.",
    )


def jn_figure(r: ModerationResult, lab: Labeler) -> Figure:
    """The conditional effect of x across w with its confidence band and the JN boundaries."""
    fig = new_figure(4.6, 3.4)
    ax = fig.add_subplot()
    w = np.linspace(r.w_min, r.w_max, 200)
    est, se = r.conditional_effect(w)
    ax.plot(w, est, color=PALETTE[0], lw=1.6, label="Conditional effect")
    ax.fill_between(
        w, est - r.t_crit * se, est + r.t_crit * se, color=PALETTE[5], alpha=0.3,
        label=f"{apa.ci_label(r.confidence_level)} CI",
    )  # fmt: skip
    ax.axhline(0.0, color="#333333", lw=0.8)
    inside = [b for b in r.jn_boundaries if r.w_min <= b <= r.w_max]
    for b in inside:
        ax.axvline(b, color=PALETTE[1], lw=1.0, ls="--")
    ax.set_xlabel(lab.variable(r.w))
    ax.set_ylabel(f"Effect of {lab.short(r.x) or r.x}")
    ax.legend(fontsize=9, frameon=False)
    fit(fig, [ax])
    bounds = ", ".join(apa.fmt_num(b) for b in inside) or "none within the observed range"
    return Figure(
        to_svg(fig, f"jn-{r.x}-{r.w}".replace("@", "-").replace(".", "-")),
        f"Johnson–Neyman plot: conditional effect of {lab.variable(r.x)} on "
        f"{lab.variable(r.y)} across {lab.variable(r.w)}, with its "
        f"{apa.ci_label(r.confidence_level)} confidence band; boundaries: {bounds}.",
        f"Line chart of the effect of {lab.variable(r.x)} against {lab.variable(r.w)} with a "
        "shaded confidence band and dashed vertical lines at the Johnson–Neyman boundaries.",
    )
