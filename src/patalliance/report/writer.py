"""``write_report``: the HTML report and the table exports of one analysis."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patalliance.report import apa, export, figures, tables, text
from patalliance.report.html import HtmlFigure, HtmlTable, html_figure, html_table, render
from patalliance.report.labels import Labeler
from patalliance.report.sections import Section, extra_sections

if TYPE_CHECKING:
    from patalliance.analysis.results import AnalysisResults
    from patalliance.pipeline import Prepared

MAX_PROBLEMS = 500


def _arm_counts(prepared: Prepared) -> dict[str, int]:
    arms = prepared.table.arms.astype(str)
    counts: dict[str, int] = {}
    for arm in list(prepared.study.arms) + list(dict.fromkeys(arms)):
        n = int((arms == arm).sum())
        if n and arm not in counts:
            counts[arm] = n
    return counts


def _study_text(prepared: Prepared) -> str:
    try:
        return prepared.study.path.read_text(encoding="utf-8-sig")
    except OSError:
        return "(the study file could not be read when the report was written)"


def _key_facts(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    qc = document.get("qc", {})
    facts = [
        ("participants", str(document.get("n_participants", 0))),
        ("input rows used", f"{qc.get('rows_used', 0)} of {qc.get('rows_read', 0)}"),
    ]
    corrs = document.get("correlations", [])
    alpha = float(document.get("plan", {}).get("alpha", 0.05))
    if corrs:
        sig = sum(
            1
            for r in corrs
            if not apa.is_missing(tables.significance_p(r))
            and float(tables.significance_p(r)) < alpha
        )
        facts.append(("significant correlations", f"{sig} of {len(corrs)}"))
    reproduction = document.get("reproduction")
    if reproduction:
        ok = sum(1 for item in reproduction if item.get("ok"))
        facts.append(("published results reproduced", f"{ok} of {len(reproduction)}"))
    return facts


def write_report(
    prepared: Prepared,
    results: AnalysisResults,
    document: dict[str, Any],
    out_dir: str | Path,
) -> dict[str, Path]:
    """Write ``report.html``, ``tables/tables.xlsx``, ``tables/tables.docx`` and the formatted
    ``tables/paper_*.csv`` into ``out_dir``; return their paths by output name.

    ``results`` is accepted for symmetry with the rest of the pipeline; everything shown is
    read from ``document`` (the content of ``results.json``) and the analysis table.
    """
    del results  # the document holds the same numbers, JSON-cleaned
    out = Path(out_dir)
    study = prepared.study
    labeler = Labeler(study, prepared.keys)
    arm_labels = {a: info.label for a, info in study.arms.items()}
    arm_counts = _arm_counts(prepared)
    for arm in arm_counts:
        arm_labels.setdefault(arm, arm)

    main_tables = tables.build_tables(document, labeler, arm_labels)
    sections: list[Section] = extra_sections(document, prepared.table)
    section_tables = [
        (f"section:{s.id}", html_section) for s in sections for html_section in (_section_tables(s))
    ]
    results_text = text.results(document, labeler)

    # Place and number the tables in reading order.
    placed: list[tuple[str, tables.ReportTable]] = []
    qc_tables: list[tuple[str, tables.ReportTable]] = []
    heading_index = {heading: i for i, (heading, _) in enumerate(results_text)}
    family_titles = {
        f"correlations_{fam['family']}": tables.family_title(fam, labeler)
        for fam in document.get("plan", {}).get("correlations", [])
    }
    for t in main_tables:
        if t.key == "reproduction":
            placed.append(("reproduction", t))
        elif t.key == "descriptives":
            placed.append(("descriptives", t))
        elif t.key == "change":
            placed.append((f"results:{heading_index.get('Change over time', 0)}", t))
        elif t.key in family_titles:
            placed.append((f"results:{heading_index.get(family_titles[t.key], 0)}", t))
        else:
            qc_tables.append(("qc", t))
    placed.extend(section_tables)
    placed.extend(qc_tables)
    ordered = [t for _, t in placed]
    html_tables: list[tuple[str, HtmlTable]] = [
        (place, html_table(t, i)) for i, (place, t) in enumerate(placed, start=1)
    ]

    ctx = figures.FigureContext(prepared.table, study, prepared.keys, labeler, document)
    figset = figures.build_figures(ctx)
    fig_places: list[tuple[str, str, figures.Figure]] = [
        (
            "qc"
            if anchor == "fig-missing"
            else "results-grid"
            if anchor.startswith("fig-scatter")
            else "results",
            anchor,
            fig,
        )
        for anchor, fig in figset.figures
    ]
    fig_places = (
        [p for p in fig_places if p[0] != "qc"]
        + [
            (f"section:{s.id}", f"fig-{s.id}-{k + 1}", fig)
            for s in sections
            for k, fig in enumerate(s.figures)
        ]
        + [p for p in fig_places if p[0] == "qc"]
    )
    html_figures: list[tuple[str, HtmlFigure]] = [
        (place, html_figure(anchor, fig, i))
        for i, (place, anchor, fig) in enumerate(fig_places, start=1)
    ]

    methods, references = text.methods(document, study, labeler)
    problems = tables.qc_problems(document, MAX_PROBLEMS)
    problems_total = len(document.get("qc", {}).get("problems", []))
    software = document.get("software", {})
    context = {
        "title": study.study.title,
        "description": study.study.description,
        "study_id": study.study.id,
        "n_participants": document.get("n_participants", prepared.table.n_participants),
        "software_version": software.get("version", ""),
        "key_facts": _key_facts(document),
        "summary": text.summary(document, study, labeler, arm_counts),
        "methods": methods,
        "references": sorted(dict.fromkeys(references)),
        "results_text": results_text,
        "figure_notes": figset.notes,
        "sections": sections,
        "problems": problems.to_numpy().tolist(),
        "problem_columns": list(problems.columns),
        "problems_total": problems_total,
        "problems_truncated": problems_total > len(problems),
        "study_file": document.get("study", {}).get("file", study.path.name),
        "study_sha256": document.get("study", {}).get("sha256", ""),
        "inputs": document.get("inputs", []),
        "seed": document.get("plan", {}).get("seed", study.analysis.seed),
        "versions": [(k, v) for k, v in software.items() if k != "name"],
        "study_text": _study_text(prepared),
    }
    html = render(context, tables=html_tables, figures=html_figures)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    (out / "report.html").write_text(html, encoding="utf-8")
    files["report.html"] = out / "report.html"
    folder = out / "tables"
    files["tables/tables.xlsx"] = export.write_xlsx(ordered, folder / "tables.xlsx")
    files["tables/tables.docx"] = export.write_docx(
        ordered, folder / "tables.docx", title=f"{study.study.title}: tables"
    )
    files.update(export.write_csvs(ordered, folder))
    return files


def _section_tables(section: Section) -> list[tables.ReportTable]:
    from patalliance.report.html import section_table

    return [
        section_table(section, k, title, frame) for k, (title, frame) in enumerate(section.tables)
    ]
