"""``patalliance export --to redcap``: a data dictionary REDCap accepts, and records that read
back into the same results, as exported and as REDCap exports them again (labels, checkboxes).

The reference header is the first line of a data dictionary downloaded from REDCap and
published by the IeDEA consortium: GitHub IeDEA/redcap-dictionaries, file
``IeDEA_tblCENTER_2020-06-30.csv`` (commit 34fdfde48b5af20ce1d4e094af15167b104a3275), which
also shows the choices syntax ``"1, Urban | 2, Mostly urban | ..."`` and the validation type
``date_ymd`` in column 8.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_participants, run_cli, write_study
from numpy.testing import assert_allclose

import patalliance as pa
from patalliance.export import export_study

DEMO = Path(__file__).parents[1] / "src" / "patalliance" / "data" / "levin2024" / "study.toml"
#: IeDEA_tblCENTER_2020-06-30.csv, line 1, as REDCap wrote it.
REFERENCE_HEADER = (
    'Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"Choices, '
    'Calculations, OR Slider Labels",Field Note,Text Validation Type OR Show Slider Number,'
    "Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only "
    "if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,"
    "Matrix Ranking?,Field Annotation"
)
#: REDCap's choices syntax: "code, label" pairs separated by " | ".
CHOICES = re.compile(r"[^,|]+, [^|]+( \| [^,|]+, [^|]+)*")
STATS = ("descriptives", "change", "correlations")


@pytest.fixture(scope="module")
def demo_results() -> dict:
    return pa.analyze(DEMO).to_dict()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("redcap") / "export"
    export_study(DEMO, to="redcap", out=out)
    return out


def assert_same_statistics(got: dict, want: dict) -> None:
    for section in STATS:
        assert len(got[section]) == len(want[section]), section
        for g, w in zip(got[section], want[section], strict=True):
            assert g.keys() == w.keys()
            for key, value in w.items():
                if isinstance(value, float):
                    assert_allclose(g[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
                else:
                    assert g[key] == value, (section, key)


def test_dictionary_has_the_18_columns_in_redcaps_order(exported: Path) -> None:
    text = (exported / "dictionary.csv").read_text(encoding="utf-8")
    reference = next(csv.reader(io.StringIO(REFERENCE_HEADER)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == reference
    assert len(reference) == 18
    assert all(len(row) == 18 for row in rows), "every row has the 18 values"
    dictionary = pd.read_csv(exported / "dictionary.csv", dtype=str, keep_default_na=False)
    assert dictionary.iloc[0, 0] == "record_id"
    kinds = dict(zip(dictionary.iloc[:, 0], dictionary["Field Type"], strict=True))
    assert set(kinds.values()) == {"text", "radio"}
    radio = dictionary[dictionary["Field Type"] == "radio"]
    assert radio.iloc[:, 5].map(lambda c: CHOICES.fullmatch(c) is not None).all()
    wai = dictionary.set_index("Variable / Field Name").loc["wai_sr_1"]
    assert wai.iloc[4] == "1, 1 | 2, 2 | 3, 3 | 4, 4 | 5, 5"  # WAI-SR items: 1-5
    assert wai["Form Name"] == "wai_sr"
    # EBI items are 0-100 ratings that need not be whole numbers: a validated text field
    ebi = dictionary.set_index("Variable / Field Name").loc["ebi_1"]
    assert (ebi["Field Type"], ebi.iloc[6], ebi.iloc[7], ebi.iloc[8]) == (
        "text",
        "number",
        "0",
        "100",
    )
    # every records column is a dictionary field, a form's *_complete or redcap_event_name
    records = pd.read_csv(exported / "records.csv", dtype=str, nrows=1)
    forms = set(dictionary["Form Name"])
    for column in records.columns:
        assert (
            column in kinds
            or column == "redcap_event_name"
            or (column.endswith("_complete") and column[: -len("_complete")] in forms)
        ), column


def test_raw_export_reads_back_into_the_same_results(exported: Path, demo_results: dict) -> None:
    assert_same_statistics(pa.analyze(exported / "study.toml").to_dict(), demo_results)


def _as_redcap_label_export(exported: Path, folder: Path) -> Path:
    """The export as REDCap gives it back after a user worded the choices and added a
    checkbox field: records exported as labels ("CSV / Microsoft Excel (labels)")."""
    folder.mkdir()
    dictionary = pd.read_csv(exported / "dictionary.csv", dtype=str, keep_default_na=False)
    choices = dictionary.columns[5]
    words: dict[str, dict[str, str]] = {}
    for i, row in dictionary.iterrows():
        if row["Field Type"] == "radio":
            codes = [part.split(",")[0].strip() for part in row[choices].split("|")]
            words[row.iloc[0]] = {c: f"Anchor {c}" for c in codes}
            dictionary.at[i, choices] = " | ".join(f"{c}, Anchor {c}" for c in codes)
    checkbox = dictionary.iloc[[0]].copy()
    checkbox.iloc[0, :] = ""
    checkbox.iloc[0, :6] = ["side_effects", "meq30", "", "checkbox", "Side effects", ""]
    checkbox.iloc[0, 5] = "1, Nausea | 2, Headache"
    dictionary = pd.concat([dictionary, checkbox], ignore_index=True)
    dictionary.to_csv(folder / "dictionary.csv", index=False)

    records = pd.read_csv(exported / "records.csv", dtype=str, keep_default_na=False)
    for field, labels in words.items():
        records[field] = records[field].map(lambda v, lab=labels: lab.get(v, v))
    meq = records["meq30_complete"] != ""
    records["side_effects___1"] = ["Checked" if m and i % 2 else "" for i, m in enumerate(meq)]
    records["side_effects___2"] = ["Unchecked" if m else "" for m in meq]
    for column in [c for c in records.columns if c.endswith("_complete")]:
        records[column] = records[column].replace({"2": "Complete"})
    arms = {"1": "Immediate", "2": "Delayed"}
    events = {
        e: f"{e.rsplit('_arm_', 1)[0].title()} (Arm {n}: {arms[n]})"
        for e in records["redcap_event_name"].unique()
        for n in [e.rsplit("_arm_", 1)[1]]
    }
    records["redcap_event_name"] = records["redcap_event_name"].map(events)
    records.to_csv(folder / "records.csv", index=False)

    study = (exported / "study.toml").read_text(encoding="utf-8")
    by_label = "".join(
        f'"{label}" = "{name.rsplit("_arm_", 1)[0]}"\n' for name, label in events.items()
    )
    study = study.replace("[data.redcap.events]\n", "[data.redcap.events]\n" + by_label)
    (folder / "study.toml").write_text(study, encoding="utf-8")
    return folder / "study.toml"


def test_label_export_with_checkboxes_reads_back_into_the_same_results(
    exported: Path, demo_results: dict, tmp_path: Path
) -> None:
    study = _as_redcap_label_export(exported, tmp_path / "labels")
    records = (tmp_path / "labels" / "records.csv").read_text(encoding="utf-8")
    assert "Anchor 3" in records and "Checked" in records and "(Arm 2: Delayed)" in records
    doc = pa.analyze(study).to_dict()
    assert doc["qc"]["rows_excluded"] == 0
    assert_same_statistics(doc, demo_results)


def test_a_column_redcap_would_refuse_is_a_configuration_error(tmp_path: Path) -> None:
    participants = make_participants().rename(columns={"facilitator": "Facilitator ID"})
    study = write_study(tmp_path / "study", participants=participants)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in study.parent.iterdir()}
    result = run_cli("export", str(study), "--to", "redcap", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "'Facilitator ID' is not a valid REDCap name" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in study.parent.iterdir()}
    assert after == before
