"""Vectorized bootstrap against a slow per-pair loop and scipy.stats.bootstrap.

Live oracles: a slow per-replicate scipy loop on the same draws, and scipy.stats.bootstrap
(other draws, so compared only loosely). Frozen oracle: ``tests/reference/bootstrap.json``
(made by ``tests/reference/make_bootstrap.py``), the percentile and BCa intervals of
``scipy.stats.bootstrap`` together with the resample-index matrix scipy drew. The tests hand
that stored matrix to ``bootstrap_correlations`` through its ``rng`` argument (the documented
draw ``rng.integers(0, n_obs, size=(rows, n_obs))`` for consecutive blocks of resamples, the
numbers of one call ``rng.integers(0, n_obs, size=(n_resamples, n_obs))``), so with the same
resamples the intervals are closed forms of the data and are compared at ``rtol = 1e-10``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

import patalliance.stats._resample as resample_blocks
import patalliance.stats.bootstrap as bootstrap_module
from patalliance.stats import bootstrap_correlations, correlate


def _data(seed: int = 5, n: int = 24, p: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    x = 0.7 * latent + rng.normal(size=(n, p))
    x[:, 1] = np.round(x[:, 1])  # ties, for Spearman
    x[rng.random(x.shape) < 0.12] = np.nan
    x[4:, 4] = np.nan  # variable 4 is seen for only 4 participants: degenerate replicates
    x[0, 4], x[1, 4], x[2, 4], x[3, 4] = 1.0, 2.0, 4.0, 3.0
    x[:4, 0] = [0.5, -0.2, 1.1, 0.3]
    return x


def _slow_replicates(x, j, k, method, idx):
    """Reference: one replicate at a time, scipy on the pair's complete resampled cases."""
    oracle = stats.pearsonr if method == "pearson" else stats.spearmanr
    values = []
    for rows in idx:
        a, b = x[rows, j], x[rows, k]
        ok = ~np.isnan(a) & ~np.isnan(b)
        a, b = a[ok], b[ok]
        if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
            values.append(np.nan)
        else:
            values.append(oracle(a, b).statistic)
    return np.array(values)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_percentile_matches_slow_loop_with_same_indices(method):
    x = _data()
    n_boot = 500
    res = bootstrap_correlations(
        x, x, method=method, n_resamples=n_boot, rng=np.random.default_rng(42)
    )
    idx = np.random.default_rng(42).integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    for j, k in [(0, 1), (1, 2), (0, 4), (3, 4)]:
        reps = _slow_replicates(x, j, k, method, idx)
        valid = reps[~np.isnan(reps)]
        assert res.n_excluded[j, k] == n_boot - valid.size
        expected = np.quantile(valid, [0.025, 0.975])
        assert_allclose([res.ci_low[j, k], res.ci_high[j, k]], expected, rtol=1e-10, atol=1e-14)
    assert res.n_excluded[0, 4] > 0  # the 4-participant variable gives degenerate replicates


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_bca_quantities_match_efron_1987_by_hand(method):
    x = _data()
    n_boot = 400
    res = bootstrap_correlations(
        x, x, method=method, n_resamples=n_boot, ci_method="bca", rng=np.random.default_rng(3)
    )
    idx = np.random.default_rng(3).integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    oracle = stats.pearsonr if method == "pearson" else stats.spearmanr
    alpha = 0.025
    for j, k in [(0, 1), (1, 3)]:
        reps = _slow_replicates(x, j, k, method, idx)
        reps = reps[~np.isnan(reps)]
        ok = ~np.isnan(x[:, j]) & ~np.isnan(x[:, k])
        a, b = x[ok, j], x[ok, k]
        theta = oracle(a, b).statistic
        z0 = stats.norm.ppf((np.sum(reps < theta) + np.sum(reps <= theta)) / (2 * reps.size))
        jack = np.array([oracle(np.delete(a, i), np.delete(b, i)).statistic for i in range(a.size)])
        dev = jack.mean() - jack
        acc = np.sum(dev**3) / (6.0 * np.sum(dev**2) ** 1.5)
        assert_allclose(res.bias_correction[j, k], z0, rtol=1e-10)
        assert_allclose(res.acceleration[j, k], acc, rtol=1e-8)
        z_lo, z_hi = stats.norm.ppf(alpha), stats.norm.ppf(1 - alpha)
        lvl = [stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z))) for z in (z_lo, z_hi)]
        assert_allclose([res.ci_low[j, k], res.ci_high[j, k]], np.quantile(reps, lvl), rtol=1e-8)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_bca_agrees_with_scipy_bootstrap_on_complete_data(method):
    rng = np.random.default_rng(8)
    a = rng.normal(size=40)
    b = 0.6 * a + rng.normal(size=40)
    ours = bootstrap_correlations(
        a, b, method=method, ci_method="bca", n_resamples=10_000, rng=np.random.default_rng(1)
    )

    def statistic(u, v, axis=-1):
        if method == "pearson":
            return stats.pearsonr(u, v, axis=axis).statistic
        ranked = stats.rankdata(u, axis=axis), stats.rankdata(v, axis=axis)
        return stats.pearsonr(*ranked, axis=axis).statistic

    ref = stats.bootstrap(
        (a, b),
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=10_000,
        method="BCa",
        rng=np.random.default_rng(2),
    )
    assert_allclose(ours.ci_low[0, 0], ref.confidence_interval.low, atol=0.03)
    assert_allclose(ours.ci_high[0, 0], ref.confidence_interval.high, atol=0.03)


def test_same_seed_same_result_and_seed_matters():
    x = _data()
    one = bootstrap_correlations(x, x, n_resamples=500, rng=np.random.default_rng(9))
    two = bootstrap_correlations(x, x, n_resamples=500, rng=np.random.default_rng(9))
    other = bootstrap_correlations(x, x, n_resamples=500, rng=np.random.default_rng(10))
    assert_array_equal(one.ci_low, two.ci_low)
    assert_array_equal(one.ci_high, two.ci_high)
    assert not np.array_equal(one.ci_low, other.ci_low, equal_nan=True)


def test_point_estimates_match_correlate_and_cis_contain_them():
    x = _data()[:, :4]
    res = bootstrap_correlations(x, x, n_resamples=2000, rng=np.random.default_rng(1))
    ref = correlate(x, x)
    assert_allclose(res.r, ref.r, rtol=1e-12)
    assert_array_equal(res.n, ref.n)
    off = ~np.eye(4, dtype=bool)
    assert np.all((res.ci_low[off] <= res.r[off]) & (res.r[off] <= res.ci_high[off]))
    assert np.all(res.n_excluded == 0)


def test_symmetric_and_rectangular_calls_share_replicates():
    x = _data()
    full = bootstrap_correlations(x, x, n_resamples=400, rng=np.random.default_rng(4))
    block = bootstrap_correlations(x, x[:, :2], n_resamples=400, rng=np.random.default_rng(4))
    assert block.ci_low.shape == (5, 2)
    assert_allclose(block.ci_low, full.ci_low[:, :2], rtol=1e-12, equal_nan=True)
    assert_allclose(block.ci_high, full.ci_high[:, :2], rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("ci_method", ["percentile", "bca"])
def test_blocks_of_resamples_give_the_intervals_of_one_draw(monkeypatch, method, ci_method):
    """Resamples drawn a few at a time are the numbers of one rng.integers call: the same
    intervals as handing that one matrix over, whatever the block size."""
    x = _data()
    n_boot, n = 300, x.shape[0]
    one_call = np.random.default_rng(11).integers(0, n, size=(n_boot, n))
    kwargs = {"method": method, "ci_method": ci_method, "n_resamples": n_boot}
    whole = bootstrap_correlations(x, x, rng=_StoredDraws(one_call), **kwargs)
    monkeypatch.setattr(resample_blocks, "BLOCK_ELEMENTS", 7 * n)  # 7 or fewer per block
    monkeypatch.setattr(bootstrap_module, "_MOMENT_ELEMENTS", 6 * 15 * 5)  # 5 per block
    draws = _StoredDraws(one_call)
    blocks = bootstrap_correlations(x, x, rng=draws, **kwargs)
    assert draws.calls >= n_boot // 5 and draws.used == n_boot
    seeded = bootstrap_correlations(x, x, rng=np.random.default_rng(11), **kwargs)
    for res in (blocks, seeded):
        assert_array_equal(res.n_excluded, whole.n_excluded)
        assert_allclose(res.ci_low, whole.ci_low, rtol=1e-12, atol=1e-15, equal_nan=True)
        assert_allclose(res.ci_high, whole.ci_high, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_spearman_bootstrap_of_many_participants_with_ties_matches_scipy_on_same_draws():
    """Weighted ranks from sorted cumulative counts equal re-ranking each resample."""
    rng = np.random.default_rng(21)
    n, n_boot = 300, 40
    x = np.round(rng.normal(size=(n, 2)) * 2)  # many ties
    x[:, 1] += 0.5 * x[:, 0]
    x[rng.random(x.shape) < 0.1] = np.nan
    idx = np.random.default_rng(5).integers(0, n, size=(n_boot, n))
    res = bootstrap_correlations(
        x[:, 0], x[:, 1], method="spearman", n_resamples=n_boot, rng=_StoredDraws(idx)
    )
    reps = _slow_replicates(x, 0, 1, "spearman", idx)
    expected = np.quantile(reps[~np.isnan(reps)], [0.025, 0.975])
    assert_allclose([res.ci_low[0, 0], res.ci_high[0, 0]], expected, rtol=1e-12)


def test_listwise_resamples_complete_rows_only():
    x = _data()[:, :4]
    res = bootstrap_correlations(
        x, x, missing="listwise", n_resamples=300, rng=np.random.default_rng(2)
    )
    keep = ~np.isnan(x).any(axis=1)
    assert res.n_obs == keep.sum()
    assert np.all(res.n == keep.sum())


def test_to_frame_and_metadata():
    x = _data()
    res = bootstrap_correlations(
        x, x[:, 0], n_resamples=200, ci_method="bca", rng=np.random.default_rng(0)
    )
    frame = res.to_frame()
    assert len(frame) == 5
    assert {"x", "y", "r", "ci_low", "ci_high", "n_excluded", "acceleration"} <= set(frame)
    assert res.n_resamples == 200 and res.ci_method == "bca" and res.method == "pearson"


def test_invalid_arguments_raise():
    x = _data()
    with pytest.raises(TypeError):
        bootstrap_correlations(x, x)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="'rng' parameter of bootstrap_correlations"):
        bootstrap_correlations(x, x, rng=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'n_resamples' parameter"):
        bootstrap_correlations(x, x, n_resamples=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="'ci_method' parameter"):
        bootstrap_correlations(x, x, ci_method="basic", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="'confidence_level' parameter"):
        bootstrap_correlations(x, x, confidence_level=1.5, rng=np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 20),
    method=st.sampled_from(["pearson", "spearman"]),
    ci_method=st.sampled_from(["percentile", "bca"]),
)
def test_property_intervals_are_ordered_and_bounded(seed, n, method, ci_method):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    res = bootstrap_correlations(x, x, method=method, ci_method=ci_method, n_resamples=200, rng=rng)
    ok = ~np.isnan(res.ci_low) & ~np.isnan(res.ci_high)
    assert np.all(res.ci_low[ok] <= res.ci_high[ok])
    assert np.all((res.ci_low[ok] >= -1.0) & (res.ci_high[ok] <= 1.0))
    assert np.all((res.n_excluded >= 0) & (res.n_excluded <= 200))


# ------------------------------------------------------------------ frozen reference values

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "bootstrap.json").read_text("utf-8")
)


class _StoredDraws(np.random.Generator):
    """A Generator whose ``integers`` calls return the stored resample-index matrix, one
    block of rows per call, in order (the documented draw, a block of resamples at a time)."""

    def __init__(self, matrix: np.ndarray) -> None:
        super().__init__(np.random.PCG64(0))
        self.matrix = matrix
        self.calls = 0
        self.used = 0

    def integers(self, low, high=None, size=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        rows, n = size
        assert (low, high, n) == (0, self.matrix.shape[1], self.matrix.shape[1])
        block = self.matrix[self.used : self.used + rows]
        assert block.shape[0] == rows, "more resamples drawn than stored"
        self.used += rows
        return block.copy()


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("ci_method", ["percentile", "bca"])
def test_intervals_match_frozen_scipy_bootstrap_on_stored_draws(method, ci_method):
    inputs = REFERENCE["inputs"]
    x, y = np.array(inputs["x"]), np.array(inputs["y"])
    draws = _StoredDraws(np.array(REFERENCE["resample_indices"]["matrix"]))
    res = bootstrap_correlations(
        x,
        y,
        method=method,
        ci_method=ci_method,
        n_resamples=inputs["n_resamples"],
        confidence_level=inputs["level"],
        rng=draws,
    )
    assert draws.used == draws.matrix.shape[0]
    assert_array_equal(res.n_excluded, 0)
    expected = REFERENCE["intervals"][f"{method}_{ci_method}"]
    for row in expected:
        j = row["x_column"]
        assert_allclose(
            [res.ci_low[j, 0], res.ci_high[j, 0]], [row["ci_low"], row["ci_high"]], rtol=1e-10
        )
        if ci_method == "bca":
            assert_allclose(res.bias_correction[j, 0], row["bias_correction"], rtol=1e-10)
            assert_allclose(res.acceleration[j, 0], row["acceleration"], rtol=1e-10)
