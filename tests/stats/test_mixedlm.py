"""stats.mixedlm: the random-intercept model with Satterthwaite t tests and honest statuses.

- the sleepstudy data against lmerTest's printed output (tests/data/sleepstudy; the values
  are quoted in tests/stats/test_lmm.py);
- the frozen, tightly converged statsmodels fit of ``tests/reference/mixedlm.json``
  (``tests/reference/make_mixedlm.py``): the fixed effects and variance components agree
  with the exact profiled REML to the optimizer's tolerance;
- every p equals 2·t.sf(|t|, df) and every interval is the t interval on the same df;
- a fit at the boundary is ``singular`` and equals ordinary least squares (statsmodels OLS);
- a fit no method makes converge is ``not_converged``; degenerate designs are
  ``not_estimable``; no raw library warning is in a note.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import fit_random_intercept
from patalliance.stats import mixedlm as mixedlm_module
from patalliance.status import Status

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "reference" / "mixedlm.json").read_text("utf-8"))


def _fit(level: float = 0.95):  # type: ignore[no-untyped-def]
    data = REFERENCE["inputs"]
    y = np.array(data["y"], dtype=float)
    exog = np.column_stack([np.ones(y.size), data["x"], data["t"]]).astype(float)
    return fit_random_intercept(
        y, exog, np.array(data["groups"]), names=list(data["names"]), focus="x",
        confidence_level=level,
    )  # fmt: skip


def test_sleepstudy_matches_lmertest() -> None:
    sleep = pd.read_csv(ROOT / "data" / "sleepstudy" / "sleepstudy.csv")
    x = np.column_stack([np.ones(len(sleep)), sleep["Days"]])
    res = fit_random_intercept(
        sleep["Reaction"].to_numpy(), x, sleep["Subject"].to_numpy(),
        names=["(Intercept)", "Days"], focus="Days",
    )  # fmt: skip
    assert res.status is Status.OK and res.df_method == "Satterthwaite"
    assert (round(res.group_variance, 1), round(res.residual_variance, 1)) == (1378.2, 960.5)
    effects = res.fixed_effects
    assert [round(f.estimate, 4) for f in effects] == [251.4051, 10.4673]
    assert [round(f.se, 4) for f in effects] == [9.7467, 0.8042]
    assert [round(f.df, 4) for f in effects] == [22.8102, 161.0]
    assert [round(f.t, 2) for f in effects] == [25.79, 13.02]
    assert all(f.p < 2e-16 for f in effects)


def test_estimates_match_the_frozen_statsmodels_fit() -> None:
    res = _fit()
    expected = REFERENCE["expected"]
    assert res.status is Status.OK and res.converged
    assert (res.n_obs, res.n_groups) == (expected["n_obs"], expected["n_groups"])
    assert [f.term for f in res.fixed_effects] == REFERENCE["inputs"]["names"]
    # the frozen fit is the REML optimum to about 1e-9; the exact profile finds it too.
    assert_allclose([f.estimate for f in res.fixed_effects], expected["estimate"], rtol=1e-7)
    assert_allclose(res.group_variance, expected["group_variance"], rtol=1e-6)
    assert_allclose(res.residual_variance, expected["residual_variance"], rtol=1e-6)


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_p_values_and_intervals_use_the_reported_df(level: float) -> None:
    res = _fit(level)
    assert res.confidence_level == level
    for f in res.fixed_effects:
        assert np.isfinite(f.df) and f.df > 0
        assert f.t == pytest.approx(f.estimate / f.se, rel=1e-12)
        assert f.p == pytest.approx(2 * stats.t.sf(abs(f.t), f.df), rel=1e-10)
        crit = stats.t.ppf(0.5 + level / 2, f.df)
        assert_allclose([f.ci_low, f.ci_high], [f.estimate - crit * f.se, f.estimate + crit * f.se])
        assert f.p_z == pytest.approx(2 * stats.norm.sf(abs(f.z)), rel=1e-10)


def test_singular_fit_is_ordinary_regression() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 2)
    x = rng.normal(size=20)
    e = rng.normal(size=20)
    e -= np.repeat(e.reshape(10, 2).mean(axis=1), 2)  # no cluster effect at all
    y = x + e  # so the between-cluster variance is estimated at the boundary
    exog = np.column_stack([np.ones(20), x])
    res = fit_random_intercept(
        y, exog, groups, names=["Intercept", "x"], focus="x", n_boot=5,
        rng=np.random.default_rng(1),
    )  # fmt: skip
    assert res.status is Status.SINGULAR and res.group_variance == 0.0
    assert res.warnings[0].code == "mixed_singular"
    ols = sm.OLS(y, exog).fit()
    assert_allclose([f.estimate for f in res.fixed_effects], ols.params, rtol=1e-10)
    assert_allclose([f.se for f in res.fixed_effects], ols.bse, rtol=1e-10)
    assert_allclose([f.p for f in res.fixed_effects], ols.pvalues, rtol=1e-8)
    assert all(f.df == ols.df_resid for f in res.fixed_effects)


def test_not_converged_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    """When neither the exact profile nor statsmodels converges, the status says so."""
    from patalliance.stats.mixed import RandomInterceptFit

    real = mixedlm_module.reml_random_intercept

    def not_converged(*args, **kwargs):  # type: ignore[no-untyped-def]
        fit = real(*args, **kwargs)
        return RandomInterceptFit(**{**fit.__dict__, "converged": False})

    def statsmodels_fails(y, exog, codes):  # type: ignore[no-untyped-def]
        return mixedlm_module._Variance(2.0, 3.0, False, "REML (statsmodels MixedLM)")

    monkeypatch.setattr(mixedlm_module, "reml_random_intercept", not_converged)
    monkeypatch.setattr(mixedlm_module, "_statsmodels_variance", statsmodels_fails)
    res = _fit()
    assert res.status is Status.NOT_CONVERGED and not res.converged
    assert any(n.code == "mixed_not_converged" for n in res.warnings)


def test_fallback_to_statsmodels_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    from patalliance.stats.mixed import RandomInterceptFit

    real = mixedlm_module.reml_random_intercept

    def not_converged(*args, **kwargs):  # type: ignore[no-untyped-def]
        fit = real(*args, **kwargs)
        return RandomInterceptFit(**{**fit.__dict__, "converged": False})

    monkeypatch.setattr(mixedlm_module, "reml_random_intercept", not_converged)
    res = _fit()
    assert res.status is Status.OK and "statsmodels" in res.estimator
    assert any(n.code == "mixed_refit" for n in res.warnings)
    expected = REFERENCE["expected"]
    assert_allclose([f.estimate for f in res.fixed_effects], expected["estimate"], rtol=1e-4)


def test_degenerate_models_give_messages_not_errors() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(2), 3)
    y = rng.normal(size=6)
    exog = np.column_stack([np.ones(6), rng.normal(size=6)])
    res = fit_random_intercept(y, exog, groups, names=["Intercept", "x"], focus="x")
    assert res.status == "not_estimable" and "too few" in res.reason
    groups = np.repeat(np.arange(6), 3)
    exog = np.column_stack([np.ones(18), np.full(18, 2.0)])
    res = fit_random_intercept(
        rng.normal(size=18), exog, groups, names=["Intercept", "x"], focus="x"
    )
    assert res.status == "not_estimable" and "x constant" in res.reason


def test_facilitator_model_matches_statsmodels_estimates() -> None:
    rng = np.random.default_rng(8)
    fac = np.repeat(np.arange(6), 4)
    x = rng.normal(45, 6, 24)
    y = 30 - 0.4 * x + rng.normal(0, 5, 6)[fac] + rng.normal(0, 3, 24)
    exog = np.column_stack([np.ones(24), x])
    res = fit_random_intercept(
        y, exog, fac, names=["Intercept", "x"], focus="x", groups_name="facilitator"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = sm.MixedLM(y, exog, groups=fac).fit(reml=True)
    assert res.status is Status.OK and not res.warnings
    assert_allclose([f.estimate for f in res.fixed_effects], ref.fe_params, rtol=1e-5)
    assert_allclose(res.group_variance, float(np.asarray(ref.cov_re)[0, 0]), rtol=1e-4)
    for note in res.warnings:
        assert "Warning" not in note.message and "mle_retvals" not in note.message
    too_few = fit_random_intercept(y[:8], exog[:8], fac[:8], names=["Intercept", "x"], focus="x")
    assert too_few.status == "not_estimable"
