"""``[data] undeclared``: rows at an undeclared timepoint or of an undeclared instrument.

One problem per (instrument, timepoint) pair with its row count: an error under
``"error"`` (the default), a warning with the rows excluded and counted under ``"exclude"``.
The expected pairs and counts are computed here from the CSV itself.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import run_cli

CASE = Path(__file__).parent / "data" / "bad" / "undeclared_timepoint_pairs"
DECLARED_TIMEPOINTS = {"baseline", "prep", "session1"}
UNDECLARED_CODES = {"unknown_instrument", "unknown_timepoint", "instrument_timepoint"}


def _study(tmp_path: Path, policy: str | None, edit_rows: bool = False) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(CASE, folder)
    (folder / "expected.toml").unlink()
    if edit_rows:
        # an instrument no measure uses (line 32) and one at a timepoint where its measure is
        # not declared (lines 33-34: EBI at 'prep')
        lines = (folder / "responses.csv").read_text(encoding="utf-8").splitlines()
        lines[31] = lines[31].replace(",ebi,", ",piq,")
        lines[32] = lines[32].replace("session1", "prep")
        lines[33] = lines[33].replace("session1", "prep")
        (folder / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if policy is not None:
        text = (folder / "study.toml").read_text(encoding="utf-8")
        text = text.replace("[data]\n", f'[data]\nundeclared = "{policy}"\n', 1)
        (folder / "study.toml").write_text(text, encoding="utf-8")
    return folder / "study.toml"


def _expected_pairs(study: Path) -> dict[tuple[str, str, str], int]:
    """(code, instrument, timepoint) -> row count, straight from the responses file."""
    measured = {"wai_sr": {"prep"}, "grid_hamd17": {"baseline"}, "ebi": {"session1"}}
    pairs: Counter[tuple[str, str, str]] = Counter()
    with (study.parent / "responses.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            inst, tp = row["instrument"], row["timepoint"]
            if inst not in measured:
                pairs["unknown_instrument", inst, tp] += 1
            elif tp not in DECLARED_TIMEPOINTS:
                pairs["unknown_timepoint", inst, tp] += 1
            elif tp not in measured[inst]:
                pairs["instrument_timepoint", inst, tp] += 1
    return dict(pairs)


def _pairs_reported(report: dict[str, object], severity: str) -> dict[tuple[str, str, str], int]:
    found = {}
    for p in report["problems"]:  # type: ignore[attr-defined]
        if p["severity"] != severity or p["code"] not in UNDECLARED_CODES:
            continue
        m = re.match(r"(\d+) rows? of '([^']+)' at '([^']+)'", p["message"])
        assert m, p["message"]
        found[p["code"], m.group(2), m.group(3)] = int(m.group(1))
    return found


@pytest.mark.parametrize("edit_rows", [False, True])
def test_error_policy_gives_one_error_per_pair(tmp_path: Path, edit_rows: bool) -> None:
    study = _study(tmp_path, None if not edit_rows else "error", edit_rows)
    qc = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--report", str(qc))
    assert result.returncode == 1, result.stderr
    report = json.loads(qc.read_text(encoding="utf-8"))
    expected = _expected_pairs(study)
    assert len(expected) == (4 if edit_rows else 2)
    assert _pairs_reported(report, "error") == expected
    assert len(report["problems"]) == len(expected)  # not one per item
    assert report["rows_excluded"] == sum(expected.values())
    assert len(result.stderr) < 2000


@pytest.mark.parametrize("edit_rows", [False, True])
def test_exclude_policy_warns_once_per_pair_and_counts_rows(
    tmp_path: Path, edit_rows: bool
) -> None:
    study = _study(tmp_path, "exclude", edit_rows)
    qc = tmp_path / "qc.json"
    result = run_cli("validate", str(study), "--report", str(qc))
    assert result.returncode == 0, result.stderr
    report = json.loads(qc.read_text(encoding="utf-8"))
    expected = _expected_pairs(study)
    assert _pairs_reported(report, "warning") == expected
    assert not [p for p in report["problems"] if p["severity"] == "error"]
    n_rows = len((study.parent / "responses.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert report["rows_excluded"] == sum(expected.values())
    assert report["rows_read"] == report["rows_used"] + report["rows_excluded"]
    by_reason: Counter[str] = Counter()
    for (code, _, _), n in expected.items():
        by_reason[code] += n
    for code, n in by_reason.items():
        assert report["excluded_by_reason"][code] == n
    assert report["files"][0]["rows_excluded"] == sum(expected.values())
    assert report["files"][0]["rows"] == n_rows
    # the QC table on screen lists each code with its count of problems
    for code, n in Counter(code for code, _, _ in expected).items():
        assert re.search(rf"{code}\s*│\s*warning\s*│\s*{n}\s*│", result.stdout), result.stdout


def test_undeclared_accepts_only_error_or_exclude(tmp_path: Path) -> None:
    study = _study(tmp_path, "ignore")
    result = run_cli("validate", str(study), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 2
    assert "undeclared" in result.stderr and "Traceback" not in result.stderr
