"""``write_report``: the HTML report and the table exports of one analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from patalliance._version import __version__
from patalliance.analysis.results import AnalysisResults
from patalliance.document import package_versions, relative_path
from patalliance.report import export, figures, tables, text
from patalliance.report.beyond import render_sections
from patalliance.report.html import (
    HtmlFigure,
    HtmlTable,
    html_figure,
    html_table,
    render,
    section_table,
)
from patalliance.report.identifiers import pseudonyms
from patalliance.report.labels import Labeler
from patalliance.report.sections import Section
from patalliance.safe_cells import write_csv

MAX_PROBLEMS = 500


def _arm_counts(results: AnalysisResults) -> dict[str, int]:
    arms = results.table.arms.astype(str)
    counts: dict[str, int] = {}
    for arm in list(results.study.arms) + list(dict.fromkeys(arms)):
        n = int((arms == arm).sum())
        if n and arm not in counts:
            counts[arm] = n
    return counts


def _study_text(results: AnalysisResults) -> str:
    try:
        return results.study.path.read_text(encoding="utf-8-sig")
    except OSError:
        return "(the study file could not be read when the report was written)"


def _score_note(results: AnalysisResults) -> str:
    """One sentence on the scale scores prorated or dropped for missing items."""
    notes = results.score_notes
    if notes is None:
        return ""
    prorated = int((notes["rule"] == "prorated").sum())
    dropped = len(notes) - prorated
    if not len(notes):
        return "No scale score was prorated or dropped for missing items."
    return (
        f"{prorated} scale score{'s' if prorated != 1 else ''} "
        f"{'were' if prorated != 1 else 'was'} prorated because some of their items were "
        "missing (within the scoring key's max_missing), and "
        f"{dropped} {'were' if dropped != 1 else 'was'} dropped (left missing) because more "
        "were missing; score_notes.csv lists each with its items answered and the rule applied."
    )


def _key_facts(results: AnalysisResults) -> list[tuple[str, str]]:
    qc = results.qc
    facts = [
        ("participants", str(results.n_participants)),
        ("input rows used", f"{qc.rows_used} of {qc.rows_read}"),
    ]
    notes = results.score_notes
    if notes is not None and len(notes):
        prorated = int((notes["rule"] == "prorated").sum())
        facts.append(
            (
                "scale scores prorated / dropped for missing items",
                f"{prorated} / {len(notes) - prorated} (listed in score_notes.csv)",
            )
        )
    corrs = results.correlations
    alpha = results.study.analysis.alpha
    if corrs:
        sig = sum(1 for r in corrs if tables.significant(r, alpha))
        facts.append(("significant correlations", f"{sig} of {len(corrs)}"))
    if results.reproduction:
        ok = sum(1 for item in results.reproduction if item.ok)
        facts.append(("published results reproduced", f"{ok} of {len(results.reproduction)}"))
    return facts


def _place_tables(
    results: AnalysisResults,
    labeler: Labeler,
    sections: list[Section],
    results_text: list[tuple[str, list[str]]],
) -> list[tuple[str, tables.ReportTable]]:
    """Every table with the place in the page where it goes, in reading order."""
    arm_labels = {a: info.label for a, info in results.study.arms.items()}
    for arm in _arm_counts(results):
        arm_labels.setdefault(arm, arm)
    heading_index = {heading: i for i, (heading, _) in enumerate(results_text)}
    family_titles = {
        f"correlations_{fam.family}": tables.family_title(fam, labeler)
        for fam in results.study.analysis.correlations
    }
    placed: list[tuple[str, tables.ReportTable]] = []
    qc_tables: list[tuple[str, tables.ReportTable]] = []
    for t in tables.build_tables(results, labeler, arm_labels):
        if t.key in ("reproduction", "descriptives"):
            placed.append((t.key, t))
        elif t.key == "change":
            placed.append((f"results:{heading_index.get('Change over time', 0)}", t))
        elif t.key in family_titles:
            placed.append((f"results:{heading_index.get(family_titles[t.key], 0)}", t))
        else:
            qc_tables.append(("qc", t))
    placed.extend(
        (f"section:{s.id}", section_table(s, k, title, frame))
        for s in sections
        for k, (title, frame) in enumerate(s.tables)
    )
    return placed + qc_tables


def _place_figures(
    results: AnalysisResults, labeler: Labeler, sections: list[Section]
) -> tuple[list[tuple[str, HtmlFigure]], list[str]]:
    """Every figure with its place and number, and notes on the figures that were skipped."""
    figset = figures.build_figures(figures.FigureContext(results, labeler))
    places: list[tuple[str, str, figures.Figure]] = []
    for anchor, fig in figset.figures:
        if anchor == "fig-missing":
            continue
        place = "results-grid" if anchor.startswith("fig-scatter") else "results"
        places.append((place, anchor, fig))
    places += [
        (f"section:{s.id}", f"fig-{s.id}-{k + 1}", fig)
        for s in sections
        for k, fig in enumerate(s.figures)
    ]
    places += [("qc", anchor, fig) for anchor, fig in figset.figures if anchor == "fig-missing"]
    numbered = [
        (place, html_figure(anchor, fig, i)) for i, (place, anchor, fig) in enumerate(places, 1)
    ]
    return numbered, figset.notes


def _context(results: AnalysisResults, labeler: Labeler, sections: list[Section]) -> dict[str, Any]:
    study = results.study
    methods, references = text.methods(results, labeler)
    base = study.base_dir
    problems = tables.qc_problems(results.qc, base, MAX_PROBLEMS, ids=labeler.ids)
    total = len(results.qc.problems)
    versions = {"version": __version__, **package_versions()}
    return {
        "title": study.study.title,
        "description": study.study.description,
        "study_id": study.study.id,
        "n_participants": results.n_participants,
        "software_version": __version__,
        "key_facts": _key_facts(results),
        "summary": text.summary(results, labeler, _arm_counts(results)),
        "methods": methods,
        "references": sorted(dict.fromkeys(references)),
        "sections": sections,
        "problems": problems.to_numpy().tolist(),
        "problem_columns": list(problems.columns),
        "problems_total": total,
        "score_note": _score_note(results),
        "problems_truncated": total > len(problems),
        "study_file": study.path.name,
        "study_sha256": results.study_sha256,
        "inputs": [
            {**inp.to_dict(), "path": relative_path(inp.path, base)} for inp in results.inputs
        ],
        "seed": study.analysis.seed,
        "versions": list(versions.items()),
        "study_text": _study_text(results),
    }


def write_report(
    results: AnalysisResults, out_dir: str | Path, *, show_ids: bool = False
) -> dict[str, Path]:
    """Write ``report.html``, ``tables/tables.xlsx``, ``tables/tables.docx`` and the formatted
    ``tables/paper_*.csv`` into ``out_dir``; return their paths by output name.

    These outputs are made to be shared: participants and facilitators are named by report
    labels (:mod:`patalliance.report.identifiers`), and the key from labels to ids is written
    to ``private/label_key.csv``. ``show_ids=True`` names them by their ids instead.
    """
    out = Path(out_dir)
    ids = pseudonyms(results, show_ids=show_ids)
    labeler = Labeler(results.study, results.keys, ids)
    sections = render_sections(results, labeler)
    results_text = text.results(results, labeler)
    placed = _place_tables(results, labeler, sections, results_text)
    html_tables: list[tuple[str, HtmlTable]] = [
        (place, html_table(t, i)) for i, (place, t) in enumerate(placed, start=1)
    ]
    html_figures, figure_notes = _place_figures(results, labeler, sections)
    context = _context(results, labeler, sections)
    context.update(results_text=results_text, figure_notes=figure_notes, show_ids=show_ids)
    html = render(context, tables=html_tables, figures=html_figures)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    (out / "report.html").write_text(html, encoding="utf-8")
    files["report.html"] = out / "report.html"
    ordered = [t for _, t in placed]
    folder = out / "tables"
    files["tables/tables.xlsx"] = export.write_xlsx(ordered, folder / "tables.xlsx")
    files["tables/tables.docx"] = export.write_docx(
        ordered, folder / "tables.docx", title=f"{results.study.study.title}: tables"
    )
    files.update(export.write_csvs(ordered, folder))
    if not show_ids:
        private = out / "private"
        private.mkdir(parents=True, exist_ok=True)
        write_csv(ids.key_frame(), private / "label_key.csv", index=False)
        files["private/label_key.csv"] = private / "label_key.csv"
    return files
