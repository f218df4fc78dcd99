"""Paired change against scipy, pingouin, R's published example and hand computations.

Two kinds of oracle: live calls to scipy and pingouin at test time, and frozen reference values
in ``tests/reference/change.json`` (scipy.stats.ttest_rel, the Wilcoxon signed-rank test by
the rule of R's ``wilcox.test(paired = TRUE)`` written out with scipy, the noncentral-t root
found with scipy.optimize.brentq on scipy.stats.nct.cdf, and the closed forms of d_z and d_av;
made by ``tests/reference/make_change.py``). Closed forms are compared at ``rtol = 1e-10``;
the d_z interval, a root of a numerically evaluated CDF, at ``1e-9``. The Wilcoxon test is
also held to the example of R's ``?wilcox.test`` (Hollander & Wolfe depression data) and to
hand computations with ties and with zeros.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import paired_change

RTOL = 1e-10


def _data(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Alliance-like totals (WAI-SR 12-60) for 24 participants, missing at either time."""
    rng = np.random.default_rng(seed)
    before = np.round(rng.normal(48.0, 6.0, size=24))
    after = np.round(before + rng.normal(2.5, 4.0, size=24))
    before[[2, 9]] = np.nan
    after[[5, 9, 17]] = np.nan
    return before, after


def _complete(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(a) & ~np.isnan(b)
    return a[ok], b[ok]


def test_counts_and_descriptives():
    before, after = _data()
    res = paired_change(before, after)
    a, b = _complete(before, after)
    assert res.n == 20 and res.n_dropped == 4
    assert_allclose(
        [res.mean_from, res.mean_to, res.sd_from, res.sd_to, res.mean_diff],
        [a.mean(), b.mean(), a.std(ddof=1), b.std(ddof=1), (b - a).mean()],
        rtol=RTOL,
    )


@pytest.mark.parametrize("level", [0.90, 0.95])
def test_t_test_matches_scipy_ttest_rel(level):
    before, after = _data()
    res = paired_change(before, after, confidence_level=level)
    a, b = _complete(before, after)
    ref = stats.ttest_rel(b, a)
    assert_allclose(res.t, ref.statistic, rtol=RTOL)
    assert res.df == ref.df == 19
    assert_allclose(res.p, ref.pvalue, rtol=RTOL)
    ci = ref.confidence_interval(confidence_level=level)
    assert_allclose([res.diff_ci_low, res.diff_ci_high], [ci.low, ci.high], rtol=RTOL)


def test_d_z_by_definition_and_pingouin():
    before, after = _data()
    res = paired_change(before, after)
    a, b = _complete(before, after)
    d = b - a
    # Cohen (1988): d_z = mean of the differences / SD of the differences.
    assert_allclose(res.d_z, d.mean() / d.std(ddof=1), rtol=RTOL)
    oracle = pingouin.compute_effsize(b, a, paired=True, eftype="cohen_dz")
    assert_allclose(res.d_z, oracle, rtol=RTOL)


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_d_z_ci_inverts_the_noncentral_t(level):
    """Steiger & Fouladi (1997): F(t_obs; df, lambda_low) = 1 - a/2, F(...; lambda_high) = a/2."""
    before, after = _data()
    res = paired_change(before, after, confidence_level=level)
    alpha = 1.0 - level
    root_n = np.sqrt(res.n)
    assert_allclose(
        stats.nct.cdf(res.t, res.df, res.d_z_ci_low * root_n), 1.0 - alpha / 2.0, atol=1e-10
    )
    assert_allclose(stats.nct.cdf(res.t, res.df, res.d_z_ci_high * root_n), alpha / 2.0, atol=1e-10)
    assert res.d_z_ci_low < res.d_z < res.d_z_ci_high


def test_d_av_is_lakens_2013_equation_10():
    """Lakens (2013), Front Psychol 4:863, eq. 10: d_av = M_diff / ((SD_1 + SD_2) / 2)."""
    before, after = _data()
    res = paired_change(before, after)
    a, b = _complete(before, after)
    expected = (b.mean() - a.mean()) / ((a.std(ddof=1) + b.std(ddof=1)) / 2.0)
    assert_allclose(res.d_av, expected, rtol=RTOL)
    # pingouin's paired Cohen d uses the root mean square of the SDs: a different number.
    pingouin_d = pingouin.compute_effsize(b, a, paired=True, eftype="cohen")
    rms = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2.0)
    assert_allclose(pingouin_d, (b.mean() - a.mean()) / rms, rtol=RTOL)
    assert not np.isclose(res.d_av, pingouin_d, rtol=1e-6)


def _normal_cc_p(v: float, n: int, tie_sizes: list[int]) -> float:
    """Two-sided p of V: normal approximation, continuity correction, tie-corrected variance."""
    mean = n * (n + 1) / 4
    var = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in tie_sizes) / 48
    z = (abs(v - mean) - 0.5) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2.0))  # = 2 * (1 - Phi(z))


def test_wilcoxon_matches_scipy_with_r_arguments():
    """The _data() differences have ties: R's rule is the normal approximation with
    continuity correction, scipy.stats.wilcoxon(correction=True, method="asymptotic")."""
    before, after = _data()
    res = paired_change(before, after)
    a, b = _complete(before, after)
    d = b - a
    nz = d[d != 0]
    assert len(np.unique(np.abs(nz))) < nz.size  # ties
    ref = stats.wilcoxon(nz, correction=True, method="asymptotic")
    ranks = stats.rankdata(np.abs(nz))
    assert_allclose(res.wilcoxon_statistic, ranks[nz > 0].sum(), rtol=RTOL)  # R's V
    assert_allclose(res.wilcoxon_p, ref.pvalue, rtol=RTOL)
    assert res.wilcoxon_method == "normal_cc"


def test_wilcoxon_reproduces_r_example_hollander_wolfe():
    """?wilcox.test: wilcox.test(x, y, paired = TRUE, alternative = "greater") prints
    V = 40, p-value = 0.01953; the two-sided p is twice that, 20/512 exactly."""
    ref = REFERENCE["published_wilcoxon"]
    res = paired_change(ref["y"], ref["x"])  # d = x_to - x_from = x - y, as R's x - y
    assert res.wilcoxon_method == "exact"
    assert res.wilcoxon_statistic == ref["printed"]["V"] == 40.0
    assert round(res.wilcoxon_p / 2, 5) == ref["printed"]["p_greater"]
    assert_allclose(res.wilcoxon_p, 20 / 512, rtol=1e-14)
    assert res.notes == ()


def test_wilcoxon_with_ties_by_hand():
    """d = 1, 2, 2, 3, -1, 4, 2, 5: ranks of |d| 1.5, 4, 4, 6, 1.5, 7, 4, 8, so V = 34.5;
    n = 8, E(V) = 18, Var(V) = 8*9*17/24 - [(2^3 - 2) + (3^3 - 3)]/48 = 51 - 0.625."""
    x_from = np.array([10.0, 12.0, 9.0, 14.0, 11.0, 8.0, 13.0, 10.0])
    d = np.array([1.0, 2.0, 2.0, 3.0, -1.0, 4.0, 2.0, 5.0])
    res = paired_change(x_from, x_from + d)
    assert res.wilcoxon_statistic == 34.5
    z = (34.5 - 18 - 0.5) / math.sqrt(50.375)
    assert_allclose(res.wilcoxon_p, math.erfc(z / math.sqrt(2.0)), rtol=1e-12)
    assert_allclose(res.wilcoxon_p, _normal_cc_p(34.5, 8, [2, 3]), rtol=1e-12)
    assert_allclose(res.wilcoxon_p, 0.0241770591902683, rtol=1e-9)
    assert res.wilcoxon_method == "normal_cc"
    assert any("normal approximation (no exact p-value with ties)" in n for n in res.notes)


def test_wilcoxon_with_zeros_by_hand():
    """d = 0, 0, 3, -1, 2, 2, 4, -2, 6, 1: the two zeros are dropped (n = 8); ranks of |d|
    6, 1.5, 4, 4, 7, 4, 8, 1.5, so V = 30.5; the same ties as above, Var(V) = 50.375."""
    x_from = np.array([20.0, 18.0, 15.0, 22.0, 17.0, 19.0, 16.0, 21.0, 14.0, 18.0])
    d = np.array([0.0, 0.0, 3.0, -1.0, 2.0, 2.0, 4.0, -2.0, 6.0, 1.0])
    res = paired_change(x_from, x_from + d)
    assert res.n == 10 and res.wilcoxon_statistic == 30.5
    z = (30.5 - 18 - 0.5) / math.sqrt(50.375)
    assert_allclose(res.wilcoxon_p, math.erfc(z / math.sqrt(2.0)), rtol=1e-12)
    assert_allclose(res.wilcoxon_p, 0.09088878524572704, rtol=1e-9)
    assert res.wilcoxon_method == "normal_cc"
    assert any("2 zero difference(s) left out (n = 8)" in n for n in res.notes)
    assert any("no exact p-value with ties and zeros" in n for n in res.notes)


def test_wilcoxon_one_zero_without_ties_is_normal_by_hand():
    """d = 0, 1, -2, 3, 4, 5, 6: no ties, but a zero, so R uses the normal approximation;
    n = 6, V = 1 + 3 + 4 + 5 + 6 = 19, E(V) = 10.5, Var(V) = 6*7*13/24 = 22.75."""
    res = paired_change(np.zeros(7), np.array([0.0, 1, -2, 3, 4, 5, 6]))
    assert res.wilcoxon_statistic == 19.0 and res.wilcoxon_method == "normal_cc"
    z = (19 - 10.5 - 0.5) / math.sqrt(22.75)
    assert_allclose(res.wilcoxon_p, math.erfc(z / math.sqrt(2.0)), rtol=1e-12)


@pytest.mark.parametrize(("n", "method"), [(49, "exact"), (50, "normal_cc")])
def test_wilcoxon_exact_below_50_nonzero_differences(n, method):
    d = np.array([float(i if i % 3 else -i) for i in range(1, n + 1)])  # distinct, nonzero
    res = paired_change(np.zeros(n), d)
    assert res.wilcoxon_method == method
    if method == "exact":
        ref = stats.wilcoxon(d, method="exact")
    else:
        ref = stats.wilcoxon(d, correction=True, method="asymptotic")
    assert_allclose(res.wilcoxon_p, ref.pvalue, rtol=RTOL)
    assert res.wilcoxon_statistic == d[d > 0].sum()  # ranks of |d| are |d| here
    # zeros do not count towards n < 50: 49 nonzero and one zero is the normal branch
    with_zero = paired_change(np.zeros(50), np.r_[0.0, d[:49]])
    assert with_zero.wilcoxon_method == "normal_cc"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-6, 6), min_size=1, max_size=60))
def test_property_wilcoxon_agrees_with_scipy_in_every_branch(diffs):
    """R's rule through scipy's explicit arguments: exact without ties or zeros (n < 50),
    else the asymptotic test with continuity correction on the nonzero differences."""
    d = np.array(diffs, dtype=float)
    res = paired_change(np.zeros(d.size), d)
    nz = d[d != 0]
    if nz.size == 0:
        assert np.isnan(res.wilcoxon_p) and res.wilcoxon_method == ""
        return
    exact = nz.size < 50 and nz.size == d.size and len(np.unique(np.abs(nz))) == nz.size
    assert res.wilcoxon_method == ("exact" if exact else "normal_cc")
    if exact:
        ref = stats.wilcoxon(nz, method="exact")
    else:
        ref = stats.wilcoxon(nz, correction=True, method="asymptotic")
    assert_allclose(res.wilcoxon_p, ref.pvalue, rtol=1e-9)
    assert 0.0 <= res.wilcoxon_p <= 1.0


def test_all_zero_differences_give_nan_with_notes():
    x = np.array([3.0, 4.0, 5.0, 6.0])
    res = paired_change(x, x)
    assert np.isnan(res.t) and np.isnan(res.p) and np.isnan(res.d_z)
    assert np.isnan(res.wilcoxon_statistic) and np.isnan(res.wilcoxon_p)
    assert res.wilcoxon_method == ""
    assert res.mean_diff == 0.0 and res.d_av == 0.0
    assert any("Wilcoxon" in note for note in res.notes)
    assert any("SD of differences = 0" in note for note in res.notes)


def test_constant_nonzero_difference():
    x = np.array([3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    res = paired_change(x, x + 2.0)
    assert np.isnan(res.t) and np.isnan(res.d_z) and np.isnan(res.d_z_ci_low)
    # six tied |d| = 2: all ranks 3.5, V = 21, E(V) = 10.5,
    # Var(V) = 6*7*13/24 - (6^3 - 6)/48 = 22.75 - 4.375; normal with continuity correction
    assert res.wilcoxon_statistic == 21.0 and res.wilcoxon_method == "normal_cc"
    z = (21 - 10.5 - 0.5) / math.sqrt(18.375)
    assert_allclose(res.wilcoxon_p, math.erfc(z / math.sqrt(2.0)), rtol=1e-12)


def test_too_few_pairs_give_nan():
    res = paired_change([1.0, np.nan, 3.0], [2.0, 5.0, np.nan])
    assert res.n == 1 and res.n_dropped == 2
    assert np.isnan(res.t) and np.isnan(res.sd_from) and np.isnan(res.d_av)
    assert res.mean_diff == 1.0
    empty = paired_change([np.nan], [1.0])
    assert empty.n == 0 and np.isnan(empty.mean_from) and np.isnan(empty.wilcoxon_p)


def test_to_frame_is_one_row():
    frame = paired_change(*_data()).to_frame()
    assert frame.shape[0] == 1
    for column in [
        "n", "n_dropped", "mean_diff", "t", "df", "p", "d_z", "d_av", "wilcoxon_p",
        "wilcoxon_method",
    ]:  # fmt: skip
        assert column in frame.columns


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="same length"):
        paired_change([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="'confidence_level' parameter of paired_change"):
        paired_change([1.0, 2.0], [1.0, 3.0], confidence_level=0.0)
    with pytest.raises(ValueError, match="'x_from' parameter of paired_change"):
        paired_change([[1.0, 2.0]], [1.0, 3.0])
    with pytest.raises(ValueError, match="'x_to' parameter of paired_change"):
        paired_change([1.0, 2.0], ["a", "b"])
    with pytest.raises(ValueError, match="infinite"):
        paired_change([1.0, np.inf], [1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(12, 60), st.integers(-10, 10)),
        min_size=3,
        max_size=30,
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_property_intervals_contain_estimates(pairs, level):
    before = np.array([p[0] for p in pairs], dtype=float)
    after = before + np.array([p[1] for p in pairs], dtype=float)
    res = paired_change(before, after, confidence_level=level)
    if np.isnan(res.t):
        assert np.ptp(after - before) == 0
        return
    assert res.diff_ci_low <= res.mean_diff <= res.diff_ci_high
    assert res.d_z_ci_low <= res.d_z <= res.d_z_ci_high
    assert 0.0 <= res.p <= 1.0


# --------------------------------------------------------------------------------------------
# Frozen reference values (tests/reference/change.json)
# --------------------------------------------------------------------------------------------

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "change.json").read_text("utf-8")
)
# The d_z interval is the root of scipy.stats.nct.cdf(t, df, nc) - target in nc, here and in
# the reference (both by Brent's method to ~1e-14). The CDF is accurate to about 1e-13 and its
# slope in nc is about 0.1 at the roots, so the roots agree to about 1e-12: rtol 1e-9 leaves a
# margin for a different special-function build, and is still far below any reported digit.
RTOL_NCT_ROOT = 1e-9
_EXACT_FIELDS = [
    "mean_from", "mean_to", "sd_from", "sd_to", "mean_diff", "t", "df", "p", "diff_ci_low",
    "diff_ci_high", "d_z", "d_av", "wilcoxon_statistic", "wilcoxon_p",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFERENCE["datasets"]))
def test_matches_frozen_reference(name):
    data = REFERENCE["datasets"][name]
    x_from = np.array(data["x_from"], dtype=float)
    x_to = np.array(data["x_to"], dtype=float)
    res = paired_change(x_from, x_to, confidence_level=data["confidence_level"])
    expected = data["expected"]
    assert (res.n, res.n_dropped) == (expected["n"], expected["n_dropped"])
    for field in _EXACT_FIELDS:
        assert_allclose(getattr(res, field), expected[field], rtol=RTOL, err_msg=field)
    assert res.wilcoxon_method == expected["wilcoxon_method"]
    assert_allclose(
        [res.d_z_ci_low, res.d_z_ci_high],
        [expected["d_z_ci_low"], expected["d_z_ci_high"]],
        rtol=RTOL_NCT_ROOT,
    )
