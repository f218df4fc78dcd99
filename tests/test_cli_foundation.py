"""The foundation commands in a subprocess: `instruments`, `validate` and `score`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from conftest import make_participants, make_responses, run_cli, write_study
from numpy.testing import assert_allclose

from patalliance.instruments import builtin_keys

VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[a-z][a-z0-9_]*@[A-Za-z][A-Za-z0-9_]*$")


def squash(text: str) -> str:
    return " ".join(text.split())


def test_instruments_lists_every_key_with_its_citation() -> None:
    result = run_cli("instruments")
    assert result.returncode == 0, result.stderr
    out = squash(result.stdout)
    keys = builtin_keys()
    for key in keys.values():
        assert key.id in out
        assert squash(key.instrument.citation) in out, key.id
    unverified = [k for k in keys.values() if not k.verified_everywhere]
    assert {k.id for k in unverified} >= {"piq", "ceq"}
    assert "UNVERIFIED" in out or "NO" in out
    # an instrument-level unverified key is marked "NO"; partly verified ones name scales
    not_verified = {k.id for k in unverified if not k.instrument.verified}
    assert not_verified
    for line in result.stdout.splitlines():
        if "│" in line and any(f" {kid} " in line for kid in not_verified):
            assert "NO" in line or "UNVERIFIED" in line
    assert "Traceback" not in result.stderr


def test_validate_good_study_writes_the_report(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study")
    report = tmp_path / "out" / "qc.json"
    result = run_cli("validate", str(study), "--report", str(report))
    assert result.returncode == 0, result.stderr
    qc = json.loads(report.read_text(encoding="utf-8"))
    assert qc["ok"] is True
    assert qc["policy"] == "strict"
    assert qc["rows_excluded"] == 0
    n_rows = len(make_responses()) + len(make_participants())
    assert qc["rows_read"] == qc["rows_used"] == n_rows
    assert [p for p in qc["problems"] if p["severity"] == "error"] == []
    assert {f["role"] for f in qc["files"]} == {"responses", "participants"}
    assert all(len(f["sha256"]) == 64 for f in qc["files"])


def test_validate_csv_report(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study")
    report = tmp_path / "qc.csv"
    result = run_cli("validate", str(study), "--report", str(report))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(report)
    assert list(frame.columns) == ["file", "row", "column", "code", "message", "severity"]


def test_score_writes_participant_by_variable_csv(tmp_path: Path) -> None:
    responses = make_responses(n=6, seed=11, missing=0.0)
    participants = make_participants(6)
    responses["participant_id"] = responses["participant_id"].replace({"P001": "007"})
    participants["participant_id"] = participants["participant_id"].replace({"P001": "007"})
    study = write_study(tmp_path / "study", responses, participants)
    out = tmp_path / "scores.csv"
    result = run_cli("score", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, dtype={"participant_id": str})
    assert table.columns[0] == "participant_id"
    assert "007" in set(table["participant_id"])
    assert set(table["participant_id"]) == set(participants["participant_id"])
    variables = [c for c in table.columns if c not in {"participant_id", "arm"}]
    assert variables, table.columns
    for column in variables:
        assert VARIABLE.match(column), column
    for name in ("alliance.total@prep", "alliance.goal@post1w", "mystical.total@peak"):
        assert name in variables

    # independent hand computation from the responses file: WAI-SR sums (Hatcher & Gillaspy
    # 2006), here with every item answered
    raw = pd.read_csv(study.parent / "responses.csv", dtype=str)
    wai = raw[(raw["participant_id"] == "007") & (raw["instrument"] == "wai_sr")]
    row = table.set_index("participant_id").loc["007"]
    for tp in ("prep", "post1w"):
        values = wai.loc[wai["timepoint"] == tp, "value"].astype(float)
        assert len(values) == 12
        assert_allclose(row[f"alliance.total@{tp}"], values.sum())
        goal = wai[(wai["timepoint"] == tp) & wai["item"].isin(["4", "6", "8", "11"])]
        assert_allclose(row[f"alliance.goal@{tp}"], goal["value"].astype(float).sum())
    # the peak is the higher of the two sessions (MEQ-30 total = mean of 30 items)
    meq = raw[(raw["participant_id"] == "007") & (raw["instrument"] == "meq30")]
    means = [
        meq.loc[meq["timepoint"] == s, "value"].astype(float).mean()
        for s in ("session1", "session2")
    ]
    assert_allclose(row["mystical.total@peak"], max(means))


def test_score_fails_with_exit_1_on_bad_data(tmp_path: Path) -> None:
    responses = make_responses(n=3, seed=2)
    responses.loc[4, "value"] = "77"
    study = write_study(tmp_path / "study", responses, make_participants(3))
    out = tmp_path / "scores.csv"
    result = run_cli("score", str(study), "--out", str(out))
    assert result.returncode == 1
    assert "responses.csv, row 6, column 'value'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_config_error_exits_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nowhere" / "study.toml"))
    assert result.returncode == 2
    assert "study file not found" in result.stderr
    assert "Traceback" not in result.stderr
