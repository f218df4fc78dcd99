"""The malformed-input corpus: `patalliance validate` on every case of tests/data/bad/.

Each case folder is a complete small study with one thing wrong, and an ``expected.toml``
(exit code, problem code, file, row, column). See tests/data/bad/README.md.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import run_cli

BAD = Path(__file__).parent / "data" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if (p / "expected.toml").is_file())


def expected_of(case: str) -> dict[str, object]:
    return tomllib.loads((BAD / case / "expected.toml").read_text(encoding="utf-8"))


def test_corpus_is_large_and_documented() -> None:
    assert len(CASES) >= 28
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        folder = BAD / case
        assert (folder / "study.toml").is_file(), case
        assert (folder / "participants.csv").is_file(), case
        assert f"`{case}`" in readme, f"{case} is not listed in README.md"
        expected = expected_of(case)
        assert expected["exit"] in (1, 2)
        assert ("code" in expected) == (expected["exit"] == 1), case


def folder_hash(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def command_of(expected: dict[str, object], folder: Path, report: Path) -> list[str]:
    """The case's command: ``validate --report`` unless ``command`` names another one, with
    ``{case}`` standing for the case folder."""
    command = expected.get("command")
    if command is None:
        return ["validate", str(folder / "study.toml"), "--report", str(report)]
    return [str(arg).replace("{case}", str(folder)) for arg in command]  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_the_problem(case: str, tmp_path: Path) -> None:
    expected = expected_of(case)
    report = tmp_path / "qc.json"
    folder = tmp_path / case  # a copy: a case may point an output at its own files
    shutil.copytree(BAD / case, folder, symlinks=True)
    before = folder_hash(folder)
    result = run_cli(*command_of(expected, folder, report))
    assert folder_hash(folder) == before  # no input file is modified, added or deleted
    stderr = result.stderr
    assert result.returncode == expected["exit"], (result.stdout, stderr)
    assert "Traceback" not in stderr and "Traceback" not in result.stdout
    assert "internal error" not in stderr
    assert 0 < len(stderr) < 2000, stderr
    assert str(expected["file"]) in stderr
    for text in expected.get("stderr_contains", []):  # type: ignore[attr-defined]
        assert text in stderr, (text, stderr)
    for text in expected.get("stderr_lacks", []):  # type: ignore[attr-defined]
        assert text not in stderr and text not in result.stdout, (text, stderr)
    assert "\x1b" not in stderr and "\x1b" not in result.stdout  # control characters escaped
    if expected["exit"] == 2:
        assert not report.exists()
        return

    # exit 1: the message names the file, row and column, and the QC report lists the code
    location = str(expected["file"])
    if "row" in expected:
        location += f", row {expected['row']}"
    if "line" in expected:  # the record starts on another physical line (a quoted line break)
        location += f" (line {expected['line']})"
    if "column" in expected:
        location += f", column '{expected['column']}'"
    assert f"{location}: " in stderr, (location, stderr)
    assert f"[{expected['code']}]" in stderr
    qc = json.loads(report.read_text(encoding="utf-8"))
    assert qc["ok"] is False
    for text in expected.get("stderr_lacks", []):  # type: ignore[attr-defined]
        assert text not in report.read_text(encoding="utf-8"), text
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    problems = qc["problems"]
    matching = [
        p
        for p in problems
        if p["code"] == expected["code"]
        and Path(p["file"]).name == expected["file"]
        and p["row"] == expected.get("row")
        and p["column"] == expected.get("column", "")
        and ("line" not in expected or p.get("line") == expected["line"])
    ]
    assert matching, problems
    assert all(p["message"] for p in problems)
    codes = {p["code"] for p in problems}
    for also in expected.get("also", []):  # type: ignore[attr-defined]
        assert also in codes


def test_lenient_policy_excludes_the_bad_rows(tmp_path: Path) -> None:
    case = BAD / "several_problems"
    report = tmp_path / "qc.json"
    result = run_cli("validate", str(case / "study.toml"), "--report", str(report), "--lenient")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    qc = json.loads(report.read_text(encoding="utf-8"))
    assert qc["policy"] == "lenient"
    assert qc["ok"] is True
    assert qc["rows_excluded"] == 3
    assert qc["excluded_by_reason"] == {
        "non_numeric": 1,
        "out_of_range": 1,
        "unknown_timepoint": 1,
    }
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    assert qc["rows_read"] == 36 + 3  # responses + participants
    assert "excluded, out_of_range: 1" in result.stdout
    responses = next(f for f in qc["files"] if f["role"] == "responses")
    assert (responses["rows"], responses["rows_used"], responses["rows_excluded"]) == (36, 33, 3)


def test_strict_and_lenient_agree_on_the_account(tmp_path: Path) -> None:
    case = BAD / "conflicting_duplicate"
    reports = {}
    for flag in ("", "--lenient"):
        report = tmp_path / f"qc{flag}.json"
        args = ["validate", str(case / "study.toml"), "--report", str(report)]
        result = run_cli(*args, *([flag] if flag else []))
        assert result.returncode == (0 if flag else 1), result.stderr
        reports[flag] = json.loads(report.read_text(encoding="utf-8"))
    strict, lenient = reports[""], reports["--lenient"]
    for qc in (strict, lenient):
        assert qc["rows_excluded"] == 2  # both conflicting rows
        assert qc["excluded_by_reason"] == {"conflicting_duplicate": 2}
        assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
