"""Efficacy family: Welch t vs scipy, ANCOVA vs statsmodels OLS, d/g formulas, Wilson vs statsmodels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from patalliance.analysis.efficacy import run_efficacy
from patalliance.pipeline import prepare
from patalliance.stats.group import ancova, cohens_d, welch_t, wilson_interval

EFFICACY = """
[[analysis.efficacy]]
measure = "depression"
timepoints = ["post1w", "fu4w"]
baseline = "baseline"
treatment_arm = "immediate"
control_arm = "delayed"
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = write_study(tmp_path_factory.mktemp("eff") / "s", analysis_extra=EFFICACY)
    return prepare(path)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(8, 7, 13), rng.normal(23, 5, 11)
    res = welch_t(x, y)
    ref = stats.ttest_ind(x, y, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert_allclose(
        [res.t, res.p, res.df, res.ci_low, res.ci_high],
        [ref.statistic, ref.pvalue, ref.df, ci.low, ci.high],
        rtol=1e-10,
    )


def test_cohens_d_published_means_give_davis_effect_size() -> None:
    # Pooled-SD d from Davis et al. 2021 week-8 means/SDs: (23.5 - 8.5) / s_p = 2.569.
    sp = np.sqrt((12 * 5.7**2 + 10 * 6.0**2) / 22)
    assert_allclose(15 / sp, 2.56925, atol=1e-5)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=13), rng.normal(1, 1, 11)
    res = cohens_d(x, y)
    n1, n2 = 13, 11
    sp = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    d = (x.mean() - y.mean()) / sp
    se = np.sqrt((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))
    j = 1 - 3 / (4 * (n1 + n2 - 2) - 1)  # Hedges' approximation, accurate to ~1e-4 here
    assert_allclose(res.d, d, rtol=1e-12)
    assert_allclose(
        [res.d_ci_low, res.d_ci_high],
        [d - 1.959963984540054 * se, d + 1.959963984540054 * se],
        rtol=1e-12,
    )
    assert_allclose(res.g, j * d, rtol=1e-3)


def test_ancova_matches_statsmodels_ols() -> None:
    rng = np.random.default_rng(3)
    g = np.r_[np.ones(13), np.zeros(11)]
    base = rng.normal(22, 4, 24)
    y = 10 + 0.5 * base - 14 * g + rng.normal(0, 5, 24)
    res = ancova(y, g, base)
    fit = sm.OLS(y, sm.add_constant(np.column_stack([g, base]))).fit()
    ci = fit.conf_int()
    assert_allclose(
        [res.estimate, res.se, res.p, res.ci_low, res.ci_high],
        [fit.params[1], fit.bse[1], fit.pvalues[1], ci[1, 0], ci[1, 1]],
        rtol=1e-8,
    )


def test_ancova_constant_covariate_is_clear() -> None:
    with pytest.raises(ValueError, match="constant"):
        ancova([1.0, 2, 3, 4, 5], [1, 1, 0, 0, 0], [3.0] * 5)


@pytest.mark.parametrize(("count", "nobs"), [(0, 11), (7, 13), (13, 13), (3, 5)])
def test_wilson_matches_statsmodels(count: int, nobs: int) -> None:
    res = wilson_interval(count, nobs)
    lo, hi = proportion_confint(count, nobs, alpha=0.05, method="wilson")
    assert_allclose([res.ci_low, res.ci_high], [lo, hi], rtol=1e-10, atol=1e-14)


def test_run_efficacy_against_scipy_on_table(prepared) -> None:  # type: ignore[no-untyped-def]
    (section,) = run_efficacy(prepared.study, prepared.table)
    vals, arms = prepared.table.values, prepared.table.arms.astype(str)
    for comp in section["comparisons"]:
        y = vals[comp["variable"]]
        t, c = y[arms == "immediate"].dropna(), y[arms == "delayed"].dropna()
        ref = stats.ttest_ind(c, t, equal_var=False)  # benefit orientation: control - treatment
        assert comp["n_treatment"] == len(t) and comp["n_control"] == len(c)
        assert_allclose([comp["t"], comp["p"]], [ref.statistic, ref.pvalue], rtol=1e-10)
        assert_allclose(comp["mean_treatment"], t.mean(), rtol=1e-12)
        data = vals[[comp["variable"], "depression.total@baseline"]].assign(
            g=(arms == "immediate").astype(float)
        )
        data = data[arms.isin(["immediate", "delayed"])].dropna()
        fit = sm.OLS(
            data.iloc[:, 0], sm.add_constant(data[["g", "depression.total@baseline"]])
        ).fit()
        assert comp["adjusted_n"] == len(data)
        assert_allclose(
            [comp["adjusted_diff"], comp["adjusted_p"]],
            [-fit.params["g"], fit.pvalues["g"]],
            rtol=1e-8,
        )
    assert {r["outcome"] for r in section["rates"]} == {"response", "remission"}
    for rate in section["rates"]:
        flag = vals[f"depression.{rate['outcome']}@{rate['timepoint']}"][
            arms == rate["arm"]
        ].dropna()
        assert rate["n"] == len(flag) and rate["count"] == int(flag.sum())
    assert section["published"][1]["d_reported"] == 2.6
    assert_allclose(section["published"][1]["d_implied"], 2.56925, atol=1e-5)


def test_single_arm_is_not_estimable(tmp_path: Path) -> None:
    from conftest import make_participants

    parts = make_participants()
    parts["arm"] = "immediate"
    prepared = prepare(write_study(tmp_path / "s", participants=parts, analysis_extra=EFFICACY))
    (section,) = run_efficacy(prepared.study, prepared.table)
    assert section["status"] == "not estimable"
    assert any("delayed" in w for w in section["warnings"])
