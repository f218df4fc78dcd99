"""Correlations against scipy, pingouin, and the Fisher (1921) and Bonett & Wright (2000) intervals.

Two kinds of oracle: live calls to scipy and pingouin at test time, and frozen reference values
in ``tests/reference/correlation.json`` (scipy.stats.pearsonr / spearmanr, the Fisher-z closed
form for Pearson and the Fisher-z closed form with the Bonett & Wright standard error for
Spearman, made by ``tests/reference/make_correlation.py``), compared at ``rtol = 1e-10``
because every value is a closed form. The published example of ``ci.spear`` in Bonett's R
package statpsych is compared at its printed 7 significant digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from patalliance.stats import correlate, fisher_ci, pearson, spearman

RTOL = 1e-10


def _data(seed: int = 2024) -> tuple[np.ndarray, np.ndarray]:
    """24 participants, 5 + 3 correlated variables, ties, about 15% missing values."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(24, 1))
    x = 20.0 + 5.0 * (0.6 * latent + rng.normal(size=(24, 5)))
    x[:, 1] = np.round(x[:, 1] / 3.0)  # many ties, for Spearman
    y = -0.7 * latent + rng.normal(size=(24, 3))
    x[rng.random(x.shape) < 0.15] = np.nan
    y[rng.random(y.shape) < 0.15] = np.nan
    return x, y


def _complete(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(a) & ~np.isnan(b)
    return a[ok], b[ok]


@pytest.mark.parametrize(
    ("method", "oracle"), [("pearson", stats.pearsonr), ("spearman", stats.spearmanr)]
)
def test_matches_scipy_on_pairwise_complete_data(method, oracle):
    x, y = _data()
    res = correlate(x, y, method=method)
    assert res.r.shape == res.p.shape == res.n.shape == (5, 3)
    for j in range(5):
        for k in range(3):
            a, b = _complete(x[:, j], y[:, k])
            ref = oracle(a, b)
            assert res.n[j, k] == a.size
            assert_allclose(res.r[j, k], ref.statistic, rtol=RTOL)
            assert_allclose(res.p[j, k], ref.pvalue, rtol=RTOL)
    assert res.n_obs == 24
    assert res.method == method and res.missing == "pairwise"


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_all_pairs_within_x_match_scipy(method):
    x, _ = _data(7)
    oracle = stats.pearsonr if method == "pearson" else stats.spearmanr
    res = correlate(x, x, method=method)
    for j in range(5):
        for k in range(5):
            if j == k:
                continue
            ref = oracle(*_complete(x[:, j], x[:, k]))
            assert_allclose(res.r[j, k], ref.statistic, rtol=RTOL)
            assert_allclose(res.p[j, k], ref.pvalue, rtol=RTOL)
    assert_allclose(np.diag(res.r), 1.0)
    # The symmetric shortcut gives the same numbers as the general path.
    general = correlate(x, x[:, :2], method=method)
    assert_allclose(res.r[:, :2], general.r, rtol=1e-13)


def test_pearson_matches_pingouin_pairwise_corr():
    x, y = _data()
    frame = pd.DataFrame(np.column_stack([x, y]), columns=[f"v{i}" for i in range(8)])
    ref = pingouin.pairwise_corr(frame, columns=[list(frame.columns[:5]), list(frame.columns[5:])])
    res = correlate(frame.iloc[:, :5], frame.iloc[:, 5:])
    table = res.to_frame().set_index(["x", "y"])
    for _, row in ref.iterrows():
        ours = table.loc[(row["X"], row["Y"])]
        assert ours["n"] == row["n"]
        assert_allclose(ours["r"], row["r"], rtol=RTOL)
        assert_allclose(ours["p"], row["p_unc"], rtol=RTOL)


def _fisher_reference(r: np.ndarray, n: np.ndarray, level: float, k: int = 0):
    """Fisher (1921): tanh(artanh(r) -/+ z_{1-a/2} / sqrt(n - 3 - k))."""
    z_crit = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
    half = z_crit / np.sqrt(n - 3.0 - k)
    return np.tanh(np.arctanh(r) - half), np.tanh(np.arctanh(r) + half)


def _bonett_wright_reference(r: np.ndarray, n: np.ndarray, level: float):
    """Bonett & Wright (2000): tanh(artanh(r) -/+ z_{1-a/2} sqrt((1 + r^2/2) / (n - 3)))."""
    z_crit = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
    half = z_crit * np.sqrt((1.0 + r**2 / 2.0) / (n - 3.0))
    with np.errstate(divide="ignore"):  # artanh(+-1) = +-inf, tanh(+-inf) = +-1
        return np.tanh(np.arctanh(r) - half), np.tanh(np.arctanh(r) + half)


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_fisher_ci_of_correlate_matches_fisher_1921(level):
    x, y = _data()
    res = correlate(x, y, confidence_level=level)
    low, high = _fisher_reference(res.r, res.n, level)
    assert_allclose(res.ci_low, low, rtol=RTOL)
    assert_allclose(res.ci_high, high, rtol=RTOL)
    assert res.confidence_level == level
    assert res.ci_method == "fisher_z"


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_spearman_ci_of_correlate_uses_bonett_wright_2000(level):
    x, y = _data()
    res = correlate(x, y, method="spearman", confidence_level=level)
    low, high = _bonett_wright_reference(res.r, res.n, level)
    assert_allclose(res.ci_low, low, rtol=RTOL)
    assert_allclose(res.ci_high, high, rtol=RTOL)
    assert res.ci_method == "fisher_z_bonett_wright"
    # wider than Fisher's interval wherever r_s != 0: the SE is inflated by sqrt(1 + r^2/2)
    fisher_low, fisher_high = _fisher_reference(res.r, res.n, level)
    assert np.all(res.ci_low < fisher_low) and np.all(res.ci_high > fisher_high)


def test_spearman_ci_reproduces_statpsych_ci_spear_example():
    """statpsych ci.spear(.05, y, x): 0.8699639, LL 0.5840951, UL 0.9638297 (Bonett)."""
    block = REFERENCE["published_spearman_ci"]
    res = spearman(block["y"], block["x"], confidence_level=block["confidence_level"])
    digits = block["printed_significant_digits"]
    for key in ("r", "ci_low", "ci_high"):
        got = float(getattr(res, key)[0, 0])
        assert float(f"{got:.{digits}g}") == block["printed"][key], key
        assert_allclose(got, block["full_precision"][key], rtol=RTOL, err_msg=key)
    assert res.n[0, 0] == block["full_precision"]["n"]


def test_fisher_ci_with_covariates():
    r = np.array([-0.65, 0.1, 0.49])
    n = np.array([20, 16, 24])
    ci = fisher_ci(r, n, k=2, confidence_level=0.9)
    low, high = _fisher_reference(r, n, 0.9, k=2)
    assert_allclose(ci.low, low, rtol=RTOL)
    assert_allclose(ci.high, high, rtol=RTOL)
    assert ci.k == 2 and ci.method == "fisher_z"
    assert list(ci.to_frame().columns) == ["low", "high", "n", "k", "confidence_level", "method"]


def test_fisher_ci_with_bonett_wright_se():
    r = np.array([-0.65, 0.1, 0.49, 1.0])
    n = np.array([20, 16, 24, 10])
    ci = fisher_ci(r, n, se="bonett_wright", confidence_level=0.9)
    low, high = _bonett_wright_reference(r, n, 0.9)
    assert_allclose(ci.low, low, rtol=RTOL)
    assert_allclose(ci.high, high, rtol=RTOL)
    assert ci.method == "fisher_z_bonett_wright" and ci.k == 0
    assert ci.low[3] == 1.0 and ci.high[3] == 1.0
    assert np.isnan(fisher_ci(0.4, 3, se="bonett_wright").low)  # n - 3 < 1


def test_fisher_ci_nan_when_too_few_observations():
    ci = fisher_ci([0.5, 0.5, 1.0], [3, 4, 10])
    assert np.isnan(ci.low[0]) and np.isnan(ci.high[0])
    assert np.isfinite(ci.low[1])
    assert ci.low[2] == 1.0 and ci.high[2] == 1.0


def test_listwise_uses_only_complete_rows():
    x, y = _data()
    res = correlate(x, y, missing="listwise")
    keep = ~(np.isnan(x).any(axis=1) | np.isnan(y).any(axis=1))
    assert res.n_obs == keep.sum()
    assert np.all(res.n == keep.sum())
    ref = stats.pearsonr(x[keep, 0], y[keep, 2])
    assert_allclose(res.r[0, 2], ref.statistic, rtol=RTOL)
    assert_allclose(res.p[0, 2], ref.pvalue, rtol=RTOL)


def test_scalar_functions_match_scipy():
    x, y = _data()
    a, b = x[:, 0], y[:, 0]
    res = pearson(a, b)
    assert res.r.shape == (1, 1)
    ref = stats.pearsonr(*_complete(a, b))
    assert_allclose(res.r[0, 0], ref.statistic, rtol=RTOL)
    assert_allclose(res.p[0, 0], ref.pvalue, rtol=RTOL)
    res_s = spearman(a, b)
    ref_s = stats.spearmanr(*_complete(a, b))
    assert_allclose(res_s.r[0, 0], ref_s.statistic, rtol=RTOL)
    assert_allclose(res_s.p[0, 0], ref_s.pvalue, rtol=RTOL)


def test_degenerate_pairs_are_nan_without_warnings():
    x = np.array(
        [[1.0, 5.0, 1.0], [2.0, 5.0, np.nan], [3.0, 5.0, np.nan], [4.0, 5.0, 2.0], [5.0, 5.0, 3]]
    )
    res = correlate(x, x)
    assert np.isnan(res.r[0, 1])  # constant variable
    assert np.isnan(res.p[0, 1])
    assert res.n[0, 2] == 3 and np.isfinite(res.r[0, 2])
    assert np.isnan(res.ci_low[0, 2])  # n < 4
    two = correlate([1.0, 2.0, np.nan], [3.0, 1.0, 2.0])
    assert two.n[0, 0] == 2 and np.isnan(two.r[0, 0]) and np.isnan(two.p[0, 0])


def test_to_frame_has_one_row_per_pair():
    x, y = _data()
    frame = correlate(x, y).to_frame()
    assert len(frame) == 15
    assert list(frame.columns) == [
        "x",
        "y",
        "method",
        "missing",
        "n",
        "n_dropped",
        "r",
        "ci_low",
        "ci_high",
        "ci_method",
        "p",
        "confidence_level",
    ]
    assert set(frame["ci_method"]) == {"fisher_z"}
    assert set(correlate(x, y, method="spearman").to_frame()["ci_method"]) == {
        "fisher_z_bonett_wright"
    }
    assert_array_equal(frame["n"] + frame["n_dropped"], 24)
    assert frame.loc[0, "x"] == "x0" and frame.loc[0, "y"] == "y0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "kendall"}, "The 'method' parameter of correlate must be one of"),
        ({"missing": "drop"}, "The 'missing' parameter of correlate must be one of"),
        ({"confidence_level": 95}, "The 'confidence_level' parameter of correlate"),
        ({"confidence_level": 1.0}, "Got 1.0 instead"),
    ],
)
def test_invalid_options_raise(kwargs, message):
    x, y = _data()
    with pytest.raises(ValueError, match=message):
        correlate(x, y, **kwargs)


def test_invalid_data_raise():
    x, y = _data()
    with pytest.raises(ValueError, match="same number of rows"):
        correlate(x, y[:-1])
    with pytest.raises(ValueError, match="infinite"):
        correlate(np.where(np.isnan(x), np.inf, x), y)
    with pytest.raises(ValueError, match="shape"):
        correlate(np.zeros((2, 2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="numeric"):
        correlate(["a", "b", "c"], [1, 2, 3])
    with pytest.raises(ValueError, match="one-dimensional"):
        pearson(x, y[:, 0])
    with pytest.raises(ValueError, match="'k' parameter of fisher_ci"):
        fisher_ci(0.3, 20, k=-1)
    with pytest.raises(ValueError, match="'r' parameter of fisher_ci"):
        fisher_ci(1.3, 20)
    with pytest.raises(ValueError, match="'se' parameter of fisher_ci must be one of"):
        fisher_ci(0.3, 20, se="fieller")
    with pytest.raises(ValueError, match="only for a zero-order"):
        fisher_ci(0.3, 20, k=1, se="bonett_wright")


@settings(max_examples=60, deadline=None)
@given(data=st.data(), method=st.sampled_from(["pearson", "spearman"]))
def test_property_r_in_range_and_ci_contains_r(data, method):
    n = data.draw(st.integers(6, 30))
    col = st.lists(
        st.one_of(st.just(np.nan), st.floats(-1e3, 1e3, allow_nan=False)),
        min_size=n,
        max_size=n,
    )
    x = np.column_stack([data.draw(col), data.draw(col)])
    y = np.array(data.draw(col))
    res = correlate(x, y, method=method)
    ok = ~np.isnan(res.r)
    assert np.all(np.abs(res.r[ok]) <= 1.0)
    has_ci = ~np.isnan(res.ci_low)
    assert np.all(res.ci_low[has_ci] <= res.r[has_ci])
    assert np.all(res.r[has_ci] <= res.ci_high[has_ci])
    assert np.all((res.p[ok] >= 0) & (res.p[ok] <= 1))


# --------------------------------------------------------------------------------------------
# Frozen reference values (tests/reference/correlation.json)
# --------------------------------------------------------------------------------------------

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "correlation.json").read_text("utf-8")
)


def _ref_inputs() -> tuple[np.ndarray, np.ndarray]:
    """The data of the JSON file, with ``null`` read as NaN."""
    return (
        np.array(REFERENCE["inputs"]["x"], dtype=float),
        np.array(REFERENCE["inputs"]["y"], dtype=float),
    )


def _check_block(res, block) -> None:
    """Compare a (p, 1) CorrelationResult with one ``per_x_column`` block of the JSON."""
    rows = block["per_x_column"]
    assert res.r.shape == (len(rows), 1)
    assert_array_equal(res.n[:, 0], [row["n"] for row in rows])
    for key, field in [("r", "r"), ("p", "p"), ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
        assert_allclose(getattr(res, field)[:, 0], [row[key] for row in rows], rtol=RTOL)


@pytest.mark.parametrize(
    ("block", "method"),
    [("pearson", "pearson"), ("pearson_90", "pearson"), ("spearman", "spearman")],
)
def test_pairwise_matches_frozen_reference(block, method):
    x, y = _ref_inputs()
    ref = REFERENCE["pairwise"][block]
    res = correlate(x, y, method=method, confidence_level=ref["confidence_level"])
    _check_block(res, ref)
    assert res.ci_method == ("fisher_z" if method == "pearson" else "fisher_z_bonett_wright")


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_listwise_matches_frozen_reference(method):
    x, y = _ref_inputs()
    ref = REFERENCE["listwise"]
    res = correlate(x, y, method=method, missing="listwise")
    assert res.n_obs == len(ref["rows_kept"])
    _check_block(res, ref[method])


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_scalar_functions_match_frozen_reference(method):
    x, y = _ref_inputs()
    row = REFERENCE["pairwise"][method]["per_x_column"][1]
    res = (pearson if method == "pearson" else spearman)(x[:, 1], y)
    assert res.n[0, 0] == row["n"]
    assert_allclose(
        [res.r[0, 0], res.p[0, 0], res.ci_low[0, 0], res.ci_high[0, 0]],
        [row["r"], row["p"], row["ci_low"], row["ci_high"]],
        rtol=RTOL,
    )


@pytest.mark.parametrize("case", REFERENCE["fisher_ci"]["cases"], ids=lambda c: f"r={c['r']}")
def test_fisher_ci_matches_frozen_reference(case):
    ci = fisher_ci(case["r"], case["n"], k=case["k"], confidence_level=case["confidence_level"])
    assert_allclose([ci.low, ci.high], [case["ci_low"], case["ci_high"]], rtol=RTOL)


@pytest.mark.parametrize(
    "case", REFERENCE["bonett_wright_ci"]["cases"], ids=lambda c: f"r={c['r']}"
)
def test_bonett_wright_ci_matches_frozen_reference(case):
    ci = fisher_ci(
        case["r"], case["n"], se="bonett_wright", confidence_level=case["confidence_level"]
    )
    assert_allclose([ci.low, ci.high], [case["ci_low"], case["ci_high"]], rtol=RTOL)
