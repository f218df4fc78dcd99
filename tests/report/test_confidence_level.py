"""The confidence level travels with every interval into every label.

The demo study (every analysis family on) is run with ``confidence_level = 0.90``: every
interval label in report.html, tables.docx and tables.xlsx must say 90%, and none 95%.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

import patalliance as pa
from patalliance.demo import copy_demo

#: An interval label: "CI" as a word, or "confidence interval(s)".
LABEL = re.compile(r"\bCI\b|confidence intervals?\b")


def _visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.DOTALL)
    html = re.sub(r'aria-label="([^"]*)"', r" \1 ", html)  # figure alt text counts
    return re.sub(r"<[^>]+>", " ", html)


def _unlabelled(text: str) -> list[str]:
    """Interval labels not preceded (within their phrase) by "90%"."""
    bad = []
    for m in LABEL.finditer(text):
        before = text[max(0, m.start() - 16) : m.start()]
        if "90%" not in before:
            bad.append(text[max(0, m.start() - 40) : m.end() + 10])
    return bad


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("level")
    study = copy_demo(root / "study")
    text = study.read_text(encoding="utf-8")
    assert "confidence_level = 0.95" in text
    study.write_text(text.replace("confidence_level = 0.95", "confidence_level = 0.90"), "utf-8")
    res = pa.analyze(study)
    assert res.confidence_level == 0.90
    assert all(getattr(res, family) for family in ("efficacy", "sensitivity", "mediation"))
    res.write(root / "out")
    return root / "out"


def test_report_html_labels_say_90(outputs: Path) -> None:
    text = _visible_text((outputs / "report.html").read_text(encoding="utf-8"))
    assert "95%" not in text
    assert text.count("90%") > 20
    assert _unlabelled(text) == []


def test_docx_labels_say_90(outputs: Path) -> None:
    with zipfile.ZipFile(outputs / "tables" / "tables.docx") as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    text = re.sub(r"<[^>]+>", "", re.sub(r"</w:p>|</w:tc>", "\n", xml))
    assert "95%" not in text
    assert "90% CI" in text
    assert _unlabelled(text) == []


def test_xlsx_labels_say_90(outputs: Path) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(outputs / "tables" / "tables.xlsx")
    cells = [
        str(cell.value)
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    text = "\n".join(cells)
    assert "95%" not in text
    assert "90% CI" in text
    assert _unlabelled(text) == []


def test_every_interval_record_carries_the_level(outputs: Path) -> None:
    """Each object of results.json with interval bounds has its level, or sits inside an
    object that has it (a model's fixed effects, a mediation model's paths)."""
    import json

    doc = json.loads((outputs / "results.json").read_text(encoding="utf-8"))
    levels: list[float | None] = []

    def walk(node: object, inherited: float | None) -> None:
        if isinstance(node, dict):
            own = node.get("confidence_level", inherited)
            if any(k.endswith(("ci_low", "ci_high")) for k in node):
                levels.append(own)
            for value in node.values():
                walk(value, own)
        elif isinstance(node, list):
            for value in node:
                walk(value, inherited)

    for section in ("change", "correlations", "efficacy", "partial_correlations", "mixed_models",
                    "mediation", "facilitator", "sensitivity"):  # fmt: skip
        walk(doc[section], None)
    assert len(levels) > 50
    assert set(levels) == {0.90}
