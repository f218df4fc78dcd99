"""The pooled analysis's outputs: ``pool_results.json``, a self-contained ``report.html``
(Jinja2, inline SVG, no external resources) and the tables as CSV, XLSX and DOCX.

Tables are :class:`~patalliance.report.tables.ReportTable` objects (a formatted ``display``
frame and an unrounded ``data`` frame) exported with :mod:`patalliance.report.export`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from patalliance._version import __version__
from patalliance.document import package_versions
from patalliance.pool.analysis import PoolResult
from patalliance.pool.document import display_path, file_sha256, write_document
from patalliance.pool.figures import forest_plot, funnel_plot
from patalliance.pool.text import (
    key_facts,
    methods_paragraphs,
    references,
    results_sentences,
    summary_sentences,
)
from patalliance.report import apa
from patalliance.report.export import write_csvs, write_docx, write_xlsx
from patalliance.report.html import html_figure, html_table
from patalliance.report.tables import ReportTable
from patalliance.safe_cells import write_csv
from patalliance.status import Status

__all__ = ["build_tables", "render_html", "write_pool_outputs"]


def _fmt(result: PoolResult, value: float) -> str:
    return apa.fmt_r(value) if result.measure == "r" else apa.fmt_num(value)


def _interval(result: PoolResult, lo: float, hi: float) -> str:
    return apa.fmt_interval(lo, hi, leading_zero=result.measure != "r")


def _studies_table(result: PoolResult) -> ReportTable:
    lvl = apa.ci_label(result.confidence_level)
    sym = result.effect_label
    data = pd.DataFrame(
        {
            "Study": [s.label for s in result.studies],
            "n": [s.n for s in result.studies],
            sym: [s.effect for s in result.studies],
            f"{lvl} CI low": [s.ci_low for s in result.studies],
            f"{lvl} CI high": [s.ci_high for s in result.studies],
            "Weight (%)": [100 * s.weight for s in result.studies],
            "Subgroup": [s.subgroup for s in result.studies],
            "Sign flipped": [s.sign_flipped for s in result.studies],
            "Source": [s.source for s in result.studies],
            "Detail": [s.detail for s in result.studies],
        }
    )
    display = pd.DataFrame(
        {
            "Study": data["Study"],
            "n": [apa.fmt_int(v) for v in data["n"]],
            f"{sym} [{lvl} CI]": [
                f"{_fmt(result, s.effect)} {_interval(result, s.ci_low, s.ci_high)}"
                for s in result.studies
            ],
            "Weight (%)": [apa.fmt_num(v, 1) for v in data["Weight (%)"]],
            "Subgroup": data["Subgroup"],
            "Source": data["Source"],
        }
    )
    if not any(data["Detail"]):
        data = data.drop(columns="Detail")
    if not any(data["Subgroup"]):
        data, display = data.drop(columns="Subgroup"), display.drop(columns="Subgroup")
    note = (
        f"{sym} with {lvl} CI per study"
        + (" (r back-transformed from Fisher's z)" if result.measure == "r" else "")
        + "; weights are the random-effects weights."
        + (" Signs of effects with higher_is_better = false were flipped, so a positive "
           "value means a better outcome." if result.table.oriented else "")
    )  # fmt: skip
    fmt = {sym: "0.000", f"{lvl} CI low": "0.000", f"{lvl} CI high": "0.000", "Weight (%)": "0.0"}
    return ReportTable("pool_studies", "Studies and their effects", display, data, note, fmt)


def _model_rows(result: PoolResult) -> list[tuple[str, str, float]]:
    m = result.model
    lvl = apa.ci_label(m.confidence_level)
    sym = result.effect_label
    rows: list[tuple[str, str, float]] = [("Studies (k)", str(m.k), float(m.k))]
    if m.status != Status.OK:
        return [*rows, ("Model", f"not estimable: {m.reason}", math.nan)]
    test = f"t({apa.fmt_int(m.df)})" if m.hksj else "z"
    rows += [
        (f"Pooled {sym}", _fmt(result, result.estimate), result.estimate),
        (f"{lvl} CI{' (HKSJ)' if m.hksj else ''}", _interval(result, result.ci_low,
                                                               result.ci_high), math.nan),
        (f"Test ({test})", f"{apa.fmt_num(m.statistic)}, {apa.fmt_p(m.p)}", m.statistic),
        (f"τ² ({m.method})", apa.fmt_num(m.tau2, 3), m.tau2),
        (f"τ² {lvl} CI (Q-profile)", apa.fmt_interval(m.tau2_ci_low, m.tau2_ci_high, decimals=3),
         math.nan),
        ("Q (df)", f"{apa.fmt_num(m.q)} ({apa.fmt_int(m.q_df)}), {apa.fmt_p(m.q_p)}", m.q),
        ("I² (%)", apa.fmt_num(100 * m.i2, 1), 100 * m.i2),
        (f"I² {lvl} CI (%)", apa.fmt_interval(100 * m.i2_ci_low, 100 * m.i2_ci_high, decimals=1),
         math.nan),
        (f"{lvl} prediction interval", _interval(result, result.pi_low, result.pi_high), math.nan),
    ]  # fmt: skip
    e = result.egger
    if e.status == Status.OK:
        rows.append(("Egger intercept", f"{apa.fmt_num(e.intercept)}, t({apa.fmt_int(e.df)}) = "
                     f"{apa.fmt_num(e.t)}, {apa.fmt_p(e.p)}", e.intercept))  # fmt: skip
    else:
        rows.append(("Egger's test", f"not run: {e.reason}", math.nan))
    return rows


def _model_table(result: PoolResult) -> ReportTable:
    rows = _model_rows(result)
    if result.benchmark is not None:
        b = result.benchmark
        rows.append(
            (f"Benchmark: {b.label}", f"{_fmt(result, b.estimate)} "
             f"{_interval(result, b.ci_low, b.ci_high)}", b.estimate)
        )  # fmt: skip
    display = pd.DataFrame([(a, b) for a, b, _ in rows], columns=["Statistic", "Value"])
    data = pd.DataFrame([(a, b, c) for a, b, c in rows], columns=["Statistic", "Value", "Number"])
    note = "Random-effects model" + (
        "; τ² and Q on the Fisher z scale." if result.measure == "r" else "."
    )
    return ReportTable("pool_model", "The pooled estimate and heterogeneity", display, data, note)


def _loo_table(result: PoolResult) -> ReportTable | None:
    loo = result.leave_one_out
    if not loo.records:
        return None
    lvl = apa.ci_label(loo.confidence_level)
    data = loo.to_frame()
    data["i2"] = 100 * data["i2"]
    data = data.rename(columns={"i2": "i2 (%)"})
    display = pd.DataFrame(
        {
            "Omitted study": data["omitted"],
            "k": data["k"].astype(str),
            f"Estimate [{lvl} CI]": [
                f"{_fmt(result, r.estimate)} {_interval(result, r.ci_low, r.ci_high)}"
                for r in loo.records
            ],
            "τ²": [apa.fmt_num(r.tau2, 3) for r in loo.records],
            "I² (%)": [apa.fmt_num(100 * r.i2, 1) for r in loo.records],
        }
    )
    note = "The random-effects model refitted without each study in turn (same τ² estimator)."
    return ReportTable("pool_leave_one_out", "Leave-one-out influence", display, data, note)


def _subgroup_table(result: PoolResult) -> ReportTable | None:
    sub = result.subgroups
    if sub is None:
        return None
    lvl = apa.ci_label(sub.confidence_level)
    data = sub.to_frame()
    display = pd.DataFrame(
        {
            "Subgroup": data["subgroup"],
            "k": data["k"].astype(str),
            f"Estimate [{lvl} CI]": [
                f"{_fmt(result, g.estimate)} {_interval(result, g.ci_low, g.ci_high)}"
                for g in sub.groups
            ],
            "τ²": [apa.fmt_num(g.tau2, 3) for g in sub.groups],
            "I² (%)": [apa.fmt_num(100 * g.i2, 1) for g in sub.groups],
        }
    )
    if sub.status == Status.OK:
        note = (
            f"Separate τ² per subgroup. Test of subgroup differences: Q_B("
            f"{apa.fmt_int(sub.df)}) = {apa.fmt_num(sub.q_between)}, {apa.fmt_p(sub.p)}."
        )
    else:
        note = f"No test of subgroup differences: {sub.reason}."
    return ReportTable("pool_subgroups", f"Subgroups by {sub.column}", display, data, note)


def build_tables(result: PoolResult) -> list[ReportTable]:
    """The report's tables, in order."""
    tables = [_studies_table(result), _model_table(result)]
    tables += [t for t in (_loo_table(result), _subgroup_table(result)) if t is not None]
    return tables


def render_html(result: PoolResult, tables: list[ReportTable]) -> str:
    """The self-contained report page (autoescaped; figure SVG checked by ``safe_svg``)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    figures = [forest_plot(result)]
    funnel = funnel_plot(result)
    figure_notes = [] if funnel is not None else ["Funnel plot not drawn: it needs k >= 3."]
    if funnel is not None:
        figures.append(funnel)
    env = Environment(
        loader=PackageLoader("patalliance.pool", "templates"),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    context: dict[str, Any] = {
        "title": result.title,
        "description": result.description,
        "software_version": __version__,
        "key_facts": key_facts(result),
        "results_text": results_sentences(result),
        "summary": summary_sentences(result),
        "methods": methods_paragraphs(result),
        "notes": list(result.notes),
        "references": references(result),
        "inputs": [
            {"path": display_path(f), "sha256": file_sha256(f) or "n/a"} for f in result.table.files
        ],
        "versions": sorted(package_versions().items()),
        "tables": [html_table(t, i) for i, t in enumerate(tables, start=1)],
        "figures": [
            html_figure(f"fig-{name}", fig, i)
            for i, (name, fig) in enumerate(zip(("forest", "funnel"), figures, strict=False), 1)
        ],
        "figure_notes": figure_notes,
    }
    return env.get_template("pool.html.j2").render(**context)


def write_pool_outputs(result: PoolResult, out: str | Path) -> dict[str, Path]:
    """Write ``pool_results.json``, ``report.html`` and ``tables/`` (CSV, XLSX, DOCX).

    Returns
    -------
    dict
        Output name → path.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"pool_results.json": write_document(result, out / "pool_results.json")}
    tables = build_tables(result)
    html = out / "report.html"
    html.write_text(render_html(result, tables), encoding="utf-8")
    files["report.html"] = html
    folder = out / "tables"
    files.update(write_csvs(tables, folder))
    for t in tables:
        path = folder / f"{t.key}.csv"
        write_csv(t.data, path, index=False, encoding="utf-8")
        files[f"tables/{path.name}"] = path
    files["tables/tables.xlsx"] = write_xlsx(tables, folder / "tables.xlsx")
    files["tables/tables.docx"] = write_docx(tables, folder / "tables.docx", title=result.title)
    return files
