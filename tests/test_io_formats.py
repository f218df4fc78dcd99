"""Readers of REDCap, wide (SPSS/Stata/SAS/CSV/Excel) and SDTM data, and `patalliance export`:
hand-made fixtures that look like real exports, malformed exports, the optional dependency, and
the round trip of the demo trial through every export format."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from numpy.testing import assert_allclose

import patalliance as pa
from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.export import TARGETS, export_study
from patalliance.io import read_study_data
from patalliance.pipeline import prepare
from patalliance.study import load_study

IO = Path(__file__).parent / "data" / "io"
DEMO = Path(__file__).parents[1] / "src" / "patalliance" / "data" / "levin2024" / "study.toml"
STAT_SECTIONS = ["n_participants", "descriptives", "descriptives_by_arm", "change", "correlations"]


def _copy(folder: str, tmp_path: Path) -> Path:
    target = tmp_path / folder
    shutil.copytree(IO / folder, target)
    return target


# --- REDCap ---------------------------------------------------------------------------------


def test_redcap_raw_export_is_read() -> None:
    prepared = prepare(IO / "redcap" / "study_raw.toml")
    responses = prepared.validated.responses
    # 6 participants x (2 WAI-SR occasions x 12 items + 2 MEQ-30 sessions x 30 items)
    assert len(responses) == 6 * (2 * 12 + 2 * 30)
    assert set(responses["timepoint"]) == {"prep", "session1", "session2", "post1w"}
    people = prepared.validated.participants.set_index("participant_id")
    assert people["arm"].to_dict() == {
        "101": "immediate",
        "102": "immediate",
        "103": "immediate",
        "201": "delayed",
        "202": "delayed",
        "203": "delayed",
    }
    assert people.loc["201", "facilitator"] == "F2"
    # provenance: participant rows point at the records file
    assert set(people["_file"]) == {str(IO / "redcap" / "records_raw.csv")}
    # the repeating instrument's instance 2 is session 2; item 30 of 103's session 2 is blank
    row = responses[
        (responses["participant_id"] == "103")
        & (responses["timepoint"] == "session2")
        & (responses["item"] == 30)
    ]
    assert np.isnan(row["value"].iloc[0])
    records = pd.read_csv(IO / "redcap" / "records_raw.csv", dtype=str, keep_default_na=False)
    wai = responses[(responses["participant_id"] == "102") & (responses["timepoint"] == "prep")]
    source = records[
        (records["record_id"] == "102") & (records["redcap_event_name"] == "prep_arm_1")
    ].iloc[0]
    assert_allclose(wai["value"], [float(source[f"wai_sr_{i}"]) for i in range(1, 13)])
    assert int(wai["_row"].iloc[0]) == int(str(source.name)) + 2  # header is line 1


def test_redcap_incomplete_form_is_a_qc_warning() -> None:
    """A form marked Unverified (1) in its `_complete` column is reported, rows kept."""
    prepared = prepare(IO / "redcap" / "study_raw.toml")
    report = prepared.validated.report
    (warn,) = [p for p in report.problems if p.code == "form_incomplete"]
    records = pd.read_csv(IO / "redcap" / "records_raw.csv", dtype=str, keep_default_na=False)
    flagged = records.index[records["wai_sr_complete"] == "1"]
    assert warn.severity == "warning"
    assert warn.column == "wai_sr_complete"
    assert warn.row == int(flagged[0]) + 2
    assert report.ok and report.rows_excluded == 0
    assert not [p for p in report.problems if p.code == "no_participants_file"]


def test_redcap_label_export_decodes_to_the_same_data() -> None:
    raw = prepare(IO / "redcap" / "study_raw.toml")
    labels = prepare(IO / "redcap" / "study_labels.toml")
    cols = ["participant_id", "timepoint", "instrument", "item", "value"]
    pd.testing.assert_frame_equal(raw.validated.responses[cols], labels.validated.responses[cols])
    pd.testing.assert_frame_equal(raw.table.values, labels.table.values)


def test_redcap_checkbox_and_dag_columns_are_not_scored() -> None:
    data = read_study_data(load_study(IO / "redcap" / "study_raw.toml"))
    assert set(data.responses["instrument"]) == {"wai_sr", "meq30"}
    assert not [p for p in data.file_problems if p.severity == "error"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_dictionary_without_a_field_the_records_use(tmp_path: Path) -> None:
    folder = _copy("redcap", tmp_path)
    lines = (folder / "dictionary.csv").read_text(encoding="utf-8").splitlines()
    (folder / "dictionary.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("wai_sr_12,")) + "\n",
        encoding="utf-8",
    )
    result = run_cli(
        "validate", str(folder / "study_raw.toml"), "--report", str(tmp_path / "qc.json")
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "records_raw.csv, row 1, column 'wai_sr_12'" in result.stderr
    assert "not in the data dictionary" in result.stderr


def test_unmapped_event(tmp_path: Path) -> None:
    folder = _copy("redcap", tmp_path)
    _edit(folder / "study_raw.toml", '"post1w_arm_2" = "post1w"\n', "")
    result = run_cli(
        "validate", str(folder / "study_raw.toml"), "--report", str(tmp_path / "qc.json")
    )
    assert result.returncode == 1, result.stderr
    assert "column 'redcap_event_name'" in result.stderr
    assert "event 'post1w_arm_2'" in result.stderr
    report = json.loads((tmp_path / "qc.json").read_text(encoding="utf-8"))
    [problem] = [p for p in report["problems"] if p["code"] == "unmapped_event"]
    records = pd.read_csv(folder / "records_raw.csv", dtype=str, keep_default_na=False)
    first = records.index[records["redcap_event_name"] == "post1w_arm_2"][0]
    assert problem["row"] == first + 2


def test_field_pattern_matching_nothing(tmp_path: Path) -> None:
    folder = _copy("redcap", tmp_path)
    _edit(folder / "study_raw.toml", 'meq30 = "meq_{item}"', 'meq30 = "mek_{item}"')
    result = run_cli("validate", str(folder / "study_raw.toml"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "data.redcap.fields.meq30" in result.stderr
    assert "matches no column" in result.stderr


def test_label_not_among_choices(tmp_path: Path) -> None:
    folder = _copy("redcap", tmp_path)
    text = (folder / "records_labels.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    line_no = next(i for i, line in enumerate(lines) if "Preparation (Arm 2" in line) + 1
    lines[line_no - 1] = lines[line_no - 1].replace(",Rarely,", ",Rarley,", 1)
    (folder / "records_labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(
        "validate", str(folder / "study_labels.toml"), "--report", str(tmp_path / "q.json")
    )
    assert result.returncode == 1, result.stderr
    assert f"records_labels.csv, row {line_no}, column 'wai_sr_" in result.stderr
    assert "'Rarley' is neither a code nor a label" in result.stderr


def test_init_from_redcap_drafts_a_study(tmp_path: Path) -> None:
    out = tmp_path / "draft"
    result = run_cli(
        "init",
        str(out),
        "--from-redcap",
        str(IO / "redcap" / "dictionary.csv"),
        "--records",
        str(IO / "redcap" / "records_raw.csv"),
    )
    assert result.returncode == 0, result.stderr
    text = (out / "study.toml").read_text(encoding="utf-8")
    assert 'meq30 = "meq_{item}"' in text
    assert '"prep_arm_1" = "prep"' in text
    assert "[measures.wai_sr]" in text
    assert "not inferred" in result.stdout  # the repeating instances need a mapping by hand
    no_records = run_cli(
        "init", str(tmp_path / "d2"), "--from-redcap", str(IO / "redcap" / "dictionary.csv")
    )
    assert no_records.returncode == 0, no_records.stderr
    assert "events and timepoints" in no_records.stdout


def test_init_template(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "new"))
    assert result.returncode == 0, result.stderr
    load_study(tmp_path / "new" / "study.toml")
    again = run_cli("init", str(tmp_path / "new"))
    assert again.returncode == 2
    assert "already exist" in again.stderr


# --- SPSS -----------------------------------------------------------------------------------


def test_spss_value_labels_and_user_missing() -> None:
    prepared = prepare(IO / "spss" / "study.toml")
    responses = prepared.validated.responses.set_index(["participant_id", "timepoint", "item"])
    # user-missing codes 9 (not asked) and 8 (refused) are missing, not out-of-range values
    assert np.isnan(float(str(responses.loc[("S101", "post1w", 3), "value"])))
    assert np.isnan(float(str(responses.loc[("S103", "prep", 12), "value"])))
    assert responses.loc[("S101", "prep", 3), "value"] == 3.0
    people = prepared.validated.participants.set_index("participant_id")
    assert people.loc["S201", "arm"] == "delayed"  # value label "Delayed", mapped
    assert people.loc["S101", "therapist"] == "F1"
    assert prepared.validated.report.ok
    # the same participants and prep totals as the REDCap fixture holding the same answers
    redcap = prepare(IO / "redcap" / "study_raw.toml").table.values
    spss = prepared.table.values.rename(index=lambda p: p[1:])
    assert_allclose(
        spss["alliance.total@prep"].drop("103"), redcap["alliance.total@prep"].drop("103")
    )


def test_missing_pyreadstat_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyreadstat", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'patalliance\[spss\]'"):
        read_study_data(load_study(IO / "spss" / "study.toml"))
    # the other formats do not need it
    read_study_data(load_study(IO / "redcap" / "study_raw.toml"))


def test_wide_file_of_unknown_type(tmp_path: Path) -> None:
    folder = _copy("spss", tmp_path)
    _edit(folder / "study.toml", 'file = "wai.sav"', 'file = "wai.json"')
    (folder / "wai.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="unsupported file type"):
        read_study_data(load_study(folder / "study.toml"))


# --- round trip -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_results() -> dict:
    return pa.analyze(DEMO).to_dict()


@pytest.mark.parametrize("target", TARGETS)
def test_round_trip(target: str, demo_results: dict, tmp_path: Path) -> None:
    files = export_study(DEMO, to=target, out=tmp_path / "export")
    assert tmp_path / "export" / "study.toml" in files
    doc = pa.analyze(tmp_path / "export" / "study.toml").to_dict()
    for section in STAT_SECTIONS:
        assert doc[section] == demo_results[section], section
    assert doc["qc"]["rows_excluded"] == 0
    assert doc["plan"] == demo_results["plan"]


def test_export_cli_and_adqs(tmp_path: Path) -> None:
    result = run_cli("export", str(DEMO), "--to", "sdtm", "--out", str(tmp_path / "sdtm"))
    assert result.returncode == 0, result.stderr
    adqs = pd.read_csv(tmp_path / "sdtm" / "adqs.csv", keep_default_na=False, dtype=str)
    assert list(adqs.columns)[1:] == [
        "USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "ABLFL"
    ]  # fmt: skip
    scores = pd.read_csv(tmp_path / "sdtm" / "adqs.csv")
    dep = scores[
        (scores["PARAM"].str.startswith("Depression")) & scores["PARAM"].str.endswith("total")
    ]
    base = dep[dep["ABLFL"] == "Y"]
    assert (base["AVISITN"] == 1).all()
    post = dep[dep["ABLFL"] != "Y"].dropna(subset=["CHG"])
    assert_allclose(post["CHG"], post["AVAL"] - post["BASE"])
    bad = run_cli("export", str(DEMO), "--to", "json", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert "must be one of" in bad.stderr


def test_sdtm_subject_missing_from_dm_is_unknown(tmp_path: Path) -> None:
    """QS records of a subject the DM dataset does not list fail validation, as in a tidy file
    without the participant, instead of reaching the analysis without an arm."""
    assert (
        run_cli("export", str(DEMO), "--to", "sdtm", "--out", str(tmp_path / "sd")).returncode == 0
    )
    dm = tmp_path / "sd" / "dm.csv"
    lines = dm.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = lines.pop(-1)  # the last subject
    dm.write_text("".join(lines), encoding="utf-8")
    result = run_cli(
        "validate", str(tmp_path / "sd" / "study.toml"), "--report", str(tmp_path / "qc.json")
    )
    assert result.returncode == 1, result.stderr
    assert "[unknown_participant]" in result.stderr and "internal error" not in result.stderr
    subject = dropped.split(",")[2]
    assert f"participant '{subject}'" in result.stderr
