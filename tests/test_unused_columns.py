"""Nothing ignored silently: columns and forms that no measure reads are QC warnings on screen.

The REDCap fixture gets a form named differently from any key (``grid_hamd``, fields
``ghamd_1..17``) that the study does not map; ``analyze`` must show it, and the fixture's
incomplete form, on screen. The expected counts are computed here from the files.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
from conftest import run_cli

IO = Path(__file__).parent / "data" / "io"


def _add_ghamd_form(folder: Path) -> list[str]:
    """Add a 17-item form 'grid_hamd' to the dictionary and the records; return its fields."""
    fields = [f"ghamd_{i}" for i in range(1, 18)]
    dic = folder / "dictionary.csv"
    with dic.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for f in fields:
        row = [""] * len(rows[0])
        row[:6] = [f, "grid_hamd", "", "radio", f"item {f}", "0, 0 | 1, 1 | 2, 2"]
        rows.append(row)
    with dic.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    records = pd.read_csv(folder / "records_raw.csv", dtype=str, keep_default_na=False)
    baseline = records["redcap_event_name"].str.startswith("prep")
    for i, f in enumerate(fields):
        records[f] = ""
        records.loc[baseline, f] = str(i % 3)
    records.to_csv(folder / "records_raw.csv", index=False)
    return fields


def test_analyze_shows_incomplete_and_unused_forms(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(IO / "redcap", folder)
    fields = _add_ghamd_form(folder)
    out = tmp_path / "out"
    result = run_cli("analyze", str(folder / "study_raw.toml"), "--out", str(out), "--no-report")
    assert result.returncode == 0, result.stderr
    records = pd.read_csv(folder / "records_raw.csv", dtype=str, keep_default_na=False)
    incomplete = records.index[records["wai_sr_complete"].isin(["0", "1"])]
    first_incomplete = int(incomplete[0]) + 2  # the header is row 1
    # the QC table on screen: code, severity, count, first location
    assert re.search(
        rf"form_incomplete\s*│\s*warning\s*│\s*{len(incomplete)}\s*│\s*records_raw\.csv, "
        rf"row {first_incomplete}, column 'wai_sr_complete'",
        result.stdout,
    ), result.stdout
    assert re.search(
        r"unused_columns\s*│\s*warning\s*│\s*1\s*│\s*records_raw\.csv, row 1, column 'ghamd_1'",
        result.stdout,
    ), result.stdout
    # one line on stderr for the unused form, naming it and counting its fields
    lines = [ln for ln in result.stderr.splitlines() if "[unused_columns]" in ln]
    assert len(lines) == 1, result.stderr
    assert "form 'grid_hamd'" in lines[0] and f"{len(fields)} columns" in lines[0]
    assert "'ghamd_17'" in lines[0]
    assert len(result.stderr) < 2000
    qc = json.loads((out / "results.json").read_text(encoding="utf-8"))["qc"]
    unused = [p for p in qc["problems"] if p["code"] == "unused_columns"]
    assert len(unused) == 1 and unused[0]["severity"] == "warning"
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]


def test_the_unchanged_fixture_has_no_unused_form(tmp_path: Path) -> None:
    """Its enrollment form is read (facilitator), and its repeating form is the MEQ-30."""
    result = run_cli(
        "validate", str(IO / "redcap" / "study_raw.toml"), "--report", str(tmp_path / "q.json")
    )
    assert result.returncode == 0, result.stderr
    problems = json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))["problems"]
    assert not [p for p in problems if p["code"] == "unused_columns"]


def test_wide_file_columns_no_measure_reads(tmp_path: Path) -> None:
    """An SPSS file's WAI-SR items plus CEQ items, numbered ratings and a free-text column."""
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(IO / "spss" / "wai.sav"))
    for column in ("group", "visit"):  # the labels the study file maps; items stay numbers
        frame[column] = frame[column].map(meta.variable_value_labels[column])
    folder = tmp_path / "study"
    folder.mkdir()
    ceq = [f"ceq_{i}" for i in range(1, 27)]
    mood = ["mood1", "mood2", "mood3"]
    extra = {c: 1 for c in [*ceq, *mood]}
    frame.assign(**extra, comment="x").to_csv(folder / "wide.csv", index=False)
    text = (IO / "spss" / "study.toml").read_text(encoding="utf-8")
    (folder / "study.toml").write_text(text.replace("wai.sav", "wide.csv"), encoding="utf-8")
    qc_path = tmp_path / "qc.json"
    result = run_cli("validate", str(folder / "study.toml"), "--report", str(qc_path))
    assert result.returncode == 0, result.stderr
    problems = json.loads(qc_path.read_text(encoding="utf-8"))["problems"]
    unused = {p["column"]: p["message"] for p in problems if p["code"] == "unused_columns"}
    assert set(unused) == {"ceq_1", "mood1", "comment"}
    assert unused["ceq_1"].startswith(f"{len(ceq)} columns") and "ceq" in unused["ceq_1"]
    assert 'instrument = "ceq"' in unused["ceq_1"]
    assert unused["mood1"].startswith(f"{len(mood)} columns")
    assert unused["comment"].startswith("1 column ('comment') is not read")
    stderr_lines = [ln for ln in result.stderr.splitlines() if "[unused_columns]" in ln]
    assert len(stderr_lines) == 3


GRID_STUDY = """
[study]
id = "grid"
title = "GRID-HAMD form named differently from the key"

[arms]
arm_1 = { label = "Arm 1" }
arm_2 = { label = "Arm 2" }

[[timepoints]]
id = "screening"
[[timepoints]]
id = "baseline"
[[timepoints]]
id = "week_1"
[[timepoints]]
id = "week_4"
[[timepoints]]
id = "month_3"

[data]
format = "redcap"

[data.redcap]
records = "records.csv"
dictionary = "dictionary.csv"
id_field = "record_id"

[data.redcap.events]
EVENTS

[data.redcap.arms]
"1" = "arm_1"
"2" = "arm_2"

[data.redcap.fields]
grid_hamd17 = "ghamd_{item}"

[measures.depression]
instrument = "grid_hamd17"
timepoints = ["baseline", "week_1", "week_4", "month_3"]
"""


def test_grid_hamd_fixture_shows_incomplete_forms_and_the_unused_vitals_form(
    tmp_path: Path,
) -> None:
    """The REDCap fixture with a `grid_hamd` form (fields ghamd_1..17), incomplete forms and a
    `vitals` form (vs_1..3) that no measure uses, as `init --from-redcap` drafts it."""
    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("dictionary.csv", "records.csv"):
        shutil.copy(IO / "redcap_grid" / name, folder / name)
    records = pd.read_csv(folder / "records.csv", dtype=str, keep_default_na=False)
    events = "\n".join(
        f'"{e}" = "{e.rsplit("_arm_", 1)[0]}"' for e in sorted(set(records["redcap_event_name"]))
    )
    (folder / "study.toml").write_text(GRID_STUDY.replace("EVENTS", events), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("analyze", str(folder / "study.toml"), "--out", str(out), "--no-report")
    assert result.returncode == 0, result.stderr

    items = [f"ghamd_{i}" for i in range(1, 18)]
    measured = (
        records["redcap_event_name"]
        .str.rsplit("_arm_", n=1)
        .str[0]
        .isin(["baseline", "week_1", "week_4", "month_3"])
    )
    answered = (records[items] != "").any(axis=1)
    incomplete = records.index[measured & answered & records["grid_hamd_complete"].isin(["0", "1"])]
    assert len(incomplete) >= 2  # the fixture has incomplete forms
    assert re.search(
        rf"form_incomplete\s*│\s*warning\s*│\s*{len(incomplete)}\s*│\s*records\.csv, "
        rf"row {int(incomplete[0]) + 2}, column 'grid_hamd_complete'",
        result.stdout,
    ), result.stdout
    assert re.search(
        r"unused_columns\s*│\s*warning\s*│\s*1\s*│\s*records\.csv, row 1, column 'vs_1'",
        result.stdout,
    ), result.stdout
    vitals = [c for c in records.columns if c.startswith("vs_")]
    (line,) = [ln for ln in result.stderr.splitlines() if "[unused_columns]" in ln]
    assert "form 'vitals'" in line and f"{len(vitals)} columns" in line
    assert 'e.g. <key id> = "vs_{item}"' in line
    assert len(result.stderr) < 2000
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["descriptives"]  # GRID-HAMD-17 was scored
