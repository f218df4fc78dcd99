"""Participants-file columns as variables (analysis.variables): numeric columns as they are,
text columns dummy-coded as covariates, and a clear error where a number is needed.

Checked against pingouin.partial_corr (numeric covariate) and statsmodels OLS residuals
(dummy-coded text covariate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from conftest import make_participants, make_responses, run_cli, write_study
from numpy.testing import assert_allclose
from scipy import stats

import patalliance as pa

PARTIAL = """
[[analysis.partial_correlations]]
family = "adjusted"
x = ["alliance.total@prep"]
y = ["depression.total@fu4w"]
covariates = ["{cov}"]
"""


def _study(tmp_path: Path, cov: str, extra: str = "") -> Path:
    participants = make_participants(20)
    rng = np.random.default_rng(4)
    participants["age"] = rng.integers(21, 65, 20).astype(str)
    participants.loc[3, "age"] = ""  # one participant without an age
    participants["sex"] = np.where(rng.random(20) < 0.5, "F", "M")
    participants["site"] = "Baltimore"
    return write_study(
        tmp_path / "s",
        make_responses(n=20, seed=9),
        participants,
        analysis_extra=PARTIAL.format(cov=cov) + extra,
    )


def test_a_numeric_participants_column_is_a_covariate(tmp_path: Path) -> None:
    study = _study(tmp_path, "age")
    res = pa.analyze(study)
    (rec,) = res.partial_correlations
    frame = res.scores.join(
        pd.read_csv(tmp_path / "s" / "participants.csv", dtype={"participant_id": str}).set_index(
            "participant_id"
        )[["age"]]
    )
    data = frame[["alliance.total@prep", "depression.total@fu4w", "age"]].dropna()
    ref = pg.partial_corr(data, x="alliance.total@prep", y="depression.total@fu4w", covar="age")
    assert rec.result.n == len(data) > 10
    assert_allclose(
        [rec.result.r, rec.result.p], [ref["r"].iloc[0], ref["p_val"].iloc[0]], rtol=1e-8
    )
    assert rec.result.covariates == ("age",)


def test_a_text_column_is_dummy_coded_as_a_covariate(tmp_path: Path) -> None:
    study = _study(tmp_path, "sex")
    res = pa.analyze(study)
    (rec,) = res.partial_correlations
    sex = pd.read_csv(tmp_path / "s" / "participants.csv", dtype=str).set_index("participant_id")[
        "sex"
    ]
    frame = res.scores.join(sex)
    data = frame[["alliance.total@prep", "depression.total@fu4w", "sex"]].dropna()
    z = sm.add_constant((data["sex"] == "M").astype(float).to_numpy())
    ex = sm.OLS(data["alliance.total@prep"].to_numpy(), z).fit().resid
    ey = sm.OLS(data["depression.total@fu4w"].to_numpy(), z).fit().resid
    r = float(np.corrcoef(ex, ey)[0, 1])
    df = len(data) - 3
    p = 2 * stats.t.sf(abs(r) * np.sqrt(df / (1 - r * r)), df)
    assert rec.result.covariates == ("sex[M]",) and rec.result.k == 1
    assert_allclose([rec.result.r, rec.result.p], [r, p], rtol=1e-8)


def test_a_numeric_participants_column_can_be_correlated(tmp_path: Path) -> None:
    extra = """
[[analysis.correlations]]
family = "age"
x = ["age"]
y = ["alliance.total@prep"]
"""
    study = _study(tmp_path, "age", extra)
    res = pa.analyze(study)
    rec = next(r for r in res.correlations if r.family == "age")
    ages = pd.read_csv(tmp_path / "s" / "participants.csv", dtype={"participant_id": str})
    both = res.scores.join(ages.set_index("participant_id")["age"])[["age", "alliance.total@prep"]]
    both = both.dropna()
    assert rec.x == "age" and rec.n == len(both)
    assert_allclose(rec.r, stats.pearsonr(both["age"], both["alliance.total@prep"]).statistic)


def test_text_where_a_number_is_needed_is_a_clear_error(tmp_path: Path) -> None:
    extra = """
[[analysis.correlations]]
family = "sex"
x = ["sex"]
y = ["alliance.total@prep"]
"""
    study = _study(tmp_path, "age", extra)
    out = run_cli("analyze", str(study), "--out", str(tmp_path / "out"), "--no-report")
    assert out.returncode == 2
    assert "analysis.correlations[" in out.stderr and "'sex' holds text" in out.stderr
    assert "Traceback" not in out.stderr
    with pytest.raises(pa.ConfigError, match="dummy-coded"):
        pa.analyze(study)


def test_a_constant_text_covariate_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(pa.ConfigError, match="'site' has a single value"):
        pa.analyze(_study(tmp_path, "site"))


def test_an_unknown_covariate_is_named(tmp_path: Path) -> None:
    with pytest.raises(pa.ConfigError, match=r"unknown variable 'agee'.*did you mean age"):
        pa.analyze(_study(tmp_path, "agee"))
