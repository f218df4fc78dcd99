"""analysis.mixed: the longitudinal models against statsmodels MixedLM fitted directly on the
same long data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.analysis.mixed import run_mixed_models
from patalliance.pipeline import prepare

MIXED = """
[[analysis.mixed_models]]
outcome = "depression.total"
timepoints = ["post1w", "fu4w"]
predictors = ["alliance.total@prep", "alliance.total@post1w"]
baseline = "depression.total@baseline"
n_boot = 25
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from conftest import make_participants, make_responses

    path = write_study(
        tmp_path_factory.mktemp("mixed") / "s",
        make_responses(n=30, seed=11),
        make_participants(30),
        analysis_extra=MIXED,
    )
    return prepare(path)


def test_matches_statsmodels_formula_fit(prepared) -> None:  # type: ignore[no-untyped-def]
    out = run_mixed_models(prepared.study, prepared.table).to_list()
    assert len(out) == 2
    vals = prepared.table.values
    for rec, pred in zip(out, ["alliance.total@prep", "alliance.total@post1w"], strict=True):
        long = pd.concat(
            [
                pd.DataFrame(
                    {
                        "pid": vals.index,
                        "time": tp,
                        "y": vals[f"depression.total@{tp}"],
                        "a": vals[pred],
                        "b": vals["depression.total@baseline"],
                    }
                )
                for tp in ["post1w", "fu4w"]
            ]
        ).dropna()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = smf.mixedlm(
                "y ~ C(time, levels=['post1w', 'fu4w']) + a + b", long, groups=long["pid"]
            ).fit(reml=True)
        assert rec["n_obs"] == len(long) and rec["n_groups"] == long["pid"].nunique()
        assert rec["inference"] == "t" and rec["status"] in {"ok", "singular"}
        est = [f["estimate"] for f in rec["fixed_effects"]]
        assert_allclose(est, ref.fe_params.to_numpy(), rtol=1e-4, atol=1e-6)
        for f in rec["fixed_effects"]:
            assert f["p"] == pytest.approx(2 * stats.t.sf(abs(f["t"]), f["df"]), rel=1e-10)
        if rec["status"] == "ok":
            assert rec["df_method"] == "Satterthwaite"
            assert_allclose(rec["group_variance"], float(np.asarray(ref.cov_re)[0, 0]), rtol=1e-3)
        assert rec["effect"] == est[2] and rec["effect_df"] == rec["fixed_effects"][2]["df"]
        assert rec["n_boot_valid"] > 0
        assert rec["boot_ci_low"] <= rec["effect"] <= rec["boot_ci_high"]


def test_bootstrap_is_reproducible(prepared) -> None:  # type: ignore[no-untyped-def]
    a = run_mixed_models(prepared.study, prepared.table).to_list()
    b = run_mixed_models(prepared.study, prepared.table).to_list()
    assert [r["boot_ci_low"] for r in a] == [r["boot_ci_low"] for r in b]
