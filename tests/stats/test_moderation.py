"""Moderation (PROCESS model 1) against printed PROCESS output and statsmodels.

``tests/reference/process_model1.json`` holds the printed output of PROCESS for SPSS 2.16.3
(Hayes), model 1 with HC3 standard errors, on the 1,000 cases of
``tests/reference/process_model1.csv``; provenance in the JSON. Everything PROCESS prints is
compared at its printed precision (4 decimals): R², MSE, the model F, the interaction's
coefficient and test, the R² increase with its F, the conditional effects at −1 SD, the mean
and +1 SD, and the uncentred coefficients, which are the slopes at w = 0 of the centred model.

statsmodels ``OLS`` on the mean-centred design is the oracle at rtol 1e-10 (classical and
HC3). The Johnson–Neyman boundaries are checked as roots of t(θ(w)) = ±t_crit at 1e-8, and
against ``scipy.optimize.brentq`` on the same equation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, stats

from patalliance.stats.moderation import moderation
from patalliance.status import Status

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
PROCESS = json.loads((REF_DIR / "process_model1.json").read_text("utf-8"))
DATA = pd.read_csv(REF_DIR / "process_model1.csv")
PRINTED = 5e-5  # half a unit of PROCESS's 4th printed decimal
RTOL = 1e-10


@pytest.fixture(scope="module")
def process_fit():  # type: ignore[no-untyped-def]
    return moderation(DATA["x"], DATA["m"], DATA["y"], names=("x", "m", "y", ()), se_type="hc3")


def test_model_summary_matches_printed_process_output(process_fit) -> None:  # type: ignore[no-untyped-def]
    summary = PROCESS["model_summary"]
    fit = process_fit.model
    assert fit.n == 1000 and fit.se_type == "hc3"
    assert_allclose(np.sqrt(fit.r2), summary["R"], atol=PRINTED)
    assert_allclose(fit.r2, summary["R-sq"], atol=PRINTED)
    # PROCESS's MSE is the residual variance, SSE / df2, with SSE = (1 - R²) SST.
    resid_var = (1 - fit.r2) * np.var(DATA["y"], ddof=1) * (len(DATA) - 1) / fit.f_df2
    assert_allclose(resid_var, summary["MSE"], atol=PRINTED)
    assert_allclose(fit.f, summary["F"], atol=PRINTED)  # HC3 Wald F, as PROCESS prints it
    assert (fit.f_df1, fit.f_df2) == (summary["df1"], summary["df2"])


def test_interaction_and_r2_increase_match_process(process_fit) -> None:  # type: ignore[no-untyped-def]
    b3 = process_fit.model.coefficient("x×m")
    printed = PROCESS["uncentred_coefficients"]["int_1"]
    assert_allclose([b3.estimate, b3.se, b3.t, b3.p, b3.ci_low, b3.ci_high], printed, atol=PRINTED)
    inc = PROCESS["r2_increase"]
    assert_allclose(process_fit.r2_change, inc["R2-chng"], atol=PRINTED)
    assert_allclose(process_fit.f_change, inc["F"], atol=PRINTED)
    assert (process_fit.f_change_df1, process_fit.f_change_df2) == (inc["df1"], inc["df2"])


def test_conditional_effects_match_process(process_fit) -> None:  # type: ignore[no-untyped-def]
    rows = PROCESS["conditional_effects"]["rows"]
    assert [s.at for s in process_fit.slopes] == ["-1 SD", "mean", "+1 SD"]
    for slope, row in zip(process_fit.slopes, rows, strict=True):
        got = [slope.w_value, slope.estimate, slope.se, slope.t, slope.p, slope.ci_low]
        assert_allclose([*got, slope.ci_high], row, atol=PRINTED)


def test_uncentred_x_coefficient_is_the_slope_at_w_zero(process_fit) -> None:  # type: ignore[no-untyped-def]
    """PROCESS 2 does not centre: its x row is the slope of x at m = 0."""
    est, t = process_fit.slope_at(np.array([0.0]))
    coeff, _se, t_printed, *_ = PROCESS["uncentred_coefficients"]["x"]
    assert_allclose([est[0], t[0]], [coeff, t_printed], atol=PRINTED)


def _centred_reference(cov_type: str) -> sm.regression.linear_model.RegressionResultsWrapper:
    xc = DATA["x"] - DATA["x"].mean()
    wc = DATA["m"] - DATA["m"].mean()
    exog = sm.add_constant(np.column_stack([xc, wc, xc * wc]))
    return sm.OLS(DATA["y"].to_numpy(), exog).fit(cov_type=cov_type, use_t=True)


@pytest.mark.parametrize(("se_type", "cov_type"), [("classical", "nonrobust"), ("hc3", "HC3")])
def test_centred_model_matches_statsmodels(se_type: str, cov_type: str) -> None:
    res = moderation(DATA["x"], DATA["m"], DATA["y"], se_type=se_type)  # type: ignore[arg-type]
    ref = _centred_reference(cov_type)
    table = res.model.to_frame()
    for col, expected in (("estimate", ref.params), ("se", ref.bse), ("t", ref.tvalues)):
        assert_allclose(table[col], expected, rtol=RTOL)
    assert_allclose(table["p"][:3], ref.pvalues[:3], rtol=RTOL)
    assert_allclose(res.model.r2, ref.rsquared, rtol=RTOL)
    assert_allclose(res.model.f, float(ref.fvalue), rtol=RTOL)
    # A simple slope is a linear combination of the coefficients: statsmodels t_test.
    for slope in res.slopes:
        u = slope.w_value - DATA["m"].mean()
        tt = ref.t_test(np.array([[0.0, 1.0, 0.0, u]]))
        assert_allclose(slope.estimate, float(tt.effect[0]), rtol=RTOL)
        assert_allclose(slope.se, float(tt.sd[0, 0]), rtol=RTOL)
        assert_allclose(slope.p, float(tt.pvalue), rtol=1e-8, atol=1e-300)


def test_johnson_neyman_boundaries_are_roots_of_t_equals_t_crit() -> None:
    res = moderation(DATA["x"], DATA["m"], DATA["y"], se_type="hc3")
    crit = stats.t.ppf(0.975, res.model.f_df2)
    assert_allclose(res.t_crit, crit, rtol=1e-12)
    assert len(res.jn_boundaries) == 2
    _, t = res.slope_at(np.array(res.jn_boundaries))
    assert_allclose(np.abs(t), crit, atol=1e-8)
    # Independently: bracket each sign change of |t| - t_crit on a grid and solve with brentq.
    grid = np.linspace(-4, 4, 4001)
    gap = np.abs(res.slope_at(grid)[1]) - crit
    brackets = np.flatnonzero(np.diff(np.sign(gap)))
    roots = [
        optimize.brentq(
            lambda w: abs(res.slope_at(np.array([w]))[1][0]) - crit, grid[i], grid[i + 1],
            xtol=1e-14,
        )
        for i in brackets
    ]  # fmt: skip
    assert_allclose(sorted(roots), res.jn_boundaries, atol=1e-8)
    assert res.jn_method.startswith("closed-form roots")


def test_johnson_neyman_with_small_sample_and_covariate() -> None:
    rng = np.random.default_rng(4)
    n = 30
    x, w, c = rng.normal(size=n), rng.uniform(0, 100, n), rng.normal(size=n)
    y = 0.2 * x + 0.02 * x * (w - 50) + 0.5 * c + rng.normal(size=n)
    res = moderation(x, w, y, c, names=("x", "w", "y", ("c",)))
    assert res.se_type == "hc3"  # auto below 50 cases
    xc, wc = x - x.mean(), w - w.mean()
    ref = sm.OLS(y, sm.add_constant(np.column_stack([xc, wc, xc * wc, c]))).fit(cov_type="HC3")
    assert_allclose(res.model.to_frame()["se"], ref.bse, rtol=RTOL)
    for b in res.jn_boundaries:
        _, t = res.slope_at(np.array([b]))
        assert_allclose(abs(t[0]), res.t_crit, rtol=1e-8)


def test_categorical_moderator_slopes_per_level_match_statsmodels() -> None:
    rng = np.random.default_rng(9)
    n = 40
    arm = rng.choice(["delayed", "immediate"], n)
    x = rng.normal(30, 5, n)
    y = 20 - 0.1 * x - 0.4 * x * (arm == "immediate") + rng.normal(0, 3, n)
    arm_cells: list[object] = list(arm)
    arm_cells[3] = None  # missing moderator: left out and counted
    res = moderation(x, arm_cells, y, names=("alliance", "arm", "hamd", ()), se_type="classical")
    assert res.w_type == "categorical" and res.w_levels == ("delayed", "immediate")
    assert res.model.n == n - 1 and res.model.n_excluded == 1
    assert res.jn_boundaries == ()
    keep = np.arange(n) != 3
    for slope in res.slopes:
        sel = keep & (arm == slope.at)
        # Within one level the slope is the same line as the interaction model's: fit the
        # full model with that level as the reference and read the x coefficient.
        d = (arm[keep] != slope.at).astype(float)
        xc = x[keep] - x[keep].mean()
        ref = sm.OLS(y[keep], sm.add_constant(np.column_stack([xc, d, xc * d]))).fit()
        assert_allclose(slope.estimate, ref.params[1], rtol=RTOL)
        assert_allclose(slope.se, ref.bse[1], rtol=RTOL)
        assert sel.sum() > 0


def test_not_estimable_model_gives_no_slopes() -> None:
    res = moderation([1.0, 2.0, 3.0], [1.0, 5.0, 2.0], [3.0, 1.0, 2.0])
    assert res.status == Status.NOT_ESTIMABLE and res.slopes == ()


def test_mismatched_lengths_name_the_parameters() -> None:
    with pytest.raises(ValueError, match="same length"):
        moderation([1.0, 2.0], [1.0, 2.0, 3.0], [1.0, 2.0])


def test_three_level_moderator_matches_statsmodels() -> None:
    """Two indicators and two products: the R² change F is statsmodels' F test of both
    product coefficients, and each level's slope is the x coefficient with that level as the
    reference."""
    rng = np.random.default_rng(21)
    n = 60
    site = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n)
    y = x * (site == "b") - x * (site == "c") + rng.normal(size=n)
    res = moderation(x, list(site), y, names=("x", "site", "y", ()), se_type="classical")
    assert res.w_levels == ("a", "b", "c") and res.f_change_df1 == 2
    xc = x - x.mean()

    def fit(ref: str) -> sm.regression.linear_model.RegressionResultsWrapper:
        others = [lev for lev in ("a", "b", "c") if lev != ref]
        d = np.column_stack([(site == lev).astype(float) for lev in others])
        return sm.OLS(y, sm.add_constant(np.column_stack([xc, d, d * xc[:, None]]))).fit()

    full = fit("a")
    assert_allclose(res.model.r2, full.rsquared, rtol=RTOL)
    ftest = full.f_test(np.eye(6)[4:])
    assert_allclose(res.f_change, float(np.squeeze(ftest.fvalue)), rtol=1e-9)
    reduced = sm.OLS(y, sm.add_constant(np.column_stack([xc, full.model.exog[:, 2:4]]))).fit()
    assert_allclose(res.r2_change, full.rsquared - reduced.rsquared, rtol=1e-9)
    for slope in res.slopes:
        ref = fit(slope.at)
        assert_allclose([slope.estimate, slope.se], [ref.params[1], ref.bse[1]], rtol=RTOL)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(12, 80),
    se_type=st.sampled_from(["hc3", "classical"]),
    level=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_every_jn_boundary_solves_t_equals_t_crit(
    seed: int, n: int, se_type: str, level: float
) -> None:
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=n)
    y = rng.normal() * x * w + rng.normal() * x + rng.normal(size=n)
    res = moderation(x, w, y, se_type=se_type, confidence_level=level)  # type: ignore[arg-type]
    assume(res.status == Status.OK)
    assert_allclose(res.t_crit, stats.t.ppf(0.5 + level / 2, n - 4), rtol=1e-10)
    for b in res.jn_boundaries:
        _, t = res.slope_at(np.array([b]))
        assert_allclose(abs(t[0]), res.t_crit, rtol=1e-8)
