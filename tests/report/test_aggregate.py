"""Above AGGREGATE_ABOVE participants the per-participant figures show aggregates, whose size
does not grow with N; at the threshold they still draw every participant.

The large analysis tables are made from the demo's by drawing its participants with
replacement, with a little noise: a 24,000-participant report is then written in seconds.
The figures read only the analysis table and the typed results.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import patalliance as pa
from patalliance.derive import AnalysisTable
from patalliance.report import write_report
from patalliance.report.aggregate import AGGREGATE_ABOVE, HEX_GRID

#: The most hexagons a HEX_GRID hexbin can have (two interleaved lattices).
MAX_HEXAGONS = 2 * (HEX_GRID + 1) ** 2


@pytest.fixture(scope="module")
def demo() -> pa.Results:
    return pa.analyze(pa.demo_study())


def _enlarge(res: pa.Results, n: int, seed: int = 0) -> pa.Results:
    """``res`` with an analysis table of ``n`` participants drawn from its own."""
    table = res.table
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, table.n_participants, n)
    ids = pd.Index([f"S{i:06d}" for i in range(n)], name=table.values.index.name)

    def take(frame):  # type: ignore[no-untyped-def]
        out = frame.iloc[rows].copy()
        out.index = ids
        return out

    values = take(table.values)
    values = values + rng.normal(0.0, 0.3, values.shape)  # NaN stays NaN
    big = AnalysisTable(
        values=values,
        arms=take(table.arms),
        facilitators=take(table.facilitators),
        covariates=take(table.covariates),
        variables=table.variables,
        labels=take(table.labels),
    )
    return replace(res, table=big)


def _report(res: pa.Results, out: Path) -> str:
    return write_report(res, out)["report.html"].read_text(encoding="utf-8")


def _figures(page: str) -> dict[str, tuple[str, str, str]]:
    """Each figure by anchor: its SVG, alt text and caption."""
    found = re.finditer(
        r'<figure id="([^"]+)">\s*(<svg.*?</svg>)\s*<figcaption>(.*?)</figcaption>', page, re.S
    )
    out = {}
    for m in found:
        alt = re.search(r'aria-label="([^"]*)"', m.group(2))
        assert alt is not None
        caption = re.sub(r"<[^>]+>", "", m.group(3))
        out[m.group(1)] = (m.group(2), html.unescape(alt.group(1)), html.unescape(caption))
    return out


def _marks(svg: str) -> int:
    return svg.count("<path") + svg.count("<use")


@pytest.fixture(scope="module")
def above(demo: pa.Results, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:  # type: ignore[type-arg]
    res = _enlarge(demo, AGGREGATE_ABOVE + 1)
    return _figures(_report(res, tmp_path_factory.mktemp("above")))


def test_scatter_plots_above_the_threshold_are_hexbins(above) -> None:  # type: ignore[no-untyped-def]
    scatters = {k: v for k, v in above.items() if k.startswith("fig-scatter")}
    assert scatters
    for svg, alt, caption in scatters.values():
        assert "hexagonal bins of participant counts" in caption
        assert "the line is the least-squares fit" in caption
        assert alt.startswith("Hexagonal-bin plot of participant counts")
        assert "PolyCollection" in svg and "PathCollection" not in svg  # no dot per participant
        assert svg.count("<use") <= MAX_HEXAGONS
        assert "Participants" in svg  # the colour bar's label


def test_change_and_spaghetti_plots_above_the_threshold_are_summaries(above) -> None:  # type: ignore[no-untyped-def]
    svg, alt, caption = above["fig-change-1"]
    assert f"for {AGGREGATE_ABOVE + 1} participants (summarised, not drawn one by one)" in caption
    assert "25th to 75th percentile" in caption and "95% confidence interval" in caption
    assert "summarised by box plots" in alt
    assert _marks(svg) < 100  # not one line per participant
    svg, alt, caption = next(v for k, v in above.items() if k.startswith("fig-trajectories"))
    assert "summarised per arm (not drawn one by one)" in caption
    assert "the observed mean at each timepoint with its 95% confidence interval" in caption
    assert "mean trajectory per arm" in caption
    assert alt.startswith("Line chart of the mean at each timepoint")
    assert _marks(svg) < 100


def test_missingness_map_above_the_threshold_shows_groups(above) -> None:  # type: ignore[no-untyped-def]
    svg, alt, caption = above["fig-missing"]
    assert f"the {AGGREGATE_ABOVE + 1} participants in 50 consecutive groups" in caption
    assert "% missing" in svg
    assert alt.startswith("Grid of 50 groups of participants")


def test_at_the_threshold_every_participant_is_drawn(demo: pa.Results, tmp_path: Path) -> None:
    figures = _figures(_report(_enlarge(demo, AGGREGATE_ABOVE), tmp_path))
    svg, alt, caption = figures["fig-scatter-1"]
    assert "each dot is one participant" in caption and alt.startswith("Scatter plot")
    n_both = int(re.search(r"for (\d+) participants", alt).group(1))  # type: ignore[union-attr]
    assert n_both > AGGREGATE_ABOVE // 2
    assert svg.count("<use") >= n_both  # one marker per participant
    svg, _, caption = figures["fig-change-1"]
    assert "Thin lines: one participant each" in caption
    assert svg.count("<path") >= AGGREGATE_ABOVE // 2  # a line per participant with both


@pytest.mark.slow
def test_report_size_does_not_grow_with_n(demo: pa.Results, tmp_path: Path) -> None:
    """At 24,000 participants the report has about as many SVG marks as at 2,000, far fewer
    than one per participant, and stays small."""
    pages = {n: _report(_enlarge(demo, n), tmp_path / str(n)) for n in (2_000, 24_000)}
    marks = {n: _marks(page) for n, page in pages.items()}
    assert marks[24_000] <= 1.5 * marks[2_000]
    assert marks[24_000] < 10_000
    assert len(pages[24_000].encode("utf-8")) < 2_000_000
