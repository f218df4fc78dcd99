"""The report and its table exports, from a small study with hostile ids and labels."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import make_participants, make_responses, run_cli, write_study

import patalliance as pa
from patalliance.report import write_report
from patalliance.report.beyond import render_sections
from patalliance.report.html import UnsafeSVGError, safe_svg
from patalliance.report.labels import Labeler
from patalliance.report.sections import Figure, Section

EVIL_ID = "<script>alert(1)</script>"
EVIL_LABEL = "<img src=x onerror=alert(2)>"


class _Tags(HTMLParser):
    """Every element name and attribute name of an HTML document, as a browser parses it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)


@dataclass(frozen=True)
class Outcome:
    results: pa.Results
    files: dict[str, Path]
    out_dir: Path
    document: dict[str, Any]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("report")
    responses = make_responses()
    participants = make_participants()
    responses.loc[responses["participant_id"] == "P001", "participant_id"] = EVIL_ID
    participants.loc[participants["participant_id"] == "P001", "participant_id"] = EVIL_ID
    study = write_study(root / "study", responses, participants)
    text = study.read_text(encoding="utf-8").replace(
        'label = "Preparation"', f'label = "{EVIL_LABEL}"'
    )
    study.write_text(text, encoding="utf-8")
    results = pa.analyze(study)
    files = results.write(root / "out")
    document = json.loads((root / "out" / "results.json").read_text(encoding="utf-8"))
    return Outcome(results, files, root / "out", document)


def test_files_are_written(outcome) -> None:  # type: ignore[no-untyped-def]
    for name in ("report.html", "tables/tables.xlsx", "tables/tables.docx"):
        assert outcome.files[name].is_file()
    assert (outcome.out_dir / "tables" / "paper_correlations_alliance_outcome.csv").is_file()


def test_data_strings_are_escaped(outcome, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html = (outcome.out_dir / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the label, as text
    assert "alert(1)" not in html  # the participant id is not in a shareable report
    shown = write_report(outcome.results, tmp_path, show_ids=True)["report.html"]
    with_ids = shown.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in with_ids  # the id, escaped, on request
    for page in (html, with_ids):
        assert "<script" not in page.lower()  # no script element at all
        assert "<img src=x" not in page
        tags = _Tags()
        tags.feed(page)
        assert "script" not in tags.names and "img" not in tags.names
        assert not [a for a in tags.attributes if a.startswith("on")]


def test_report_is_self_contained(outcome) -> None:  # type: ignore[no-untyped-def]
    html = (outcome.out_dir / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html)
    assert "@import" not in html and "<link" not in html
    for section in ("Summary", "Methods", "Results", "Quality control", "Reproducibility"):
        assert section in html
    assert "Lakens" in html and "d_av" in html and "d_z" in html
    assert outcome.document["study"]["sha256"] in html


def test_figures_have_alt_text_and_captions(outcome) -> None:  # type: ignore[no-untyped-def]
    html = (outcome.out_dir / "report.html").read_text(encoding="utf-8")
    n_svg = html.count("<svg ")
    assert n_svg >= 5
    assert html.count('role="img" aria-label="') == n_svg
    assert html.count("<figcaption>") == n_svg
    assert "skipped (" not in html.replace("skipped (no", "")  # no builder crashed
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "ids must be unique across inlined SVGs"


def test_correlation_table_layout(outcome) -> None:  # type: ignore[no-untyped-def]
    path = outcome.out_dir / "tables" / "paper_correlations_alliance_outcome.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert len(table) == 2  # rows = alliance timepoints
    assert table.shape[1] == 3  # first column + outcome timepoints
    records = {(r["x"], r["y"]): r for r in outcome.document["correlations"]}
    rec = records[("alliance.total@prep", "depression.total@fu4w")]
    cell = table.iloc[0, 2]
    assert cell.startswith(f"{rec['r']:.2f}".replace("-0", "\u2212").replace("0.", "."))
    assert f"(n = {rec['n']})" in cell
    marker = (
        "***" if rec["p"] < 0.001 else "**" if rec["p"] < 0.01 else "*" if rec["p"] < 0.05 else ""
    )
    assert cell.split(" (")[0].endswith(marker) if marker else "*" not in cell


def test_xlsx_round_trip_keeps_numbers(outcome) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    wb = load_workbook(outcome.out_dir / "tables" / "tables.xlsx")
    assert wb.sheetnames[0] == "Contents"
    change = next(wb[name] for name in wb.sheetnames if name.endswith("change"))
    header = [c.value for c in change[2]]
    row = [c.value for c in change[3]]
    values = dict(zip(header, row, strict=True))
    expected = outcome.document["change"][0]
    assert isinstance(values["n"], int) and values["n"] == expected["n"]
    assert isinstance(values["t"], float)
    assert values["t"] == pytest.approx(expected["t"], rel=1e-12)
    assert values["d_av"] == pytest.approx(expected["d_av"], rel=1e-12)
    corr = next(wb[name] for name in wb.sheetnames if "alliance_outcome" in name)
    numbers = [c.value for c in corr[3][1:]]
    assert all(isinstance(v, int | float) for v in numbers if v is not None)


def test_docx_has_real_tables_with_captions(outcome) -> None:  # type: ignore[no-untyped-def]
    import docx

    document = docx.Document(str(outcome.out_dir / "tables" / "tables.docx"))
    assert len(document.tables) >= 4
    texts = [p.text for p in document.paragraphs]
    assert "Table 1" in texts and any(t.startswith("Note.") for t in texts)
    italic_titles = [r.text for p in document.paragraphs for r in p.runs if r.italic]
    assert any("Change over time" in t for t in italic_titles)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert EVIL_LABEL in cells  # stored as plain text in Word


def test_report_is_deterministic(outcome, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = write_report(outcome.results, tmp_path)
    first = (outcome.out_dir / "report.html").read_text(encoding="utf-8")
    assert files["report.html"].read_text(encoding="utf-8") == first


def test_no_report_flag(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study")
    result = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out" / "report.html").exists()
    assert not (tmp_path / "out" / "tables" / "tables.xlsx").exists()


def test_figures_degrade_when_variables_are_absent(tmp_path: Path) -> None:
    responses = make_responses()
    responses = responses[responses["instrument"] != "meq30"]
    analysis_extra = ""
    study = write_study(tmp_path / "study", responses, analysis_extra=analysis_extra)
    text = study.read_text(encoding="utf-8")
    text = text[: text.index('[[analysis.correlations]]\nfamily = "acute"')]
    study.write_text(text, encoding="utf-8")
    files = write_report(pa.analyze(study), tmp_path / "o")
    html = files["report.html"].read_text(encoding="utf-8")
    assert "Acute-experience distributions: skipped" in html


def test_safe_svg_rejects_active_content() -> None:
    ok = '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
    assert 'aria-label="a &lt;b&gt;"' in str(safe_svg(ok, alt="a <b>"))
    for bad in (
        "<svg><script>alert(1)</script></svg>",
        '<svg><rect onload="alert(1)"/></svg>',
        '<svg><image href="https://example.org/x.png"/></svg>',
        "<svg><foreignObject><div/></foreignObject></svg>",
    ):
        with pytest.raises(UnsafeSVGError):
            safe_svg(bad, alt="x")


def test_extra_sections_render(outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import patalliance.report.writer as writer

    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    section = Section(
        id="beyond_test",
        title="Efficacy <b>beyond</b>",
        paragraphs=["A paragraph with <i>markup</i>."],
        tables=[("A table", pd.DataFrame({"arm": ["<x>"], "effect": [0.123456]}))],
        figures=[Figure(svg=svg, caption="cap", alt="alt")],
    )
    monkeypatch.setattr(writer, "render_sections", lambda results, labeler: [section])
    files = write_report(outcome.results, tmp_path)
    html = files["report.html"].read_text(encoding="utf-8")
    assert "Efficacy &lt;b&gt;beyond&lt;/b&gt;" in html
    assert "&lt;i&gt;markup&lt;/i&gt;" in html and "0.12" in html
    labeler = Labeler(outcome.results.study, outcome.results.keys)
    # reliability is on by default; the plan asks for no other extra family
    assert [s.id for s in render_sections(outcome.results, labeler)] == ["reliability"]


def test_emoji_label_draws_without_a_font_warning() -> None:
    """Warnings are errors in the test suite, so a leaked 'Glyph missing' warning would fail."""
    from matplotlib.figure import Figure as MplFigure

    from patalliance.report.figures import to_svg

    fig = MplFigure(figsize=(2, 1))
    fig.add_subplot(1, 1, 1).set_title("participant \U0001f600 Ñandú")
    assert to_svg(fig, "emoji").startswith("<svg")
