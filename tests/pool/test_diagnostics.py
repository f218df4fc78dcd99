"""Diagnostics (``patalliance.pool.diagnostics``): Egger's test against statsmodels OLS,
leave-one-out against refits by hand, and the subgroup test against its formula."""

from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.pool.diagnostics import egger_test, leave_one_out, subgroup_analysis
from patalliance.pool.model import random_effects
from patalliance.status import Status

RNG = np.random.default_rng(20240314)
Y = RNG.normal(0.5, 0.4, 12)
SE = RNG.uniform(0.1, 0.5, 12)


def test_egger_matches_statsmodels_ols() -> None:
    res = egger_test(Y, SE, confidence_level=0.9)
    ols = sm.OLS(Y / SE, sm.add_constant(1 / SE)).fit()
    assert res.status == Status.OK and res.k == 12 and res.df == 10
    assert_allclose([res.intercept, res.slope], ols.params, rtol=1e-10)
    assert_allclose(res.intercept_se, ols.bse[0], rtol=1e-10)
    assert_allclose(res.t, ols.tvalues[0], rtol=1e-10)
    assert_allclose(res.p, ols.pvalues[0], rtol=1e-10)
    assert_allclose([res.ci_low, res.ci_high], ols.conf_int(alpha=0.1)[0], rtol=1e-10)


def test_egger_needs_ten_studies_and_says_why() -> None:
    res = egger_test(Y[:9], SE[:9])
    assert res.status == Status.NOT_ESTIMABLE and math.isnan(res.p)
    assert "at least 10 studies (k = 9)" in res.reason
    assert res.to_frame()["status"].iloc[0] == "not_estimable"


def test_leave_one_out_equals_refits() -> None:
    ids = [f"s{i}" for i in range(12)]
    loo = leave_one_out(Y, SE, ids, measure="g", method="DL")
    assert [r.omitted for r in loo.records] == ids
    for i, rec in enumerate(loo.records):
        keep = np.arange(12) != i
        fit = random_effects(Y[keep], SE[keep], method="DL")
        assert rec.k == 11
        assert_allclose([rec.estimate, rec.ci_low, rec.ci_high, rec.tau2],
                        [fit.estimate, fit.ci_low, fit.ci_high, fit.tau2])  # fmt: skip
    assert len(loo.to_frame()) == 12
    assert leave_one_out(Y[:2], SE[:2], ids[:2], measure="g").records == ()


def test_leave_one_out_back_transforms_correlations() -> None:
    z = np.arctanh([0.3, 0.5, 0.4, 0.2])
    se = 1 / np.sqrt(np.array([40, 50, 60, 70]) - 3)
    loo = leave_one_out(z, se, list("abcd"), measure="r")
    fit = random_effects(z[1:], se[1:])
    assert_allclose(loo.records[0].estimate, math.tanh(fit.estimate))


def test_subgroups_by_hand() -> None:
    groups = ["a"] * 5 + ["b"] * 6 + ["c"]
    res = subgroup_analysis(Y, SE, groups, measure="g", method="REML", column="design")
    assert [g.subgroup for g in res.groups] == ["a", "b", "c"]
    fa = random_effects(Y[:5], SE[:5])
    fb = random_effects(Y[5:11], SE[5:11])
    mus = np.array([fa.estimate, fb.estimate, Y[11]])
    w = 1 / np.array([fa.se, fb.se, SE[11]]) ** 2
    q_b = w @ (mus - w @ mus / w.sum()) ** 2
    assert_allclose(res.q_between, q_b)
    assert res.df == 2 and res.column == "design"
    assert_allclose(res.p, stats.chi2.sf(q_b, 2))
    assert res.groups[2].note == "single study" and res.groups[2].k == 1


def test_one_subgroup_is_not_estimable() -> None:
    res = subgroup_analysis(Y[:4], SE[:4], ["x"] * 4, measure="g")
    assert res.status == Status.NOT_ESTIMABLE and "at least 2 subgroups" in res.reason
