"""BF10 (Ly et al. 2016) against pingouin.bayesfactor_pearson (test-only oracle)."""

from __future__ import annotations

import numpy as np
import pingouin as pg
import pytest
from numpy.testing import assert_allclose

from patalliance.stats.bayes import bayes_factor_pearson


@pytest.mark.parametrize(
    ("r", "n"), [(0.6, 20), (-0.85, 16), (0.1, 24), (-0.47, 20), (0.3, 200), (0.5, 5), (0.0, 30)]
)
@pytest.mark.parametrize("kappa", [1.0, 0.5, 2.0])
def test_bf10_matches_pingouin(r: float, n: int, kappa: float) -> None:
    res = bayes_factor_pearson(r, n, kappa=kappa)
    assert_allclose(float(res.bf10), pg.bayesfactor_pearson(r, n, kappa=kappa), rtol=1e-6)


def test_vectorized_and_degenerate() -> None:
    res = bayes_factor_pearson(np.array([[0.2, np.nan], [0.5, 0.4]]), np.array([[20, 20], [2, 30]]))
    assert res.bf10.shape == (2, 2)
    assert np.isnan(res.bf10[0, 1]) and np.isnan(res.bf10[1, 0])
    assert_allclose(res.bf10[1, 1], pg.bayesfactor_pearson(0.4, 30), rtol=1e-6)
    with pytest.raises(ValueError, match="kappa"):
        bayes_factor_pearson(0.2, 10, kappa=0)
