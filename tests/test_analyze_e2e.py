"""End to end: build a small trial here, run `patalliance analyze` in a subprocess, and check
every number in results.json against values computed independently with scipy/numpy from the
raw responses CSV (not through patalliance's scoring)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, write_study
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.document import SCHEMA_PATH

GRID_SHORT = {4, 5, 6, 12, 13, 14, 16, 17}


def independent_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """Totals computed the simple way: complete sums/means, prorated sums for WAI-SR."""
    df = responses.copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    out = {}
    for (pid, tp, inst), grp in df.groupby(["participant_id", "timepoint", "instrument"]):
        vals = grp["value"].to_numpy(dtype=float)
        valid = vals[~np.isnan(vals)]
        n_missing = 12 - valid.size if inst == "wai_sr" else None
        if inst == "wai_sr":
            # Hatcher & Gillaspy 2006: total = sum of 12 items; our key prorates up to 2 missing.
            total = valid.mean() * 12 if n_missing is not None and n_missing <= 2 else np.nan
            out[f"alliance.total@{tp}", pid] = total
        elif inst == "meq30":
            # Barrett et al. 2015: total = mean of the 30 items (up to 6 missing prorated).
            out[f"mystical.total@{tp}", pid] = valid.mean() if 30 - valid.size <= 6 else np.nan
        elif inst == "grid_hamd17":
            out[f"depression.total@{tp}", pid] = valid.sum() if valid.size == 17 else np.nan
    series = pd.Series(out)
    wide = series.unstack(0)
    for tp in ("session1", "session2"):
        if f"mystical.total@{tp}" not in wide:
            wide[f"mystical.total@{tp}"] = np.nan
    wide["mystical.total@peak"] = wide[["mystical.total@session1", "mystical.total@session2"]].max(
        axis=1, skipna=True
    )
    return wide


def _pair(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ok = a.notna() & b.notna()
    return a[ok].to_numpy(dtype=float), b[ok].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pd.DataFrame, Path]:
    from conftest import make_participants, make_responses

    folder = tmp_path_factory.mktemp("e2e")
    responses = make_responses(n=30, seed=11, missing=0.08)
    study = write_study(folder / "study", responses, make_participants(30))
    out = folder / "out"
    result = run_cli("analyze", str(study), "--out", str(out), "--no-report")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return doc, independent_scores(responses), out


def test_results_json_matches_schema(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    doc, _, _ = analyzed
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert doc["schema"] == "patalliance.results/1"


def test_row_accounting(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    doc, _, out = analyzed
    qc = doc["qc"]
    assert qc["rows_read"] == qc["rows_used"] + qc["rows_excluded"]
    responses = pd.read_csv(out.parent / "study" / "responses.csv")
    participants = pd.read_csv(out.parent / "study" / "participants.csv")
    assert qc["rows_read"] == len(responses) + len(participants)


def test_descriptives_match(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    doc, wide, _ = analyzed
    by_name = {d["variable"]: d for d in doc["descriptives"]}
    checked = 0
    for variable in wide.columns:
        col = wide[variable].dropna().to_numpy(dtype=float)
        d = by_name[variable]
        assert d["n"] == col.size
        assert_allclose(d["mean"], col.mean(), rtol=1e-12)
        assert_allclose(d["sd"], col.std(ddof=1), rtol=1e-12)
        assert_allclose([d["min"], d["max"]], [col.min(), col.max()], rtol=1e-12)
        checked += 1
    assert checked >= 8


def test_change_matches_scipy(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    doc, wide, _ = analyzed
    (change,) = doc["change"]
    a, b = _pair(wide["alliance.total@prep"], wide["alliance.total@post1w"])
    t = stats.ttest_rel(b, a)
    diff = b - a
    assert change["n"] == a.size
    assert_allclose(
        [change["t"], change["p"], change["df"]], [t.statistic, t.pvalue, a.size - 1], rtol=1e-10
    )
    assert_allclose(change["mean_diff"], diff.mean(), rtol=1e-12)
    # d_z = mean difference / SD of differences; d_av = mean diff / mean of the two SDs
    # (Lakens 2013, Front Psychol 4:863, eq. 10).
    assert_allclose(change["d_z"], diff.mean() / diff.std(ddof=1), rtol=1e-12)
    assert_allclose(change["d_av"], diff.mean() / ((a.std(ddof=1) + b.std(ddof=1)) / 2), rtol=1e-12)
    # Wilcoxon signed-rank test by R's wilcox.test(paired = TRUE) rule: these differences have
    # ties, so the normal approximation with continuity correction on the nonzero differences
    nonzero = diff[diff != 0]
    assert len(np.unique(np.abs(nonzero))) < nonzero.size
    ref = stats.wilcoxon(nonzero, correction=True, method="asymptotic")
    assert_allclose(change["wilcoxon_p"], ref.pvalue, rtol=1e-10)
    assert change["d_z_ci_low"] < change["d_z"] < change["d_z_ci_high"]


def test_correlations_match_scipy(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    doc, wide, _ = analyzed
    assert len(doc["correlations"]) == 6
    for row in doc["correlations"]:
        a, b = _pair(wide[row["x"]], wide[row["y"]])
        res = stats.pearsonr(a, b)
        assert row["n"] == a.size
        assert_allclose([row["r"], row["p"]], [res.statistic, res.pvalue], rtol=1e-10)
        # Fisher (1921) z interval.
        z, se = np.arctanh(res.statistic), 1 / np.sqrt(a.size - 3)
        crit = stats.norm.ppf(0.975)
        assert_allclose(
            [row["ci_low"], row["ci_high"]], np.tanh([z - crit * se, z + crit * se]), rtol=1e-10
        )
        assert row["p_adj"] == row["p"]  # adjust = "none"


def test_scores_and_tables_written(analyzed: tuple[dict, pd.DataFrame, Path]) -> None:
    _, wide, out = analyzed
    scores = pd.read_csv(out / "scores.csv", dtype={"participant_id": str})
    assert scores.columns[0] == "participant_id"
    merged = scores.set_index("participant_id")
    for variable in ("alliance.total@prep", "depression.total@fu4w", "mystical.total@peak"):
        ours = merged[variable].reindex(wide.index)
        assert_allclose(
            ours.to_numpy(dtype=float), wide[variable].to_numpy(dtype=float), rtol=1e-12
        )
    for name in ("descriptives", "change", "correlations", "descriptives_by_arm"):
        assert (out / "tables" / f"{name}.csv").exists()


def test_same_seed_same_results(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", analysis_extra="", data_extra="")
    text = study.read_text().replace('ci = "fisher"', 'ci = "bootstrap"\nn_resamples = 500')
    study.write_text(text)
    docs = []
    for name in ("a", "b"):
        result = run_cli("analyze", str(study), "--out", str(tmp_path / name), "--no-report")
        assert result.returncode == 0, result.stderr
        docs.append(json.loads((tmp_path / name / "results.json").read_text()))
    for section in ("correlations", "change", "descriptives"):
        assert docs[0][section] == docs[1][section]
    assert all(r["ci_method"].startswith("bootstrap") for r in docs[0]["correlations"])
    assert all(r["ci_low"] is not None for r in docs[0]["correlations"])


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (('alliance.total@prep"]', 'alliance.totl@prep"]'), "did you mean alliance.total@prep"),
        (('adjust = "none"', 'adjust = "bonferoni"'), "analysis.adjust"),
        (("confidence_level = 0.95", "confidence_level = 1.5"), "analysis.confidence_level"),
        (('responses = "responses.csv"', 'responses = "nothere.csv"'), "nothere.csv"),
    ],
)
def test_plan_errors_exit_2(tmp_path: Path, edit: tuple[str, str], needle: str) -> None:
    study = write_study(tmp_path / "study")
    text = study.read_text()
    assert edit[0] in text
    study.write_text(text.replace(edit[0], edit[1], 1))
    result = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
