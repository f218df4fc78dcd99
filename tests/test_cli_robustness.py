"""The command line under misuse: clear one-line errors, the documented exit codes, no
tracebacks (DESIGN.md, "Command line")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_responses, run_cli, write_study


def _no_traceback(result: object) -> None:
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    assert "internal error" not in result.stderr  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_study(tmp_path_factory.mktemp("robust") / "study")


def test_score_out_is_a_folder(study: Path, tmp_path: Path) -> None:
    result = run_cli("score", str(study), "--out", str(tmp_path))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(tmp_path) in result.stderr
    assert "folder" in result.stderr


def test_score_out_cannot_be_created(study: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("score", str(study), "--out", str(blocker / "scores.csv"))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(blocker) in result.stderr


def test_validate_report_is_a_folder(study: Path, tmp_path: Path) -> None:
    result = run_cli("validate", str(study), "--report", str(tmp_path))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(tmp_path) in result.stderr


def test_init_into_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("init", str(blocker))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(blocker) in result.stderr


def test_data_file_is_a_folder(tmp_path: Path) -> None:
    path = write_study(tmp_path / "s")
    (path.parent / "responses.csv").unlink()
    (path.parent / "responses.csv").mkdir()
    result = run_cli("validate", str(path), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 2
    _no_traceback(result)
    assert "responses.csv" in result.stderr
    assert "folder" in result.stderr


def test_power_plan_out_and_corr_not_usable(study: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    base = ["power", "plan", str(study), "--n", "12", "--seed", "1", "--simulations", "5"]
    result = run_cli(*base, "--out", str(blocker))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(blocker) in result.stderr
    result = run_cli(*base, "--corr", str(tmp_path))
    assert result.returncode == 2
    _no_traceback(result)
    assert str(tmp_path) in result.stderr


def test_power_plan_rejects_a_negative_missing_rate(study: Path) -> None:
    result = run_cli(
        "power", "plan", str(study), "--n", "12", "--seed", "1", "--simulations", "5",
        "--missing", "-0.5",
    )  # fmt: skip
    assert result.returncode == 2
    _no_traceback(result)
    assert "--missing" in result.stderr


def test_lenient_with_every_response_excluded_fails_clearly(tmp_path: Path) -> None:
    responses = make_responses()
    responses["value"] = "99"  # out of range for every item
    path = write_study(tmp_path / "s", responses)
    out = tmp_path / "out"
    result = run_cli("analyze", str(path), "--out", str(out), "--lenient")
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    assert "unknown variable" not in result.stderr
    assert "out_of_range" in result.stderr
    assert (out / "qc_report.json").exists()
    result = run_cli("validate", str(path), "--lenient", "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 1, result.stdout


def test_plan_measure_without_data_is_named(tmp_path: Path) -> None:
    responses = make_responses()
    lenient = write_study(
        tmp_path / "excluded",
        responses.assign(value=responses["value"].where(responses["instrument"] != "meq30", "99")),
    )
    absent = write_study(tmp_path / "absent", responses[responses["instrument"] != "meq30"])
    for path, why in ((lenient, "were excluded"), (absent, "was read")):
        out = path.parent.with_name(path.parent.name + "-out")
        result = run_cli("analyze", str(path), "--out", str(out), "--lenient")
        assert result.returncode == 1, result.stderr
        _no_traceback(result)
        assert "unknown variable" not in result.stderr
        assert "'mystical'" in result.stderr and why in result.stderr
        assert (out / "qc_report.json").exists()
    result = run_cli("validate", str(absent), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 0
    assert "no_data" in result.stderr


def test_unparseable_file_is_not_also_reported_as_missing_measures(tmp_path: Path) -> None:
    path = write_study(tmp_path / "s")
    responses = path.parent / "responses.csv"
    lines = responses.read_text(encoding="utf-8").splitlines()
    lines[10] += ",extra"
    responses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("validate", str(path), "--report", str(tmp_path / "qc.json"))
    assert result.returncode == 1
    _no_traceback(result)
    assert "malformed_csv" in result.stderr
    assert "no_data" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value"), [("--seed", "-3"), ("--time-limit", "-1"), ("--time-limit", "0")]
)
def test_simulate_rejects_bad_seed_and_time_limit(option: str, value: str, tmp_path: Path) -> None:
    targets = Path(__file__).parents[1] / "src" / "patalliance" / "data" / "levin2024"
    result = run_cli(
        "simulate", "--study", str(targets / "study.toml"), "--targets",
        str(targets / "targets.toml"), "--out", str(tmp_path / "sim"), option, value,
    )  # fmt: skip
    assert result.returncode == 2
    _no_traceback(result)
    assert option in result.stderr
    assert not (tmp_path / "sim").exists()


def test_rerun_into_the_same_folder_leaves_no_stale_outputs(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("analyze", str(study), "--out", str(out)).returncode == 0
    assert (out / "report.html").exists()
    result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
    assert result.returncode == 0, result.stderr
    assert not (out / "report.html").exists()
    assert not (out / "tables" / "tables.xlsx").exists()
    bad = write_study(tmp_path / "bad", make_responses().assign(value="99"))
    result = run_cli("analyze", str(bad), "--out", str(out))
    assert result.returncode == 1
    assert (out / "qc_report.json").exists()
    assert not (out / "results.json").exists()
    assert not (out / "scores.csv").exists()
