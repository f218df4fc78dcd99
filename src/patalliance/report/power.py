"""Outputs of ``patalliance power plan``: power.json, the power-curve figure and a small
self-contained HTML page."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from patalliance._version import __version__
from patalliance.report.figures import PALETTE, RC, _new_figure, to_svg
from patalliance.simulate.plan import PlanSource
from patalliance.simulate.power_mc import PowerCurveResult


def power_document(curve: PowerCurveResult, source: PlanSource) -> dict[str, Any]:
    """The JSON-ready description of a power curve (unrounded)."""
    spec = source.spec
    tests = []
    for i, (family, x, y) in enumerate(curve.tests):
        ix, iy = spec.variables.index(x), spec.variables.index(y)
        tests.append(
            {
                "family": family,
                "x": x,
                "y": y,
                "rho": float(spec.corr[ix, iy]),
                "primary": i in spec.primary,
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
        "tests": tests,
        "power_all_primary": [float(v) for v in curve.power_all_primary],
        "power_any": [float(v) for v in curve.power_any],
        "min_n_all_primary": curve.min_n_all_primary,
    }


def power_curve_svg(curve: PowerCurveResult, source: PlanSource) -> str:
    """Power against N for every test (primary tests solid), with the target line."""
    import matplotlib

    spec = source.spec
    with matplotlib.rc_context(RC):
        fig = _new_figure(8.0, 4.8)
        ax = fig.add_subplot(1, 1, 1)
        n_grid = np.asarray(curve.n_grid)
        for i, (_, x, y) in enumerate(curve.tests):
            primary = i in spec.primary
            ax.plot(
                n_grid,
                curve.power[:, i],
                marker="o",
                markersize=3,
                linewidth=1.4 if primary else 0.8,
                linestyle="-" if primary else ":",
                color=PALETTE[i % len(PALETTE)],
                label=f"{x} × {y}" + ("" if primary else " (null)"),
            )
        if len(spec.primary):
            ax.plot(
                n_grid,
                curve.power_all_primary,
                color="black",
                linewidth=2.2,
                label="all primary tests",
            )
        ax.axhline(curve.target_power, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("Sample size N")
        ax.set_ylabel(f"Power (α = {curve.alpha:g}, {curve.adjust})")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        return to_svg(fig, "power")


def write_power_outputs(
    curve: PowerCurveResult, source: PlanSource, out_dir: Path
) -> dict[str, Path]:
    """Write power.json, power_curve.svg and power_report.html into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = power_document(curve, source)
    (out_dir / "power.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    svg = power_curve_svg(curve, source)
    (out_dir / "power_curve.svg").write_text(svg, encoding="utf-8")
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{:.2f}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(t["x"]),
            html.escape(t["y"]),
            t["rho"],
            "yes" if t["primary"] else "no (null)",
            t["min_n"] if t["min_n"] is not None else f"&gt; {max(curve.n_grid)}",
        )
        for t in doc["tests"]
    )
    caption = (
        f"Monte Carlo power ({curve.n_simulations:,} simulated trials per N, seed {curve.seed}) of "
        f"each planned correlation test, after {html.escape(curve.adjust)} adjustment within "
        f"families, at α = {curve.alpha:g}. Solid lines: tests with a real effect; dotted: null "
        f"tests. Correlations from {html.escape(source.corr_source)}; missingness: "
        f"{html.escape(source.missing_source)}."
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Power analysis</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}}
table{{border-collapse:collapse}}th,td{{border-bottom:1px solid #ccc;padding:.2rem .6rem;text-align:left}}
svg{{max-width:100%;height:auto}}</style></head>
<body><h1>Sample-size planning</h1>
<figure role="group" aria-label="Power curve">{svg}<figcaption>{caption}</figcaption></figure>
<p>Minimum N in the grid for {curve.target_power:.0%} power on all primary tests together:
<strong>{doc["min_n_all_primary"] if doc["min_n_all_primary"] is not None else "not reached"}</strong>.</p>
<table><thead><tr><th scope="col">x</th><th scope="col">y</th><th scope="col">ρ</th>
<th scope="col">primary</th><th scope="col">minimum N for {curve.target_power:.0%}</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>patalliance {html.escape(__version__)}</p></body></html>
"""
    (out_dir / "power_report.html").write_text(page, encoding="utf-8")
    return {
        "power.json": out_dir / "power.json",
        "power_curve.svg": out_dir / "power_curve.svg",
        "power_report.html": out_dir / "power_report.html",
    }
