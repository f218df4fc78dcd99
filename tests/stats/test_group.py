"""Two-group statistics against frozen reference values and Newcombe's (1998) table.

``tests/reference/group.json`` (made by ``tests/reference/make_group.py``) holds Welch's t from
``scipy.stats.ttest_ind(equal_var=False)``, Cohen's d from ``pingouin.compute_effsize`` with
the exact Hedges correction and the noncentral-t interval (roots of ``scipy.stats.nct.cdf`` by
``scipy.optimize.brentq``, checked in the script against a quadrature of the noncentral-t CDF),
the ANCOVA group effect from ``statsmodels.api.OLS`` and Wilson intervals from statsmodels
``proportion_confint``. Closed forms are compared at ``rtol = 1e-10``, the noncentral-t limits
(roots of a numerically evaluated CDF) at ``1e-9``. Newcombe's (1998, Table II) published
Wilson intervals are compared at their printed 4 decimals, and the effectsize README's Cohen's d
and Hedges' g of the mtcars data with their intervals at their printed 2 decimals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from patalliance.stats import ancova, cohens_d, welch_t, wilson_interval

RTOL = 1e-10
# Roots of scipy.stats.nct.cdf(t, df, nc) - target in nc, by Brent's method here and in the
# reference: they agree to about 1e-12, see tests/stats/test_change.py.
RTOL_NCT_ROOT = 1e-9
_NCT_FIELDS = ("d_ci_low", "d_ci_high", "g_ci_low", "g_ci_high")
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "group.json").read_text("utf-8")
)
X = np.array(REFERENCE["inputs"]["x"], dtype=float)
Y = np.array(REFERENCE["inputs"]["y"], dtype=float)


def _check(res, expected: dict, skip: tuple[str, ...] = ("confidence_level",)) -> None:
    for key, value in expected.items():
        if key in skip:
            continue
        got = getattr(res, key)
        if isinstance(value, int):
            assert got == value, key
        else:
            rtol = RTOL_NCT_ROOT if key in _NCT_FIELDS else RTOL
            assert_allclose(got, value, rtol=rtol, err_msg=key)


@pytest.mark.parametrize(
    "case", REFERENCE["welch_t"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_welch_t_matches_frozen_reference(case):
    res = welch_t(X, Y, confidence_level=case["confidence_level"])
    _check(res, case)


@pytest.mark.parametrize(
    "case", REFERENCE["cohens_d"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_cohens_d_matches_frozen_reference(case):
    res = cohens_d(X, Y, confidence_level=case["confidence_level"])
    assert (res.n_x, res.n_y) == (9, 12)
    assert res.ci_method == "noncentral_t"
    _check(res, case)


def test_cohens_d_reproduces_effectsize_readme_mtcars():
    """effectsize README: cohens_d(mpg ~ am, mtcars) -1.48 [-2.27, -0.67], g -1.44 [-2.21, -0.65]."""
    block = REFERENCE["published_smd"]
    mpg = np.array(block["inputs"]["mpg"], dtype=float)
    am = np.array(block["inputs"]["am"])
    res = cohens_d(mpg[am == 0], mpg[am == 1], confidence_level=block["confidence_level"])
    for key, printed in block["printed"].items():
        assert round(getattr(res, key), block["printed_decimals"]) == printed, key
    _check(res, block["full_precision"])


@pytest.mark.parametrize(
    "case", REFERENCE["ancova"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_ancova_matches_frozen_reference(case):
    data = REFERENCE["ancova"]["inputs"]
    res = ancova(
        np.array(data["y"], dtype=float),
        np.array(data["group"], dtype=float),
        np.array(data["covariate"], dtype=float),
        confidence_level=case["confidence_level"],
    )
    _check(res, case)


@pytest.mark.parametrize(
    "case", REFERENCE["wilson_interval"]["cases"], ids=lambda c: f"{c['count']}/{c['nobs']}"
)
def test_wilson_interval_matches_frozen_reference(case):
    res = wilson_interval(case["count"], case["nobs"], confidence_level=case["confidence_level"])
    assert res.method == "wilson"
    # atol: an interval bound of exactly 0 or 1 (count = 0 or nobs) may come out as 1e-17
    # in one code and 0 in the other
    for key in ("proportion", "ci_low", "ci_high"):
        assert_allclose(getattr(res, key), case[key], rtol=RTOL, atol=1e-15, err_msg=key)


@pytest.mark.parametrize(
    "row", REFERENCE["published_wilson"]["rows"], ids=lambda r: f"{r['count']}/{r['nobs']}"
)
def test_wilson_interval_reproduces_newcombe_1998_table_ii(row):
    res = wilson_interval(row["count"], row["nobs"], confidence_level=0.95)
    decimals = REFERENCE["published_wilson"]["printed_decimals"]
    assert round(res.ci_low, decimals) == row["ci_low"]
    assert round(res.ci_high, decimals) == row["ci_high"]


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
    assert_allclose(res.d_se, se, rtol=1e-12)  # Hedges & Olkin (1985), eq. 5.15
    assert_allclose(res.g, j * d, rtol=1e-3)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_cohens_d_ci_inverts_the_noncentral_t(level) -> None:
    """Steiger & Fouladi (1997): F(t; df, lambda_L) = 1 - a/2 and F(t; df, lambda_U) = a/2."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.8, 1.0, 9), rng.normal(0.0, 1.5, 14)
    res = cohens_d(x, y, confidence_level=level)
    t = stats.ttest_ind(x, y).statistic  # Student's pooled-variance t = d sqrt(n1 n2/(n1+n2))
    df, root = 9 + 14 - 2, np.sqrt(9 * 14 / (9 + 14))
    assert_allclose(res.d * root, t, rtol=1e-12)
    alpha = 1.0 - level
    assert_allclose(stats.nct.cdf(t, df, res.d_ci_low * root), 1 - alpha / 2, atol=1e-10)
    assert_allclose(stats.nct.cdf(t, df, res.d_ci_high * root), alpha / 2, atol=1e-10)
    assert res.d_ci_low < res.d < res.d_ci_high
    j = res.hedges_correction
    assert_allclose([res.g_ci_low, res.g_ci_high], [j * res.d_ci_low, j * res.d_ci_high])
    assert res.ci_method == "noncentral_t"


def test_cohens_d_degenerate_groups_are_nan() -> None:
    one = cohens_d([1.0], [2.0, 3.0, 4.0])
    assert np.isnan(one.d) and np.isnan(one.d_ci_low) and np.isnan(one.g_ci_high)
    flat = cohens_d([2.0, 2.0, 2.0], [2.0, 2.0])  # pooled SD 0
    assert flat.sd_pooled == 0.0 and np.isnan(flat.d) and np.isnan(flat.d_ci_low)
    assert one.ci_method == flat.ci_method == "noncentral_t"


def test_cohens_d_ci_for_a_very_large_effect_is_finite() -> None:
    # t = 40 on 8 df: the bracket search must stay out of the far tails, where
    # scipy.stats.nct.cdf returns NaN.
    x = np.array([100.0, 101.0, 99.0, 100.5, 99.5])
    res = cohens_d(x, x - 25.0)
    assert np.isfinite(res.d_ci_low) and np.isfinite(res.d_ci_high)
    assert res.d_ci_low < res.d < res.d_ci_high


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


def test_welch_with_a_single_observation_or_constant_groups_is_nan() -> None:
    # One observation in a group: no variance estimate, so Welch's t is undefined (NaN, not
    # ZeroDivisionError); the means are still the plain means.
    one = welch_t([5.0, np.nan], [20.0, 22.0, 25.0])
    assert one.n_x == 1 and one.n_y == 3
    assert_allclose([one.mean_x, one.mean_y, one.mean_diff], [5.0, 67 / 3, 5.0 - 67 / 3])
    assert all(np.isnan(v) for v in (one.se, one.t, one.df, one.p, one.ci_low, one.ci_high))
    # Both groups constant: SE = 0, t undefined.
    flat = welch_t([1.0, 1.0, 1.0], [2.0, 2.0])
    assert flat.se == 0.0 and np.isnan(flat.t) and np.isnan(flat.p) and np.isnan(flat.df)
    # One group constant: by Welch-Satterthwaite, SE = s_y / sqrt(n_y) and df = n_y - 1.
    x, y = np.array([3.0, 3.0, 3.0]), np.array([1.0, 4.0, 2.0, 8.0])
    half = welch_t(x, y)
    t = (3.0 - y.mean()) / (y.std(ddof=1) / 2.0)
    assert_allclose([half.t, half.df], [t, 3.0], rtol=1e-12)
    assert_allclose(half.p, 2 * stats.t.sf(abs(t), 3), rtol=1e-12)
