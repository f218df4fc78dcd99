"""`patalliance init --from-redcap` on a project built the way a new user builds it: a
``grid_hamd`` form with fields ``ghamd_1..17``, the project's own event and arm names, forms
marked Incomplete, and a form that matches no key (fixture: tests/data/io/make_redcap_grid.py).

The drafted study must score the GRID-HAMD-17 with no manual edit; the expected totals are
summed in the test from the raw fields of the records export.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from numpy.testing import assert_allclose

from patalliance.io.redcap import draft_study

GRID = Path(__file__).parent / "data" / "io" / "redcap_grid"
ITEMS = [f"ghamd_{i}" for i in range(1, 18)]
ARM = re.compile(r"_arm_\d+$|\s*\(Arm \d+: [^)]*\)$")


def _init(tmp_path: Path, records: str) -> tuple[Path, str]:
    """Run `init --from-redcap` on the fixture: the drafted study file and the notes printed."""
    folder = tmp_path / "study"
    result = run_cli(
        "init",
        str(folder),
        "--from-redcap",
        str(GRID / "dictionary.csv"),
        "--records",
        str(GRID / records),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return folder / "study.toml", result.stdout


def _expected_totals() -> pd.Series:
    """GRID-HAMD-17 totals summed from the raw export: participant × timepoint, missing when
    an item is blank (the key allows no missing item)."""
    raw = pd.read_csv(GRID / "records.csv", dtype=str, keep_default_na=False)
    raw = raw[(raw[ITEMS] != "").any(axis=1)]
    items = raw[ITEMS].replace("", np.nan).astype(float)
    total = items.sum(axis=1).where(items.notna().all(axis=1))
    timepoint = raw["redcap_event_name"].str.replace(r"_arm_\d+$", "", regex=True)
    return pd.Series(
        total.to_numpy(), index=pd.MultiIndex.from_arrays([raw["record_id"], timepoint])
    )


def _scored(study: Path, tmp_path: Path) -> pd.Series:
    out = tmp_path / "scores.csv"
    result = run_cli("score", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out, dtype={"participant_id": str}).set_index("participant_id")
    totals = scores.filter(like="grid_hamd17.total@")
    long = totals.rename(columns=lambda c: c.split("@")[1]).stack(future_stack=True)
    return long.astype(float)


@pytest.mark.parametrize("records", ["records.csv", "records_labels.csv"])
def test_drafted_study_scores_grid_hamd_without_edit(records: str, tmp_path: Path) -> None:
    study, stdout = _init(tmp_path, records)
    text = study.read_text(encoding="utf-8")
    assert 'grid_hamd17 = "ghamd_{item}"' in text
    assert "[measures.grid_hamd17]" in text
    assert "17 items; ranges 0-4/0-2 match grid_hamd17" in stdout
    assert "match no shipped scoring key" not in stdout.split("form 'vitals'")[0]
    assert "form 'vitals'" in stdout  # the numbered vitals fields match no key, and say so
    assert "no redcap_event_name column" not in stdout
    report = tmp_path / "qc.json"
    validated = run_cli("validate", str(study), "--report", str(report))
    assert validated.returncode == 0, validated.stderr
    codes = [p["code"] for p in json.loads(report.read_text(encoding="utf-8"))["problems"]]
    assert codes.count("form_incomplete") == 2  # one Incomplete, one Unverified
    expected = _expected_totals()
    got = _scored(study, tmp_path)
    assert set(got.dropna().index) == set(expected.dropna().index)
    assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy())


def test_label_export_names_the_arms(tmp_path: Path) -> None:
    text = _init(tmp_path, "records_labels.csv")[0].read_text(encoding="utf-8")
    assert 'arm_1 = { label = "Psilocybin" }' in text
    assert '"Week 4 (Arm 2: Waiting list)" = "week_4"' in text


@pytest.mark.parametrize("records", ["records.csv", "records_labels.csv"])
def test_events_map_with_or_without_the_arm_suffix(records: str, tmp_path: Path) -> None:
    study, _ = _init(tmp_path, records)
    text = study.read_text(encoding="utf-8")
    head, rest = text.split("[data.redcap.events]\n")
    events, tail = rest.split("\n\n", 1)
    bare = {}
    for line in events.splitlines():
        name, _, tp = line.partition(" = ")
        bare[ARM.sub("", json.loads(name))] = tp
    assert len(bare) == 5  # one line per event for both arms
    lines = [f"{json.dumps(name)} = {tp}" for name, tp in bare.items()]
    study.write_text(head + "[data.redcap.events]\n" + "\n".join(lines) + "\n\n" + tail)
    expected = _expected_totals()
    got = _scored(study, tmp_path)
    assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy())


def test_unmapped_event_suggests_a_declared_timepoint(tmp_path: Path) -> None:
    study, _ = _init(tmp_path, "records.csv")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('"week_4_arm_2" = "week_4"\n', ""), encoding="utf-8")
    result = run_cli("validate", str(study), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 1, result.stderr
    flat = " ".join(result.stderr.split())
    assert "event 'week_4_arm_2'" in flat
    assert 'e.g. "week_4_arm_2" = "week_4"' in flat
    assert '= "baseline"' not in flat


def test_unmapped_event_without_a_close_timepoint_lists_them(tmp_path: Path) -> None:
    study, _ = _init(tmp_path, "records.csv")
    records = study.parent / "records.csv"
    text = records.read_text(encoding="utf-8")
    records.write_text(text.replace("month_3_arm_2", "followup_4w_arm_2"), encoding="utf-8")
    result = run_cli("validate", str(study), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 1, result.stderr
    flat = " ".join(result.stderr.split())
    assert "event 'followup_4w_arm_2'" in flat
    assert "one of the study's timepoints (screening, baseline, week_1, week_4, month_3)" in flat
    assert '"followup_4w_arm_2" = "baseline"' not in flat
    assert (GRID / "records.csv").read_text(encoding="utf-8").count("followup") == 0


# --- the scoring rule (docs/data-formats.md, "Drafting a study") ------------------------------


def _dictionary(path: Path, fields: list[tuple[str, str, str]]) -> Path:
    """A minimal data dictionary: (field, form, choices) with radio fields."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Variable / Field Name", "Form Name", "Field Type", "Field Label",
             "Choices, Calculations, OR Slider Labels"]
        )  # fmt: skip
        writer.writerow(["record_id", "enrolment", "text", "Record ID", ""])
        for name, form, choices in fields:
            writer.writerow([name, form, "radio", name, choices])
    return path


def _codes(lo: int, hi: int) -> str:
    return " | ".join(f"{c}, {c}" for c in range(lo, hi + 1))


def test_unsure_match_lists_the_runner_ups(tmp_path: Path) -> None:
    # 30 items rated 0-5 in a form whose name says nothing: MEQ-30, CEQ (26 items) and
    # PIQ (23 items) all use 0-5. By the documented rule: items 4 x shared/all, ranges 3 x
    # share of the key's items with its range, name 0.
    scores = {"meq30": 4 * 30 / 30 + 3, "ceq": 4 * 26 / 30 + 3, "piq": 4 * 23 / 30 + 3}
    fields = [(f"a_{i}", "acute", _codes(0, 5)) for i in range(1, 31)]
    draft = draft_study(_dictionary(tmp_path / "dictionary.csv", fields))
    assert 'meq30 = "a_{item}"' in draft.text
    [unsure] = [n for n in draft.not_inferred if "unsure" in n]
    assert f"score {scores['meq30']:.1f} of 10" in unsure
    assert (
        f"ceq (30 fields, 26 of its 26 items; ranges 0-5 match ceq; score {scores['ceq']:.1f}"
        in unsure
    )
    assert "piq (" in unsure and f"score {scores['piq']:.1f}" in unsure


def test_weak_match_is_not_mapped_but_named(tmp_path: Path) -> None:
    # 17 items all rated 0-4: only 9 of the GRID-HAMD-17's items have that range, and the
    # name matches nothing: 4 + 3 x 9/17 = 5.6, under the mapping threshold of 6.
    fields = [(f"q{i}", "depression", _codes(0, 4)) for i in range(1, 18)]
    draft = draft_study(_dictionary(tmp_path / "dictionary.csv", fields))
    assert "[measures." not in draft.text
    [note] = [n for n in draft.not_inferred if "form 'depression'" in n]
    assert "match no shipped scoring key well enough" in note
    assert (
        f"grid_hamd17 (17 items; ranges match grid_hamd17 for 9 of 17 items; score {4 + 3 * 9 / 17:.1f}"
        in note
    )


def test_name_and_items_map_without_choices(tmp_path: Path) -> None:
    # text fields (no ranges in the dictionary) named after the key still map: 4 + 0 + 3 = 7
    path = tmp_path / "dictionary.csv"
    rows = ["Variable / Field Name,Form Name,Field Type,Field Label,"
            '"Choices, Calculations, OR Slider Labels"', "record_id,enrolment,text,ID,"]  # fmt: skip
    rows += [f"qids_{i},qids_sr16,text,Item {i}," for i in range(1, 17)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    draft = draft_study(path)
    assert 'qids_sr16 = "qids_{item}"' in draft.text
    assert any("no ranges in the dictionary" in n and "score 7.0" in n for n in draft.inferred)


def test_records_without_event_column(tmp_path: Path) -> None:
    records = pd.read_csv(GRID / "records.csv", dtype=str, keep_default_na=False)
    flat = tmp_path / "flat.csv"
    records[records["redcap_event_name"] == "baseline_arm_1"].drop(
        columns="redcap_event_name"
    ).to_csv(flat, index=False)
    shutil.copyfile(GRID / "dictionary.csv", tmp_path / "dictionary.csv")
    draft = draft_study(tmp_path / "dictionary.csv", records=flat)
    assert any("flat.csv has no redcap_event_name column" in n for n in draft.not_inferred)


def test_second_form_of_the_same_key_is_noted_not_mapped_twice(tmp_path: Path) -> None:
    # Two forms with the GRID-HAMD-17's 17 items and ranges, named after nothing: structure
    # alone scores 4 + 3 = 7, sure (the runner-up QIDS-SR16 is far below); a key maps once.
    narrow = {4, 5, 6, 12, 13, 14, 16, 17}
    fields = [
        (f"{prefix}_{i}", form, _codes(0, 2 if i in narrow else 4))
        for prefix, form in (("hbl", "ratings_baseline"), ("hfu", "ratings_followup"))
        for i in range(1, 18)
    ]
    draft = draft_study(_dictionary(tmp_path / "dictionary.csv", fields))
    assert 'grid_hamd17 = "hbl_{item}"' in draft.text
    assert "hfu_" not in draft.text
    assert not any("unsure" in n for n in draft.not_inferred)
    [note] = [n for n in draft.not_inferred if "form 'ratings_followup'" in n]
    assert "mapped to form 'ratings_baseline'" in note
    assert 'hfu_1 = "grid_hamd17:1"' in note


@pytest.mark.parametrize(("ftype", "lo", "hi"), [("slider", "", ""), ("text", "0", "100")])
def test_slider_and_number_limits_are_ranges(ftype: str, lo: str, hi: str, tmp_path: Path) -> None:
    # six 0-100 ratings in a form named after nothing: items 4 + ranges 3 = 7 for the EBI,
    # whose items are rated 0-100 (a slider is 0-100 unless its limits are set)
    path = tmp_path / "dictionary.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Variable / Field Name", "Form Name", "Field Type", "Field Label",
             "Choices, Calculations, OR Slider Labels", "Text Validation Type OR Show Slider Number",
             "Text Validation Min", "Text Validation Max"]
        )  # fmt: skip
        writer.writerow(["record_id", "enrolment", "text", "ID", "", "", "", ""])
        for i in range(1, 7):
            writer.writerow([f"b_{i}", "after_session", ftype, f"Rating {i}", "", "", lo, hi])
    draft = draft_study(path)
    assert 'ebi = "b_{item}"' in draft.text
    [note] = [n for n in draft.inferred if n.startswith("instrument ebi")]
    assert "6 items; ranges 0-100 match ebi; score 7.0 of 10" in note
    assert not any("unsure" in n for n in draft.not_inferred)


def test_fields_beyond_the_key_are_left_out_item_by_item(tmp_path: Path) -> None:
    # A HAMD-21 form: items 1-17 are the GRID-HAMD-17's, with its ranges; 18-21 are not. By the
    # rule: items 4 x 17/21, ranges 3, name 3 x 4/10 ('hamd' inside 'gridhamd17').
    narrow = {4, 5, 6, 12, 13, 14, 16, 17}
    fields = [(f"hamd_{i}", "hamd21", _codes(0, 2 if i in narrow else 4)) for i in range(1, 22)]
    draft = draft_study(_dictionary(tmp_path / "dictionary.csv", fields))
    assert f"score {4 * 17 / 21 + 3 + 3 * 4 / 10:.1f} of 10" in draft.inferred[0]
    for i in range(1, 18):
        assert f'hamd_{i} = "grid_hamd17:{i}"\n' in draft.text
    assert "hamd_18 =" not in draft.text and "{item}" not in draft.text
    [note] = [n for n in draft.not_inferred if "left out" in n]
    assert "hamd_18, hamd_19, hamd_20, hamd_21 are not among its items" in note
