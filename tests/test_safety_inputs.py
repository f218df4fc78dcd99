"""Input safety: canonical keys, numbers, lenient accounting, locations and input paths.

The failures that a `validate` case of tests/data/bad/ cannot express (a FIFO made at test
time, the lenient policy, a large cell, the QC report's content) are checked here by running
the real command in a subprocess: exit code, a one-line message naming the file, row or key,
and a hash of the study folder before and after (no input is modified or deleted).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_participants, make_responses, run_cli, write_study
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patalliance as pa


def folder_hash(folder: Path) -> dict[str, str]:
    """sha256 of every regular file under ``folder`` (FIFOs and devices are not read)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def two_file_study(folder: Path) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """A study whose responses are split over responses.csv and responses_b.csv."""
    responses = make_responses()
    first = responses[responses["participant_id"] <= "P006"]
    second = responses[responses["participant_id"] > "P006"]
    path = write_study(folder, first)
    second.to_csv(folder / "responses_b.csv", index=False)
    text = path.read_text(encoding="utf-8").replace(
        'responses = "responses.csv"', 'responses = ["responses.csv", "responses_b.csv"]'
    )
    path.write_text(text, encoding="utf-8")
    return path, first, second


def _one_line_messages(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert "\x1b" not in stderr


# -- 4. lenient is not silent -------------------------------------------------------------


def _spoil(path: Path, how: str) -> None:
    raw = path.read_bytes()
    if how == "undecodable_file":
        path.write_bytes(raw.replace(b"P008", b"P\xe908", 1))  # one Latin-1 byte
    else:
        lines = raw.decode("utf-8").splitlines()
        lines[40] += ",extra"  # one line with a field too many
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("how", ["undecodable_file", "malformed_csv"])
def test_a4_lenient_counts_and_prints_a_file_excluded_whole(how: str, tmp_path: Path) -> None:
    study, first, second = two_file_study(tmp_path / "s")
    _spoil(study.parent / "responses_b.csv", how)
    before = folder_hash(study.parent)
    report = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--lenient", "--report", str(report))
    assert result.returncode == 0, result.stderr
    _one_line_messages(result.stderr)
    # printed on stderr: the file, the code, and that the whole file is excluded
    warning = [line for line in result.stderr.splitlines() if "responses_b.csv" in line]
    assert len(warning) == 1, result.stderr
    assert f"[{how}]" in warning[0] and "whole file is excluded" in warning[0]
    assert f"({len(second)} rows," in warning[0]
    # counted: every row of the dropped file is read and excluded
    qc = json.loads(report.read_text(encoding="utf-8"))
    n_participants = len(make_participants())
    assert qc["rows_read"] == len(first) + len(second) + n_participants
    assert qc["rows_excluded"] == len(second)
    assert qc["excluded_by_reason"] == {how: len(second)}
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    # listed in the QC report
    dropped = [f for f in qc["files"] if f.get("dropped")]
    assert [(Path(f["path"]).name, f["dropped"], f["rows_excluded"]) for f in dropped] == [
        ("responses_b.csv", how, len(second))
    ]
    assert any(p["code"] == how and p["file"].endswith("responses_b.csv") for p in qc["problems"])
    assert folder_hash(study.parent) == before


def test_a4_lenient_analyze_prints_the_dropped_file(tmp_path: Path) -> None:
    study, _, second = two_file_study(tmp_path / "s")
    _spoil(study.parent / "responses_b.csv", "undecodable_file")
    before = folder_hash(study.parent)
    out = tmp_path / "out"
    result = run_cli("analyze", str(study), "--out", str(out), "--lenient", "--no-report")
    assert result.returncode == 0, result.stderr
    _one_line_messages(result.stderr)
    assert "responses_b.csv" in result.stderr and "whole file is excluded" in result.stderr
    qc = json.loads((out / "results.json").read_text(encoding="utf-8"))["qc"]
    assert qc["rows_excluded"] == len(second)
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    assert folder_hash(study.parent) == before


def test_a4_strict_fails_on_the_same_file(tmp_path: Path) -> None:
    study, _, second = two_file_study(tmp_path / "s")
    _spoil(study.parent / "responses_b.csv", "undecodable_file")
    report = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--report", str(report))
    assert result.returncode == 1
    assert "responses_b.csv, row " in result.stderr and "[undecodable_file]" in result.stderr
    qc = json.loads(report.read_text(encoding="utf-8"))
    assert qc["rows_excluded"] == len(second)


# -- 7. input paths -----------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("key", ["responses", "participants"])
def test_a7_fifo_is_a_configuration_error(key: str, tmp_path: Path) -> None:
    study = write_study(tmp_path / "s")
    fifo = study.parent / "pipe.csv"
    os.mkfifo(fifo)
    study.write_text(
        study.read_text(encoding="utf-8").replace(f'{key} = "{key}.csv"', f'{key} = "pipe.csv"'),
        encoding="utf-8",
    )
    before = folder_hash(study.parent)
    for args in (
        ("validate", str(study), "--report", str(tmp_path / "qc.json")),
        ("analyze", str(study), "--out", str(tmp_path / "out")),
    ):
        result = run_cli(*args)  # run_cli has a timeout: a read of the FIFO would hang
        assert result.returncode == 2, result.stderr
        _one_line_messages(result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "pipe.csv" in lines[0] and f"[data] {key}" in lines[0]
        assert "named pipe" in lines[0]
    assert not (tmp_path / "qc.json").exists()
    assert folder_hash(study.parent) == before


# -- 5. locations: control characters and long cells, in the QC report too ----------------


def test_a5_long_cell_and_escape_codes_are_cut_and_escaped_everywhere(tmp_path: Path) -> None:
    responses = make_responses()
    responses.loc[3, "value"] = "y" * 2_000_000  # a 2 MB cell
    responses.loc[5, "participant_id"] = "\x1b]0;owned\x07\x1b[2J\u202eP001"
    study = write_study(tmp_path / "s", responses)
    before = folder_hash(study.parent)
    report = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--report", str(report))
    assert result.returncode == 1
    _one_line_messages(result.stderr)
    assert "\x07" not in result.stderr and "\u202e" not in result.stderr
    assert len(result.stderr) < 2000
    assert "(cut; 2000000 characters)" in result.stderr
    assert "\\x1b]0;owned\\x07" in result.stderr and "\\u202e" in result.stderr
    text = report.read_text(encoding="utf-8")
    assert len(text) < 10_000
    qc = json.loads(text)
    for problem in qc["problems"]:
        message = problem["message"]
        assert len(message) <= 1000
        assert not any(unicodedata.category(c) == "Cc" for c in message), message
        assert "\u202e" not in message
    assert folder_hash(study.parent) == before


# -- 1. canonical keys (API; the CLI cases are in tests/data/bad/a1_*) --------------------


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return write_study(tmp_path / "s")


@pytest.mark.parametrize("spelling", ["1", "01", "1.0", " 1 ", "1.00", "001"])
def test_a1_item_spellings_are_one_item(spelling: str, study: Path) -> None:
    responses = make_responses(missing=0)
    first = responses.iloc[0]
    assert (first["instrument"], first["item"]) == ("wai_sr", "1")
    same = first.copy()
    same["item"] = spelling
    other = first.copy()
    other["item"] = spelling
    other["value"] = "1" if first["value"] != "1" else "5"  # another valid value (1-5 scale)
    for extra, code in ((same, "duplicate_row"), (other, "conflicting_duplicate")):
        data = pd.concat([responses, extra.to_frame().T], ignore_index=True)
        qc = pa.validate_data(study, responses=data, participants=make_participants())
        codes = [p.code for p in qc.errors]
        assert codes == [code] * (1 if code == "duplicate_row" else 2), codes


def test_a1_ids_differing_only_in_normalisation_are_one_participant(study: Path) -> None:
    name = unicodedata.normalize("NFC", "José")
    decomposed = unicodedata.normalize("NFD", name)
    assert name != decomposed  # the same text, other code points
    responses = make_responses(missing=0).replace({"participant_id": {"P001": decomposed}})
    participants = make_participants().replace({"participant_id": {"P001": name}})
    qc = pa.validate_data(study, responses=responses, participants=participants)
    assert qc.ok and not qc.errors
    warnings = [p for p in qc.warnings if p.code == "id_unicode_variant"]
    assert len(warnings) == 1
    assert "only in Unicode normalisation" in warnings[0].message
    scores = pa.score(study, responses=responses, participants=participants)
    assert name in scores.index and decomposed not in scores.index
    assert len(scores) == len(participants)


def test_a1_ids_differing_only_in_case_stay_apart_with_a_warning(study: Path) -> None:
    participants = pd.concat(
        [make_participants(), pd.DataFrame([{"participant_id": "p001", "arm": "delayed"}])],
        ignore_index=True,
    )
    qc = pa.validate_data(study, responses=make_responses(), participants=participants)
    warnings = [p for p in qc.warnings if p.code == "id_case_variant"]
    assert len(warnings) == 1
    assert "participant 'p001' and participant 'P001'" in warnings[0].message


# -- 3. numbers ---------------------------------------------------------------------------


def test_a3_decimal_comma_only_in_semicolon_files(tmp_path: Path) -> None:
    responses = make_responses(missing=0)
    plain = write_study(tmp_path / "plain", responses)
    # the same values, written as European Excel does: ';' between cells, ',' for decimals
    euro = write_study(tmp_path / "euro", responses)
    europe = responses.assign(value=responses["value"] + ",0")
    europe.to_csv(euro.parent / "responses.csv", sep=";", index=False)
    expected = pa.score(plain)
    pd.testing.assert_frame_equal(pa.score(euro), expected)
    # in a comma-delimited file the same cells are not numbers
    comma = write_study(tmp_path / "comma", europe)
    qc = pa.validate_data(comma)
    assert {p.code for p in qc.errors} == {"non_numeric"}
    assert len(qc.errors) == len(responses)
    assert "not a decimal mark" in qc.errors[0].message


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    breaks=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    bad=st.integers(0, 11),
    line_ending=st.sampled_from(["\n", "\r\n"]),
)
def test_a5_row_and_line_are_right_after_quoted_line_breaks(
    breaks: list[int], bad: int, line_ending: str, study: Path
) -> None:
    """Each value cell holds 0-3 quoted line breaks; the bad value's row and line are exact.

    The expected line comes from the text Python's csv writer produced: 1 + the number of line
    breaks (CR LF, CR or LF, as a text editor counts them) written before the record. The expected row is the record number (header = row 1).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_ending)
    writer.writerow(["participant_id", "timepoint", "instrument", "item", "value"])
    start_line = {}
    for item in range(1, 13):
        start_line[item] = len(re.findall(r"\r\n|\r|\n", buffer.getvalue())) + 1
        value = ("6" if item - 1 == bad else "4") + "\n" * breaks[item - 1]
        writer.writerow(["P001", "prep", "wai_sr", str(item), value])
    (study.parent / "responses.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    qc = pa.validate_data(study)
    errors = qc.errors
    assert [(p.code, p.row, p.line) for p in errors] == [
        ("out_of_range", bad + 2, start_line[bad + 1])
    ]
    shown = f"row {bad + 2}" + (
        "" if start_line[bad + 1] == bad + 2 else f" (line {start_line[bad + 1]})"
    )
    assert str(errors[0]).startswith(f"responses.csv, {shown}, column 'value': ")


@pytest.mark.parametrize(
    ("item", "code"),
    [("inf", "invalid_item"), ("nan", "invalid_item"), ("1e300", "item_out_of_key")],
)
def test_a1_items_beyond_integers_are_reported_not_crashed(
    item: str, code: str, study: Path
) -> None:
    responses = make_responses(missing=0)
    extra = responses.iloc[[0]].assign(item=item)
    data = pd.concat([responses, extra], ignore_index=True)
    qc = pa.validate_data(study, responses=data, participants=make_participants())
    assert [p.code for p in qc.errors] == [code]


def test_a4_lenient_counts_a_dropped_sdtm_dataset(tmp_path: Path) -> None:
    demo = Path(pa.__file__).parent / "data" / "levin2024" / "study.toml"
    out = tmp_path / "sdtm"
    assert run_cli("export", str(demo), "--to", "sdtm", "--out", str(out)).returncode == 0
    qs = pd.read_csv(out / "qs.csv", dtype=str, keep_default_na=False)
    half = len(qs) // 2
    qs.iloc[:half].to_csv(out / "qs.csv", index=False)
    qs.iloc[half:].to_csv(out / "qs_b.csv", index=False)
    raw = (out / "qs_b.csv").read_bytes()
    (out / "qs_b.csv").write_bytes(raw[:200] + b"\xe9" + raw[200:])  # one Latin-1 byte
    study = out / "study.toml"
    text = study.read_text(encoding="utf-8").replace('qs = "qs.csv"', 'qs = ["qs.csv", "qs_b.csv"]')
    study.write_text(text, encoding="utf-8")
    before = folder_hash(out)
    report = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--lenient", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "qs_b.csv" in result.stderr and "whole file is excluded" in result.stderr
    qc = json.loads(report.read_text(encoding="utf-8"))
    assert qc["excluded_by_reason"] == {"undecodable_file": len(qs) - half}
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    assert folder_hash(out) == before
