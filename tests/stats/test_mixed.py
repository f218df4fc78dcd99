"""Vectorized REML random-intercept fits against statsmodels MixedLM and OLS (test-only oracles).

Live oracles: statsmodels ``MixedLM`` and ``OLS`` at test time. Frozen oracles in
``tests/reference/mixed.json`` (made by ``tests/reference/make_mixed.py``):

- the Rail data of Pinheiro & Bates (2000, section 1.1), whose REML estimates are closed forms
  of the one-way ANOVA mean squares (balanced data), compared at ``rtol = 1e-10``, and at 3
  decimals with the book's printed estimates;
- an unbalanced data set with two covariates fitted by statsmodels ``MixedLM`` (REML, BFGS,
  ``gtol = 1e-12``), compared at ``rtol = 1e-7``: the reference comes from an iterative
  optimizer, and two optimizers (BFGS and CG at ``gtol = 1e-12``) agree to about 1e-9 (the
  ``optimizer_spread`` stored with the values), so 1e-7 is two orders above the uncertainty
  of the reference and far below any reported digit.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from statsmodels.regression.mixed_linear_model import MixedLM

from patalliance.stats.mixed import reml_random_intercept, reml_random_intercept_batch


def _data(
    seed: int, sigma_u: float, n_groups: int = 25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unbalanced clusters (1-4 rows), a 3-level time factor, a row- and a cluster-level x."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(n_groups), rng.integers(1, 5, size=n_groups))
    n = codes.size
    time = rng.integers(0, 3, size=n)
    exog = np.column_stack(
        [np.ones(n), time == 1, time == 2, rng.normal(size=n), rng.normal(size=n_groups)[codes]]
    ).astype(float)
    u = rng.normal(0.0, sigma_u, size=n_groups)[codes]
    y = exog @ [10.0, 1.0, -0.5, 0.8, 0.3] + u + rng.normal(0.0, 1.5, size=n)
    return y, exog, codes


def _statsmodels(y: np.ndarray, exog: np.ndarray, codes: np.ndarray, **kw: object):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning (boundary), retries
        return MixedLM(y, exog, groups=codes).fit(reml=True, **kw)


# seed 3 and 5 have a true sigma_u^2 of 0 but an interior estimate
@pytest.mark.parametrize(("seed", "sigma_u"), [(2, 2.0), (3, 0.0), (4, 0.3), (5, 0.0), (6, 1.0)])
def test_matches_statsmodels_mixedlm(seed: int, sigma_u: float) -> None:
    y, exog, codes = _data(seed, sigma_u)
    # statsmodels' default tolerance moves beta by ~1e-6: converge it tightly
    ref = _statsmodels(y, exog, codes, method=["bfgs"], gtol=1e-10)
    fit = reml_random_intercept(y, exog, codes)
    assert fit.converged and fit.theta > 0 and not fit.at_boundary
    assert (fit.n_obs, fit.n_groups) == (y.size, 25)
    assert_allclose(fit.beta, ref.fe_params, rtol=1e-5, atol=1e-6)
    assert_allclose(fit.sigma2_e, ref.scale, rtol=1e-4)
    assert_allclose(fit.sigma2_u, ref.cov_re[0, 0], rtol=1e-4)
    assert_allclose(fit.se, ref.bse_fe, rtol=1e-4)
    # the expected-information (GLS) SE is a different number, never larger at an interior max
    assert np.all(fit.se_gls <= fit.se * (1 + 1e-12))


@pytest.mark.parametrize("seed", [2, 4, 6])
def test_matches_default_statsmodels_within_its_tolerance(seed: int) -> None:
    y, exog, codes = _data(seed, 1.0)
    ref = _statsmodels(y, exog, codes)
    fit = reml_random_intercept(y, exog, codes)
    assert_allclose(fit.beta, ref.fe_params, rtol=1e-4, atol=1e-5)
    assert_allclose([fit.sigma2_e, fit.sigma2_u], [ref.scale, ref.cov_re[0, 0]], rtol=1e-4)
    assert_allclose(fit.se, ref.bse_fe, rtol=1e-4)


def test_boundary_fit_matches_ols_and_statsmodels() -> None:
    # true sigma_u^2 = 0 and the REML maximum is on the boundary theta = 0, where the model
    # is ordinary regression
    y, exog, codes = _data(1, 0.0)
    fit = reml_random_intercept(y, exog, codes)
    assert fit.at_boundary and fit.sigma2_u == 0.0 and fit.converged
    ols = sm.OLS(y, exog).fit()
    assert_allclose(fit.beta, ols.params, rtol=1e-10)
    assert_allclose(fit.sigma2_e, ols.scale, rtol=1e-10)
    assert_allclose(fit.se_gls, ols.bse, rtol=1e-10)
    ref = _statsmodels(y, exog, codes)
    assert ref.cov_re[0, 0] < 1e-6 * ref.scale
    assert_allclose(fit.beta, ref.fe_params, rtol=1e-5, atol=1e-6)
    assert_allclose(fit.sigma2_e, ref.scale, rtol=1e-4)
    assert_allclose(fit.se, ref.bse_fe, rtol=1e-4)


@pytest.mark.parametrize(("seed", "sigma_u"), [(1, 0.0), (2, 2.0)])
def test_batch_equals_single_fits(seed: int, sigma_u: float) -> None:
    y, exog, codes = _data(seed, sigma_u)
    rng = np.random.default_rng(seed)
    ys = y + rng.normal(0.0, 2.0, size=(40, y.size)) * rng.uniform(0, 1, size=(40, 1))
    ys[0] = y  # for seed 1, a boundary fit
    batch = reml_random_intercept_batch(ys, exog, codes)
    assert batch.beta.shape == (40, 5) and batch.theta.shape == (40,)
    for b in range(ys.shape[0]):
        one = reml_random_intercept(ys[b], exog, codes)
        assert_allclose(batch.beta[b], one.beta, rtol=1e-10, atol=1e-10)
        assert_allclose(batch.se[b], one.se, rtol=1e-10)
        assert_allclose(
            [batch.theta[b], batch.sigma2_e[b], batch.sigma2_u[b]],
            [one.theta, one.sigma2_e, one.sigma2_u],
            rtol=1e-10,
            atol=1e-12,
        )
        assert batch.converged[b] == one.converged
    assert len(batch.to_frame()) == 40
    assert (batch.theta[0] == 0.0) == (seed == 1)


def test_group_labels_and_names() -> None:
    y, exog, codes = _data(4, 1.0)
    labels = np.array([f"p{c:02d}" for c in codes])
    fit = reml_random_intercept(y, exog, labels, names=["a", "b", "c", "d", "e"])
    assert_allclose(fit.beta, reml_random_intercept(y, exog, codes).beta, rtol=1e-12)
    frame = fit.to_frame()
    assert list(frame["term"]) == ["a", "b", "c", "d", "e"]


def test_bad_input_raises_with_the_parameter_name() -> None:
    y, exog, codes = _data(4, 1.0)
    with pytest.raises(ValueError, match="'exog' parameter"):
        reml_random_intercept(y, exog[:, [0, 0]], codes)
    with pytest.raises(ValueError, match="'y' parameter"):
        reml_random_intercept(np.where(np.arange(y.size) == 0, np.nan, y), exog, codes)
    with pytest.raises(ValueError, match="'codes' parameter"):
        reml_random_intercept_batch(y[None, :], exog, codes.astype(float))
    with pytest.raises(ValueError, match="'groups' parameter"):
        reml_random_intercept(y, exog, codes[:-1])


# ------------------------------------------------------------------ frozen reference values

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "mixed.json").read_text("utf-8")
)
# Rail: the reference is a closed form, ours an iterative root (Newton steps to 1e-13 theta).
RTOL_CLOSED_FORM = 1e-10
# Unbalanced: the reference is statsmodels' optimizer; see the module docstring.
RTOL_OPTIMIZER = 1e-7
_FIELDS = ("beta", "se", "se_gls", "sigma2_u", "sigma2_e", "theta")


def _rail() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = REFERENCE["rail"]
    y = np.array(data["y"], dtype=float)
    return y, np.ones((y.size, 1)), np.array(data["groups"])


def _unbalanced() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = REFERENCE["unbalanced"]
    y = np.array(data["y"], dtype=float)
    exog = np.column_stack([np.ones(y.size), data["x"], data["t"]]).astype(float)
    return y, exog, np.array(data["groups"])


def _check(fit, expected: dict, rtol: float) -> None:
    for field in _FIELDS:
        assert_allclose(getattr(fit, field), expected[field], rtol=rtol, err_msg=field)


def test_rail_matches_frozen_closed_form() -> None:
    fit = reml_random_intercept(*_rail(), names=["intercept"])
    assert fit.converged and not fit.at_boundary and fit.n_groups == 6 and fit.n_obs == 18
    _check(fit, REFERENCE["rail"]["expected"], RTOL_CLOSED_FORM)


def test_rail_reproduces_pinheiro_bates_2000() -> None:
    fit = reml_random_intercept(*_rail())
    published = REFERENCE["rail"]["published"]
    decimals = published["compared_decimals"]
    assert round(float(np.sqrt(fit.sigma2_u)), decimals) == published["sd_rail"]
    assert round(float(np.sqrt(fit.sigma2_e)), decimals) == published["sd_residual"]
    assert round(float(fit.beta[0]), decimals) == published["intercept"]
    assert round(float(fit.se[0]), decimals) == published["intercept_se"]


def test_unbalanced_matches_frozen_statsmodels_fit() -> None:
    assert REFERENCE["unbalanced"]["optimizer_spread"] <= RTOL_OPTIMIZER / 10
    fit = reml_random_intercept(*_unbalanced())
    assert fit.converged and fit.n_groups == 12 and fit.n_obs == 32
    _check(fit, REFERENCE["unbalanced"]["expected"], RTOL_OPTIMIZER)


def test_batch_rows_match_frozen_statsmodels_fit() -> None:
    y, exog, groups = _unbalanced()
    codes = np.unique(groups, return_inverse=True)[1]
    batch = reml_random_intercept_batch(np.vstack([y, y]), exog, codes)
    expected = REFERENCE["unbalanced"]["expected"]
    for b in range(2):
        for field in _FIELDS:
            assert_allclose(
                getattr(batch, field)[b], expected[field], rtol=RTOL_OPTIMIZER, err_msg=field
            )
