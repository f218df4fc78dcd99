"""End to end: every family beyond the paper through `patalliance analyze` in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import ALL_FAMILIES, make_participants, run_cli, write_study

from patalliance.document import SCHEMA_PATH

SECTIONS = [
    "reliability",
    "efficacy",
    "partial_correlations",
    "mixed_models",
    "mediation",
    "facilitator",
    "sensitivity",
    "bayes_factors",
    "multiple_imputation",
]


def test_all_families_in_results_json(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s", analysis_extra=ALL_FAMILIES)
    res = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    for name in SECTIONS:
        assert doc[name], name
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    assert doc["mediation"][0]["indirect_ci_low"] <= doc["mediation"][0]["indirect_effect"]
    assert doc["facilitator"]["warnings"]  # 3 facilitators < 5: explicit warning


def test_single_facilitator_is_a_message_not_a_crash(tmp_path: Path) -> None:
    parts = make_participants()
    parts["facilitator"] = "F1"
    study = write_study(tmp_path / "s", participants=parts, analysis_extra=ALL_FAMILIES)
    res = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert res.returncode == 0, res.stderr
    fac = json.loads((tmp_path / "out" / "results.json").read_text())["facilitator"]
    assert fac["status"] == "not_estimable" and "at least two" in fac["reason"]
    assert fac["models"][0]["status"] == "not_estimable"


def test_unknown_variable_exits_2(tmp_path: Path) -> None:
    extra = ALL_FAMILIES.replace('m = "mystical.total@peak"', 'm = "mystical.totl@peak"')
    study = write_study(tmp_path / "s", analysis_extra=extra)
    res = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert res.returncode == 2
    assert "analysis.mediation[0].m[0]" in res.stderr and "mystical.total@peak" in res.stderr


def test_report_sections_render(tmp_path: Path) -> None:
    import patalliance as pa
    from patalliance.report.beyond import render_sections
    from patalliance.report.labels import Labeler

    study = write_study(tmp_path / "s", analysis_extra=ALL_FAMILIES)
    res = run_cli("analyze", str(study), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    results = pa.analyze(study)
    sections = render_sections(results, Labeler(results.study, results.keys))
    assert [s.id for s in sections] == [
        "reliability",
        "efficacy",
        "partial-correlations",
        "mixed-models",
        "mediation",
        "facilitator",
        "sensitivity",
        "bayes-factors",
        "missing-data",
        "multiple-imputation",
    ]
    by_id = {s.id: s for s in sections}
    assert by_id["mediation"].figures and by_id["sensitivity"].figures
    assert all(s.tables and s.paragraphs for s in sections)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Mediation (path) models" in html and "Sensitivity analyses" in html
