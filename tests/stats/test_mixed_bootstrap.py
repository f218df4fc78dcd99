"""stats.mixed_bootstrap: the parametric bootstrap drawn through sufficient statistics.

The reference is the bootstrap done the direct way, in this file: simulate whole outcome
vectors y* = X beta + u* + e* with numpy and refit each with
patalliance.stats.mixed.reml_random_intercept_batch (checked against statsmodels and
published values in test_mixed.py). The two must have the same distribution: two-sample
Kolmogorov-Smirnov tests (scipy) on every fixed effect and on the variance ratio, and the
share of boundary refits within binomial error. Seeds are fixed, so the tests are
deterministic. A sampler that drops one source of variance fails them by far (checked by
hand: without the within-cluster draw, p < 1e-80; without the cluster variance in the cluster
sums, p < 1e-15).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from patalliance.stats import mixed_bootstrap
from patalliance.stats.mixed import reml_random_intercept_batch
from patalliance.stats.mixed_bootstrap import parametric_bootstrap_random_intercept


def _design(seed: int, n_groups: int = 60):  # type: ignore[no-untyped-def]
    """Clusters of 1 to 4 observations; occasion dummies, a cluster-level covariate (constant
    within clusters) and an observation-level one."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_groups)
    codes = np.repeat(np.arange(n_groups), sizes)
    slot = np.concatenate([np.arange(s) for s in sizes])
    exog = np.column_stack(
        [
            np.ones(codes.size),
            slot == 1,
            slot == 2,
            slot == 3,
            rng.normal(size=n_groups)[codes],
            rng.normal(size=codes.size),
        ]
    ).astype(float)
    return exog, codes


BETA = np.array([1.0, 0.2, -0.3, 0.1, 0.5, -0.4])


def _direct(exog, codes, sigma2_u: float, sigma2_e: float, n_boot: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n_groups = int(codes.max()) + 1
    u = rng.normal(0.0, np.sqrt(sigma2_u), (n_boot, n_groups))
    e = rng.normal(0.0, np.sqrt(sigma2_e), (n_boot, codes.size))
    return reml_random_intercept_batch(exog @ BETA + u[:, codes] + e, exog, codes)


@pytest.mark.parametrize(("seed", "sigma2_u"), [(0, 0.0), (1, 0.5), (2, 2.0)])
def test_same_distribution_as_refitting_simulated_outcomes(seed: int, sigma2_u: float) -> None:
    exog, codes = _design(seed)
    n_boot = 3000
    direct = _direct(exog, codes, sigma2_u, 1.0, n_boot, seed + 100)
    fast = parametric_bootstrap_random_intercept(
        exog, codes, BETA, sigma2_u, 1.0, n_boot=n_boot, rng=np.random.default_rng(seed + 200)
    )
    assert fast.beta.shape == (n_boot, 6) and fast.converged.all() and direct.converged.all()
    pvalues = [stats.ks_2samp(direct.beta[:, j], fast.beta[:, j]).pvalue for j in range(6)]
    pvalues.append(stats.ks_2samp(direct.theta, fast.theta).pvalue)
    assert min(pvalues) > 0.002, pvalues
    # boundary refits (theta = 0): about half when sigma2_u = 0
    share = np.array([(direct.theta == 0).mean(), (fast.theta == 0).mean()])
    pooled = share.mean()
    se = np.sqrt(2 * pooled * (1 - pooled) / n_boot) + 1e-12
    assert abs(share[0] - share[1]) < 4 * se
    if sigma2_u == 0.0:
        assert 0.35 < share[1] < 0.65


def test_blocks_do_not_change_the_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    exog, codes = _design(3)

    def run() -> mixed_bootstrap.ParametricBootstrap:
        return parametric_bootstrap_random_intercept(
            exog, codes, BETA, 1.0, 2.0, n_boot=500, rng=np.random.default_rng(9)
        )

    one_block = run()
    monkeypatch.setattr(mixed_bootstrap, "BLOCK_BYTES", 40_000)  # blocks of a few replicates
    assert mixed_bootstrap._block_size(4, 6) < 20
    many_blocks = run()
    # the same draws; the refits agree to rounding (the linear algebra runs per block)
    assert_allclose(many_blocks.beta, one_block.beta, rtol=1e-12, atol=1e-14)
    assert_allclose(many_blocks.theta, one_block.theta, rtol=1e-10, atol=1e-14)
    assert_array_equal(many_blocks.theta == 0, one_block.theta == 0)


def test_reproducible_with_a_seed() -> None:
    exog, codes = _design(4)
    a, b, c = (
        parametric_bootstrap_random_intercept(
            exog, codes, BETA, 1.0, 1.0, n_boot=50, rng=np.random.default_rng(s)
        )
        for s in (1, 1, 2)
    )
    assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta, c.beta)


def test_bad_input_names_the_parameter() -> None:
    exog, codes = _design(5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="'sigma2_u' and 'sigma2_e' parameters"):
        parametric_bootstrap_random_intercept(exog, codes, BETA, -1.0, 1.0, n_boot=5, rng=rng)
    with pytest.raises(ValueError, match=r"'n_boot' parameter .* at least 1"):
        parametric_bootstrap_random_intercept(exog, codes, BETA, 1.0, 1.0, n_boot=0, rng=rng)
