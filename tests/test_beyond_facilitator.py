"""ICC(1) by facilitator against pingouin.intraclass_corr, and degenerate cluster structures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
from numpy.testing import assert_allclose

from patalliance.analysis.facilitator import cluster_warnings
from patalliance.stats import fit_random_intercept, icc1


def test_icc1_matches_pingouin_balanced() -> None:
    rng = np.random.default_rng(4)
    a, k = 6, 4
    effect = np.repeat(rng.normal(0, 1.0, a), k)
    values = 40 + effect + rng.normal(0, 1.5, a * k)
    fac = np.repeat([f"F{i}" for i in range(a)], k)
    res = icc1(values, fac)
    long = pd.DataFrame({"target": fac, "rater": np.tile(np.arange(k), a), "score": values})
    with warnings.catch_warnings():  # pingouin 0.7 uses an inplace= that pandas 3 deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")
    row = ref.set_index("Type").loc["ICC(1,1)"]
    assert_allclose([res.icc, res.f, res.p], [row["ICC"], row["F"], row["pval"]], rtol=1e-8)
    assert_allclose([res.ci_low, res.ci_high], row["CI95"], atol=0.005)  # pingouin rounds to 2 dp
    assert res.n == a * k and res.k0 == k and res.n_singletons == 0


def test_single_facilitator_and_singletons_give_messages() -> None:
    one = icc1([1.0, 2, 3, 4], ["F1"] * 4, cluster_name="facilitator")
    assert one.status == "not_estimable" and "1 facilitator(s)" in one.reason
    assert any("only 1 facilitator" in w for w in cluster_warnings(np.array([4])))
    single = icc1([1.0, 2, 3, 4, 5], ["A", "A", "B", "B", "C"])
    assert single.status == "ok" and single.n_singletons == 1
    assert any("single participant" in w for w in cluster_warnings(np.array([2, 2, 1])))


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
