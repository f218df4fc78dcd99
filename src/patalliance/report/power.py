"""Outputs of ``patalliance power plan``: power.json, the power-curve figure and a small
self-contained HTML page."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from patalliance._version import __version__
from patalliance.report.power_text import PLAN_MEANINGS, adjust_phrase
from patalliance.report.svg import PALETTE, RC, new_figure, to_svg
from patalliance.simulate.plan import PlanSource
from patalliance.simulate.power_mc import PowerCurveResult


def power_document(curve: PowerCurveResult, source: PlanSource) -> dict[str, Any]:
    """The JSON-ready description of a power curve (unrounded)."""
    spec = source.spec
    has_primary = bool(source.primary)
    tests = []
    for i, (family, x, y) in enumerate(curve.tests):
        ix, iy = spec.variables.index(x), spec.variables.index(y)
        tests.append(
            {
                "family": family,
                "x": x,
                "y": y,
                "rho": float(spec.corr[ix, iy]),
                "primary": i in source.primary,
                "power": [float(v) for v in curve.power[:, i]],
                "power_se": [float(v) for v in curve.power_se[:, i]],
                "min_n": curve.min_n[i],
            }
        )
    return {
        "schema": "patalliance.power/1",
        "software": {"name": "patalliance", "version": __version__},
        "method": curve.method,
        "n_grid": list(curve.n_grid),
        "n_simulations": curve.n_simulations,
        "seed": curve.seed,
        "alpha": curve.alpha,
        "adjust": curve.adjust,
        "target_power": curve.target_power,
        "correlations_from": source.corr_source,
        "correlation_matrix_adjusted_to_positive_definite": source.adjusted_to_pd,
        "missingness_from": source.missing_source,
        "missing": dict(spec.missing),
        "primary_from": source.primary_from,
        "warnings": list(source.warnings),
        "tests": tests,
        "power_all_primary": ([float(v) for v in curve.power_all_primary] if has_primary else None),
        "power_any": [float(v) for v in curve.power_any],
        "min_n_all_primary": curve.min_n_all_primary if has_primary else None,
    }


def power_curve_svg(curve: PowerCurveResult, source: PlanSource) -> str:
    """Power against N for every test (primary tests solid), with the target line."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = new_figure(8.0, 4.8, constrained=True)
        ax = fig.add_subplot(1, 1, 1)
        n_grid = np.asarray(curve.n_grid)
        for i, (_, x, y) in enumerate(curve.tests):
            primary = i in source.primary
            ax.plot(
                n_grid,
                curve.power[:, i],
                marker="o",
                markersize=3,
                linewidth=1.4 if primary else 0.8,
                linestyle="-" if primary else ":",
                color=PALETTE[i % len(PALETTE)],
                label=f"{x} × {y}" + ("" if primary else " (secondary)"),
            )
        if source.primary:
            ax.plot(
                n_grid,
                curve.power_all_primary,
                color="black",
                linewidth=2.2,
                label="all primary tests",
            )
        ax.axhline(curve.target_power, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("Sample size N")
        ax.set_ylabel(f"Power (α = {curve.alpha:g})")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        return to_svg(fig, "power")


def _fmt_min_n(value: int | None, grid: tuple[int, ...]) -> str:
    return str(value) if value is not None else f"&gt; {max(grid)}"


def _power_table(doc: dict[str, Any], curve: PowerCurveResult) -> str:
    """Per-test power at each N, then the all-primary and any-significant rows."""
    grid = curve.n_grid
    head = "".join(f'<th scope="col">power, N = {n}</th>' for n in grid)
    rows = []
    for t in doc["tests"]:
        cells = "".join(f"<td>{p:.2f}</td>" for p in t["power"])
        rows.append(
            f"<tr><td>{html.escape(t['x'])} × {html.escape(t['y'])}</td><td>{t['rho']:.2f}</td>"
            f"<td>{'yes' if t['primary'] else 'no'}</td>{cells}"
            f"<td>{_fmt_min_n(t['min_n'], grid)}</td></tr>"
        )
    k = sum(t["primary"] for t in doc["tests"])
    if doc["power_all_primary"] is None:
        rows.append(
            f'<tr><th scope="row">all primary</th><td colspan="{len(grid) + 3}">no primary '
            "test: mark the tests the study is powered for (docs/power.md)</td></tr>"
        )
    else:
        cells = "".join(f"<td>{p:.2f}</td>" for p in doc["power_all_primary"])
        rows.append(
            f'<tr><th scope="row">all {k} primary tests</th><td></td><td></td>{cells}'
            f"<td>{_fmt_min_n(doc['min_n_all_primary'], grid)}</td></tr>"
        )
    cells = "".join(f"<td>{p:.2f}</td>" for p in doc["power_any"])
    rows.append(f'<tr><th scope="row">any significant</th><td></td><td></td>{cells}<td></td></tr>')
    return (
        '<table><thead><tr><th scope="col">test</th><th scope="col">ρ</th>'
        f'<th scope="col">primary</th>{head}<th scope="col">minimum N for '
        f"{curve.target_power:.0%}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _legend() -> str:
    items = "".join(
        f"<dt>{html.escape(key)}</dt><dd>{html.escape(text)}</dd>"
        for key, text in PLAN_MEANINGS.items()
    )
    return f"<h2>How to read this page</h2><dl>{items}</dl>"


def write_power_outputs(
    curve: PowerCurveResult, source: PlanSource, out_dir: Path
) -> dict[str, Path]:
    """Write power.json, power_curve.svg and power_report.html into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = power_document(curve, source)
    (out_dir / "power.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    svg = power_curve_svg(curve, source)
    (out_dir / "power_curve.svg").write_text(svg, encoding="utf-8")
    caption = (
        f"Monte Carlo power ({curve.n_simulations:,} simulated trials per N, seed {curve.seed}) of "
        f"each planned correlation test, {adjust_phrase(curve.adjust)}, at α = {curve.alpha:g}. "
        "Solid lines: primary tests; dotted: secondary tests. Correlations from "
        f"{html.escape(source.corr_source)}; missingness: {html.escape(source.missing_source)}."
    )
    warnings = "".join(
        f'<p class="warning"><strong>Warning:</strong> {html.escape(w)}</p>'
        for w in source.warnings
    )
    all_primary = doc["min_n_all_primary"]
    summary = (
        "No primary test is marked, so there is no minimum N for all primary tests."
        if doc["power_all_primary"] is None
        else f"Minimum N in the grid for {curve.target_power:.0%} power on all primary tests "
        f"together: <strong>{all_primary if all_primary is not None else 'not reached'}</strong>."
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Power analysis</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}}
table{{border-collapse:collapse}}th,td{{border-bottom:1px solid #ccc;padding:.2rem .6rem;text-align:left}}
.warning{{border-left:4px solid #b45309;padding:.4rem .8rem;background:#fff7ed}}
dt{{font-weight:bold}}svg{{max-width:100%;height:auto}}</style></head>
<body><h1>Sample-size planning</h1>
{warnings}
<figure role="group" aria-label="Power curve">{svg}<figcaption>{caption}</figcaption></figure>
<p>{summary} Primary tests: {html.escape(source.primary_from)}.</p>
<div style="overflow-x:auto">{_power_table(doc, curve)}</div>
{_legend()}
<p>patalliance {html.escape(__version__)}</p></body></html>
"""
    (out_dir / "power_report.html").write_text(page, encoding="utf-8")
    return {
        "power.json": out_dir / "power.json",
        "power_curve.svg": out_dir / "power_curve.svg",
        "power_report.html": out_dir / "power_report.html",
    }
