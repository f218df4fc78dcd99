"""``patalliance pool`` end to end: the real command in a subprocess (exit codes, output
files, stderr), including pooling the results.json of two analysed studies."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import make_responses, run_cli, write_study

from patalliance.pool.document import SCHEMA_PATH

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def check_outputs(out: Path) -> dict:  # type: ignore[type-arg]
    doc = json.loads((out / "pool_results.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    for name in ("report.html", "tables/tables.xlsx", "tables/tables.docx",
                 "tables/pool_studies.csv", "tables/paper_pool_studies.csv"):  # fmt: skip
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'src="http' not in html and "<link" not in html
    return doc  # type: ignore[no-any-return]


def test_psilocybin_example_runs_offline_in_seconds(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_cli("pool", "--example", "psilocybin-depression", "--out", str(tmp_path / "o"))
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert elapsed < 60  # a few seconds on a laptop; generous for a loaded CI machine
    doc = check_outputs(tmp_path / "o")
    model = doc["model"]
    assert model["k"] == 12 and model["method"] == "REML" and model["status"] == "ok"
    assert doc["effect"]["measure"] == "g" and doc["effect"]["g_convention"] == "metapsy"
    assert {"study", "effect", "se", "ci_low", "ci_high", "weight", "n"} <= set(doc["studies"][0])
    for key in (
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "tau2",
        "i2",
        "q",
        "q_p",
        "pi_low",
        "pi_high",
    ):
        assert isinstance(model[key], float), key
    assert doc["egger"]["status"] == "ok" and doc["subgroups"]["column"] == "rating"
    assert "pooled g was" in result.stdout
    assert "participant" not in (tmp_path / "o/tables/pool_studies.csv").read_text(encoding="utf-8")


def test_alliance_example_shows_one_trial_beside_the_benchmark(tmp_path: Path) -> None:
    result = run_cli("pool", "--example", "alliance", "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    doc = check_outputs(tmp_path / "o")
    assert doc["model"]["status"] == "not_estimable" and doc["model"]["estimate"] is None
    assert doc["benchmark"]["estimate"] == 0.278
    assert doc["effect"]["pooling_scale"] == "fisher_z"
    assert "nothing was pooled" in result.stdout and "Flückiger" in result.stdout


def test_csv_with_options(tmp_path: Path) -> None:
    csv = tmp_path / "effects.csv"
    csv.write_text(
        "study,r,n,subgroup\na,0.3,40,x\nb,0.5,25,x\nc,0.1,60,y\nd,0.45,33,y\n", encoding="utf-8"
    )
    out = tmp_path / "o"
    result = run_cli("pool", str(csv), "--out", str(out), "--method", "dl", "--hksj",
                     "--confidence-level", "0.9")  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = check_outputs(out)
    assert doc["options"] == {"method": "DL", "hksj": True, "confidence_level": 0.9}
    assert doc["model"]["test"] == "t (HKSJ)" and doc["model"]["df"] == 3
    assert doc["effect"]["analysis_scale"].startswith("r (pooled on Fisher's z")
    assert "90% CI" in (out / "report.html").read_text(encoding="utf-8")


def test_results_json_of_two_analysed_studies(tmp_path: Path) -> None:
    for name, seed in (("one", 7), ("two", 11)):
        study = write_study(tmp_path / name, responses=make_responses(seed=seed))
        result = run_cli("analyze", str(study), "--out", str(tmp_path / f"{name}-out"),
                         "--no-report")  # fmt: skip
        assert result.returncode == 0, result.stderr
    plan = tmp_path / "pool.toml"
    plan.write_text(
        '[pool]\ntitle = "Two tiny trials"\nx = "alliance.total@prep"\n'
        'y = "depression.total@fu4w"\nhigher_is_better = false\n\n'
        '[[inputs]]\nfile = "one-out/results.json"\nstudy = "one"\n\n'
        '[[inputs]]\nfile = "two-out/results.json"\nstudy = "two"\n',
        encoding="utf-8",
    )
    result = run_cli("pool", "--plan", str(plan), "--out", str(tmp_path / "pooled"))
    assert result.returncode == 0, result.stderr
    doc = check_outputs(tmp_path / "pooled")
    assert [s["study"] for s in doc["studies"]] == ["one", "two"]
    assert all(s["sign_flipped"] for s in doc["studies"])
    source = json.loads((tmp_path / "one-out/results.json").read_text(encoding="utf-8"))
    r = next(c for c in source["correlations"]
             if c["x"] == "alliance.total@prep" and c["y"] == "depression.total@fu4w")  # fmt: skip
    assert (
        doc["studies"][0]["effect"] == pytest.approx(-r["r"]) and doc["studies"][0]["n"] == r["n"]
    )


BAD_CSV = [
    ("study,r\na,0.3\nb,0.2\n", 1, "lacks column(s) n"),
    ("study,r,n\na,0.3,20\nb,high,30\n", 1, "row 3, column 'r': 'high' is not a number"),
    ("study,r,n\na,0.3,20\n", 1, "fewer than 2 studies (k = 1)"),
    ("study,mean_treatment,sd_treatment,n_treatment,mean_control,sd_control,n_control\n"
     "a,1,1,10,0,1,10\nb,1,-1,10,0,1,10\n", 1, "row 3, column 'sd_treatment'"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "code", "message"), BAD_CSV)
def test_bad_csv_exits_1_with_one_line(tmp_path: Path, text: str, code: int, message: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(text, encoding="utf-8")
    result = run_cli("pool", str(csv), "--out", str(tmp_path / "o"))
    assert result.returncode == code
    assert message in result.stderr and str(csv) in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o" / "pool_results.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "no such file"),
        (["--example", "ketamine"], "--example must be one of"),
        (["x.csv", "--method", "ML"], "--method must be one of REML, DL, PM"),
        (["x.csv", "--confidence-level", "95"], "--confidence-level must be between 0 and 1"),
        (["a.json", "b.json"], "need --plan pool.toml"),
        ([], "no inputs"),
        (["x.csv", "y.txt"], "inputs must be results.json files"),
        (["x.csv", "--plan", "nope.toml"], "no such plan file"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "x.csv").write_text("study,r,n\na,0.3,20\nb,0.2,30\n", encoding="utf-8")
    result = run_cli("pool", *args, "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.replace("\n", " ") and "Traceback" not in result.stderr


def test_pool_help_imports_no_scientific_stack() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "patalliance", "pool", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "--example" in result.stdout
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "patalliance.pool.cli" in names
    assert not names & {"pandas", "scipy", "statsmodels", "matplotlib"}
