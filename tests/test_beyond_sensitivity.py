"""stats.influence: leave-one-out correlations against a direct loop with scipy."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import leave_one_out


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_leave_one_out_matches_loop(method: str) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=15), rng.normal(size=15)
    x[4] = np.nan
    res = leave_one_out(x, y, [f"P{i}" for i in range(15)], method=method)
    ok = ~np.isnan(x)
    xs, ys = x[ok], y[ok]
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    ref = [fn(np.delete(xs, i), np.delete(ys, i)) for i in range(xs.size)]
    assert res.participants[4] == "P5"
    assert_allclose(res.r, [r.statistic for r in ref], rtol=1e-10)
    assert_allclose(res.p, [r.pvalue for r in ref], rtol=1e-8)
