"""The pool report's text, tables and HTML (``patalliance.pool.report`` / ``text``)."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from patalliance.pool.analysis import Benchmark, pool
from patalliance.pool.document import build_document
from patalliance.pool.examples import load_example
from patalliance.pool.report import build_tables, render_html, write_pool_outputs
from patalliance.pool.studies import EffectTable, StudyEffect
from patalliance.pool.text import methods_paragraphs, references, results_sentences


def small(label: str = "Study") -> EffectTable:
    return EffectTable(
        "g",
        tuple(
            StudyEffect(f"s{i}", f"{label} {i}", "", g, 0.25, 40.0)
            for i, g in enumerate([0.2, 0.6, 0.4, 0.9])
        ),
    )


def test_text_follows_the_result_options() -> None:
    res = pool(small(), method="PM", hksj=True, confidence_level=0.9)
    text = " ".join(results_sentences(res))
    assert "90% CI" in text and "t(3) = " in text and "τ² by PM" in text
    assert "Egger's test was not run: Egger's test needs at least 10 studies (k = 4)" in text
    methods = " ".join(methods_paragraphs(res))
    assert "Paule–Mandel" in methods and "Hartung–Knapp–Sidik–Jonkman" in methods
    assert "exact small-sample correction" in methods
    assert any(r.startswith("Paule, R. C., & Mandel") for r in references(res))


def test_tables_and_xlsx_hold_unrounded_numbers(tmp_path: Path) -> None:
    ex = load_example("psilocybin-depression")
    res = pool(ex.table, subgroup_column=ex.subgroup_column)
    tables = build_tables(res)
    assert [t.key for t in tables] == [
        "pool_studies",
        "pool_model",
        "pool_leave_one_out",
        "pool_subgroups",
    ]
    files = write_pool_outputs(res, tmp_path)
    sheet = load_workbook(files["tables/tables.xlsx"])["T1 pool_studies"]
    header = [c.value for c in sheet[2]]
    g = sheet.cell(row=3, column=header.index("Hedges' g") + 1).value
    assert g == res.studies[0].effect  # stored unrounded
    doc = json.loads(files["pool_results.json"].read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(build_document(res)))


def test_html_escapes_labels_and_shows_the_benchmark() -> None:
    bench = Benchmark("Benchmark <b>", 0.3, 0.2, 0.4, 0.95, "Citation & co.")
    res = pool(small("<script>alert(1)</script>"), benchmark=bench)
    html = render_html(res, build_tables(res))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Benchmark &lt;b&gt;" in html and "Citation &amp; co." in html
    assert html.count("<svg") == 2
