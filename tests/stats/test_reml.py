"""stats.reml (exact REML with correlated random effects) against outside values.

1. The sleepstudy data (Belenky et al. 2003, distributed with lme4; tests/data/sleepstudy),
   ``lmer(Reaction ~ Days + (Days | Subject), sleepstudy)``: lme4 prints
   ``REML criterion at convergence: 1743.6`` (D. Barr, *Linear mixed-effects models*,
   University of Glasgow course slides, 2023,
   https://dalejbarr.github.io/stat-models-2023/slides/05_lmms_1/).
2. statsmodels ``MixedLM`` by REML, converged tightly (tests/reml_oracle.py), on the
   sleepstudy data and on simulated data sets: balanced, unbalanced (missing occasions,
   uneven times), with arm terms, a random quadratic (q = 3): variance components, residual
   variance and fixed effects to 1e-6.
3. The REML criterion computed densely with numpy (patalliance.stats.lmm.reml_criterion, an
   independent route: full V per group, no Woodbury identity, no pooling) is never larger at
   our estimates than at statsmodels' fits (every optimizer), including a singular data set
   where statsmodels' optimizers disagree; and its finite-difference gradient vanishes there.
4. With a random intercept only (q = 1), the exact profiled REML of
   patalliance.stats.mixed (a different algorithm: a search over one variance ratio) to 1e-9.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from reml_oracle import statsmodels_reml
from statsmodels.regression.mixed_linear_model import MixedLM

from patalliance.stats.lmm import MixedDesign, reml_criterion
from patalliance.stats.mixed import reml_random_intercept
from patalliance.stats.reml import reml_random_effects

DATA = Path(__file__).resolve().parents[1] / "data" / "sleepstudy" / "sleepstudy.csv"


def _printed(value: float, decimals: int) -> float:
    return round(float(value), decimals)


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    return pd.read_csv(DATA)


def _trial(seed: int, n: int, *, missing: float, uneven: bool, cov: list[list[float]]):  # type: ignore[no-untyped-def]
    """Long data with random intercepts and slopes: (y, exog with arm terms, exog_re, groups)."""
    rng = np.random.default_rng(seed)
    times = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
    u = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    arm = (np.arange(n) % 2).astype(float)
    keep = rng.random((n, times.size)) >= missing
    keep[:, 0] = True
    rows, cols = np.nonzero(keep)
    t = times[cols] + (rng.uniform(-0.3, 0.3, cols.size) if uneven else 0.0)
    d = arm[rows]
    y = 5.0 + 0.4 * t + d - 0.2 * d * t + u[rows, 0] + u[rows, 1] * t
    y = y + rng.normal(0.0, 1.5, t.size)
    z = np.column_stack([np.ones(t.size), t])
    return y, np.column_stack([z, d, d * t]), z, np.array([f"P{i}" for i in rows])


def _check(fit, ref) -> None:  # type: ignore[no-untyped-def]
    assert fit.converged
    assert_allclose(fit.cov_re, np.asarray(ref.cov_re), rtol=1e-6, atol=1e-9)
    assert_allclose(fit.scale, ref.scale, rtol=1e-6)
    assert_allclose(fit.beta, np.asarray(ref.fe_params), rtol=1e-6, atol=1e-9)


def _dense_criterion(y, x, z, groups, cov, scale) -> float:  # type: ignore[no-untyped-def]
    design = MixedDesign.from_long(y, x, groups, z)
    q = cov.shape[0]
    low = [cov[a, b] for a in range(q) for b in range(a + 1)]
    return reml_criterion(design, [*low, scale])


def test_sleepstudy_matches_lme4_and_statsmodels(sleep: pd.DataFrame) -> None:
    days = sleep["Days"].to_numpy(dtype=float)
    x = np.column_stack([np.ones(days.size), days])
    fit = reml_random_effects(sleep["Reaction"], x, x, sleep["Subject"])
    assert (fit.n_obs, fit.n_groups) == (180, 18)
    assert _printed(fit.reml_criterion, 1) == 1743.6
    _check(fit, statsmodels_reml(sleep["Reaction"], x, x, sleep["Subject"]))
    # lme4's theta is the relative Cholesky factor of G / sigma^2, column by column
    lam = np.array([[fit.theta[0], 0.0], [fit.theta[1], fit.theta[2]]])
    assert_allclose(fit.scale * lam @ lam.T, fit.cov_re, rtol=1e-12)
    assert fit.theta[0] > 0 and fit.theta[2] > 0
    # the criterion printed by lme4 is lme4's REMLcrit: the dense route gives the same value
    dense = _dense_criterion(sleep["Reaction"], x, x, sleep["Subject"], fit.cov_re, fit.scale)
    assert_allclose(dense + (180 - 2) * np.log(2 * np.pi), fit.reml_criterion, rtol=1e-12)


@pytest.mark.parametrize(
    ("seed", "missing", "uneven", "cov"),
    [
        (1, 0.0, False, [[4.0, 0.3], [0.3, 0.25]]),  # balanced
        (2, 0.25, False, [[4.0, -0.6], [-0.6, 0.25]]),  # missing occasions
        (3, 0.2, True, [[1.0, 0.0], [0.0, 0.04]]),  # uneven times too
        (4, 0.1, True, [[9.0, 1.2], [1.2, 1.0]]),
    ],
)
def test_simulated_trials_match_statsmodels(
    seed: int, missing: float, uneven: bool, cov: list[list[float]]
) -> None:
    y, x, z, g = _trial(seed, 40, missing=missing, uneven=uneven, cov=cov)
    fit = reml_random_effects(y, x, z, g)
    _check(fit, statsmodels_reml(y, x, z, g))


def test_random_quadratic_matches_statsmodels() -> None:
    rng = np.random.default_rng(5)
    n, occasions = 60, 6
    cov = np.array([[4.0, 0.5, -0.1], [0.5, 1.0, 0.05], [-0.1, 0.05, 0.04]])
    u = rng.multivariate_normal(np.zeros(3), cov, size=n)
    rows, cols = np.nonzero(rng.random((n, occasions)) > 0.15)
    t = cols.astype(float)
    z = np.column_stack([np.ones(t.size), t, t**2])
    y = z @ [10.0, -0.5, 0.02] + np.einsum("nq,nq->n", z, u[rows]) + rng.normal(0, 1, t.size)
    fit = reml_random_effects(y, z, z, rows)
    assert fit.theta.shape == (6,)
    _check(fit, statsmodels_reml(y, z, z, rows))


def _all_statsmodels_criteria(y, x, z, g) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in (None, "lbfgs", "powell", "nm", "bfgs", "cg"):
            kwargs = {"reml": True} | ({"method": [method]} if method else {})
            res = MixedLM(y, x, groups=g, exog_re=z).fit(**kwargs)
            cov = np.asarray(res.cov_re)
            if np.isfinite(cov).all() and np.isfinite(res.scale):
                out.append(_dense_criterion(y, x, z, g, cov, res.scale))
    return [c for c in out if np.isfinite(c)]


@pytest.mark.parametrize("seed", [7, 20240314])
def test_criterion_is_no_worse_than_any_statsmodels_fit(seed: int) -> None:
    # On these data statsmodels' default optimizer stops at a visibly worse point.
    y, x, z, g = _trial(seed, 40, missing=0.12, uneven=True, cov=[[16.0, -0.4], [-0.4, 0.25]])
    fit = reml_random_effects(y, x, z, g)
    ours = _dense_criterion(y, x, z, g, fit.cov_re, fit.scale)
    assert ours <= min(_all_statsmodels_criteria(y, x, z, g)) + 1e-9


def test_singular_data_reach_the_boundary_optimum() -> None:
    # Pure noise around one line: no between-participant variation at all.
    rng = np.random.default_rng(1)
    t = np.tile(np.arange(5.0), 30)
    g = np.repeat(np.arange(30), 5)
    y = 3.0 + 0.5 * t + rng.normal(0.0, 1.0, t.size)
    x = np.column_stack([np.ones(t.size), t])
    fit = reml_random_effects(y, x, x, g)
    assert fit.converged
    assert np.max(np.abs(fit.cov_re)) < 1e-8 * fit.scale  # G at zero: a singular fit
    ours = _dense_criterion(y, x, x, g, fit.cov_re, fit.scale)
    assert ours <= min(_all_statsmodels_criteria(y, x, x, g)) + 1e-9
    # with G = 0 the model is OLS: the fixed effects and residual variance are OLS's
    beta, rss = np.linalg.lstsq(x, y, rcond=None)[:2]
    assert_allclose(fit.beta, beta, rtol=1e-8)
    assert_allclose(fit.scale, rss[0] / (t.size - 2), rtol=1e-8)


def test_gradient_of_the_dense_criterion_vanishes(sleep: pd.DataFrame) -> None:
    days = sleep["Days"].to_numpy(dtype=float)
    x = np.column_stack([np.ones(days.size), days])
    y, g = sleep["Reaction"].to_numpy(), sleep["Subject"].to_numpy()
    fit = reml_random_effects(y, x, x, g)
    params = np.array([fit.cov_re[0, 0], fit.cov_re[0, 1], fit.cov_re[1, 1], fit.scale])
    design = MixedDesign.from_long(y, x, g, x)
    grad = []
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-5 * abs(params[j])
        up = reml_criterion(design, params + step)
        down = reml_criterion(design, params - step)
        grad.append((up - down) / (2 * step[j]) * abs(params[j]))  # per relative change
    assert np.max(np.abs(grad)) < 1e-6
    # moving the intercept variance by 0.01 (lme4 prints 612.10 or 612.09 by version)
    # already gives a gradient two orders of magnitude larger
    moved = params + np.array([0.01, 0.0, 0.0, 0.0])
    step = np.array([1e-5 * params[0], 0.0, 0.0, 0.0])
    slope = reml_criterion(design, moved + step) - reml_criterion(design, moved - step)
    assert abs(slope / (2 * step[0]) * params[0]) > 100 * np.max(np.abs(grad))


def test_random_intercept_alone_is_the_exact_profile_of_stats_mixed() -> None:
    y, x, _, g = _trial(11, 50, missing=0.2, uneven=False, cov=[[4.0, 0.0], [0.0, 0.0]])
    fit = reml_random_effects(y, x, np.ones(y.size), g)
    ref = reml_random_intercept(y, x, g)
    assert fit.converged and ref.converged
    assert_allclose(fit.cov_re[0, 0], ref.sigma2_u, rtol=1e-9)
    assert_allclose(fit.scale, ref.sigma2_e, rtol=1e-9)
    assert_allclose(fit.beta, ref.beta, rtol=1e-9, atol=1e-12)


def test_invariant_to_row_order_and_to_the_unit_of_time() -> None:
    y, x, z, g = _trial(6, 30, missing=0.2, uneven=True, cov=[[4.0, 0.3], [0.3, 0.25]])
    fit = reml_random_effects(y, x, z, g)
    order = np.random.default_rng(0).permutation(y.size)
    shuffled = reml_random_effects(y[order], x[order], z[order], g[order])
    assert_allclose(shuffled.cov_re, fit.cov_re, rtol=1e-7)
    assert_allclose(shuffled.beta, fit.beta, rtol=1e-8)
    # time in days instead of months: slopes / 30, slope variance / 900, covariance / 30
    scale = np.diag([1.0, 30.0])
    days = reml_random_effects(y, x @ np.diag([1.0, 30.0, 1.0, 30.0]), z @ scale, g)
    assert_allclose(days.cov_re, fit.cov_re / np.outer([1, 30], [1, 30]), rtol=1e-6)
    assert_allclose(days.beta, fit.beta / [1.0, 30.0, 1.0, 30.0], rtol=1e-7)
    assert_allclose(days.scale, fit.scale, rtol=1e-8)


def test_bad_input_names_the_parameter() -> None:
    y, x, z, g = _trial(1, 10, missing=0.0, uneven=False, cov=[[1.0, 0.0], [0.0, 0.1]])
    with pytest.raises(ValueError, match="'y' parameter of reml_random_effects must be a finite"):
        reml_random_effects(np.where(np.arange(y.size) == 3, np.nan, y), x, z, g)
    with pytest.raises(ValueError, match=rf"'exog_re' parameter .* with {y.size} rows"):
        reml_random_effects(y, x, z[:-1], g)
    with pytest.raises(ValueError, match=r"'groups' parameter .* one label per observation"):
        reml_random_effects(y, x, z, g[:-1])
