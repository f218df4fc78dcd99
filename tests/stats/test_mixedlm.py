"""The statsmodels MixedLM wrapper (Wald z tests) against a frozen, tightly converged fit.

``tests/reference/mixedlm.json`` (made by ``tests/reference/make_mixedlm.py``) holds
statsmodels ``MixedLM(...).fit(reml=True, method=["bfgs"], gtol=1e-12)``: the REML optimum to
about 1e-9 (see ``tests/stats/test_mixed.py``). ``fit_random_intercept`` calls statsmodels'
*default* fit, which stops at scipy BFGS's default gradient tolerance (1e-5); on these data
that leaves relative errors of about 1e-6 in the estimates, SEs, z and intervals and about
5e-6 in the variance components. The tolerances below are those errors times about 20; the
p-values get a looser one because a relative error e in z moves p by about z**2 * e
(z = 4.6 here).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import fit_random_intercept
from patalliance.status import Status

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "mixedlm.json").read_text("utf-8")
)
RTOL_FIXED = 2e-5  # estimates, SEs, z, Wald intervals
RTOL_VARIANCE = 1e-4  # group and residual variances
RTOL_P = 1e-3  # p-values: the error in z amplified by about z**2


def _fit(level: float = 0.95):  # type: ignore[no-untyped-def]
    data = REFERENCE["inputs"]
    y = np.array(data["y"], dtype=float)
    exog = np.column_stack([np.ones(y.size), data["x"], data["t"]]).astype(float)
    return fit_random_intercept(
        y,
        exog,
        np.array(data["groups"]),
        names=list(data["names"]),
        focus="x",
        confidence_level=level,
    )


def test_wald_tests_match_frozen_reference() -> None:
    res = _fit()
    expected = REFERENCE["expected"]
    assert res.status is Status.OK and res.converged
    assert (res.n_obs, res.n_groups) == (expected["n_obs"], expected["n_groups"])
    assert [f.term for f in res.fixed_effects] == REFERENCE["inputs"]["names"]
    for field, key in [("estimate", "estimate"), ("se", "se"), ("z", "z")]:
        got = [getattr(f, field) for f in res.fixed_effects]
        assert_allclose(got, expected[key], rtol=RTOL_FIXED, err_msg=field)
    assert_allclose([f.p for f in res.fixed_effects], expected["p"], rtol=RTOL_P)
    assert_allclose(res.group_variance, expected["group_variance"], rtol=RTOL_VARIANCE)
    assert_allclose(res.residual_variance, expected["residual_variance"], rtol=RTOL_VARIANCE)


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_wald_intervals_match_frozen_reference(level: float) -> None:
    res = _fit(level)
    expected = REFERENCE["expected"]["intervals"][str(level)]
    assert_allclose([f.ci_low for f in res.fixed_effects], expected["ci_low"], rtol=RTOL_FIXED)
    assert_allclose([f.ci_high for f in res.fixed_effects], expected["ci_high"], rtol=RTOL_FIXED)


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


def test_singular_fit_is_a_warning() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 2)
    x = rng.normal(size=20)
    y = x + rng.normal(size=20)  # no cluster effect: variance on the boundary
    res = fit_random_intercept(
        y,
        np.column_stack([np.ones(20), x]),
        groups,
        names=["Intercept", "x"],
        focus="x",
        n_boot=5,
        rng=np.random.default_rng(1),
    )
    assert res.status == "ok"
    assert res.warnings  # boundary/convergence problems are recorded, not raised


def test_facilitator_random_intercept_matches_statsmodels() -> None:
    import statsmodels.api as sm

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
    assert res.converged and not res.warnings
    assert_allclose([f.estimate for f in res.fixed_effects], ref.fe_params, rtol=1e-6)
    assert_allclose([f.se for f in res.fixed_effects], ref.bse_fe, rtol=1e-6)
    too_few = fit_random_intercept(y[:8], exog[:8], fac[:8], names=["Intercept", "x"], focus="x")
    assert too_few.status == "not_estimable"
