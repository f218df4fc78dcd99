"""Chained-equations imputation (``stats.mice``) against statsmodels' ``MICEData``.

Oracle: ``statsmodels.imputation.mice.MICEData`` with its defaults (Gaussian parameter
perturbation, predictive mean matching with 20 donors), run from the same generator. Imputed
values are observed values, so on continuous data the chains agree exactly. On discrete scores
two donors can be exactly as far from a prediction, and which one counts as nearer is decided
by the last bit of the fitted parameters: there the fit is checked against statsmodels' OLS to
rounding, and the matching, given statsmodels' own parameters, exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from patalliance.stats import mice
from patalliance.stats.mice import MiceChain


def _statsmodels_chain(data: np.ndarray, seed: int, cycles: int) -> np.ndarray:
    from statsmodels.imputation.mice import MICEData
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    frame = pd.DataFrame(data, columns=[f"v{i}" for i in range(data.shape[1])])
    chain = MICEData(frame, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        # statsmodels warns of a rank-deficient design, which the collinear case is on purpose
        warnings.simplefilter("ignore", SingularMatrixWarning)
        chain.update_all(cycles)
    return np.asarray(chain.data.to_numpy(dtype=np.float64))


def _with_holes(data: np.ndarray, rate: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = data.copy()
    out[:, 1:][rng.random(out[:, 1:].shape) < rate] = np.nan  # column 0 stays complete
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_continuous_data_match_micedata(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.multivariate_normal(np.zeros(4), np.eye(4) * 0.5 + 0.5, size=300)
    data = _with_holes(data, 0.2, seed)
    assert_array_equal(
        MiceChain(data).run(np.random.default_rng(9), 4), _statsmodels_chain(data, 9, 4)
    )


def _scores(seed: int) -> np.ndarray:
    """Three sum scores on a few integer values and a complete arm dummy, 15 % missing."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, size=(400, 3, 5)).sum(axis=2) + np.array([0.0, 10.0, 20.0])
    data = np.column_stack([data, rng.integers(0, 2, 400)])
    data[:, :3][rng.random((400, 3)) < 0.15] = np.nan
    return data[~np.isnan(data[:, :3]).all(axis=1)]


def test_scores_with_ties_fit_and_match_like_micedata() -> None:
    """Many rows share a prediction, so the order among ties decides donors: given the same
    parameters the matching takes the same donors, and the fits agree to rounding."""
    from statsmodels.imputation.mice import MICEData

    data = _scores(4)
    chain = MiceChain(data)
    frame = pd.DataFrame(data, columns=["v0", "v1", "v2", "v3"])
    reference = MICEData(frame, rng=np.random.default_rng(0))  # seeded: the same data each run
    for j in chain.order:
        name = f"v{j}"
        reference.perturb_params(name)
        fit = reference.results[name]
        current = reference.data.to_numpy(dtype=np.float64)  # earlier columns imputed
        v_obs = current.take(chain.observed[j], axis=0)
        beta, cov = mice._ols_gram(v_obs, j)  # type: ignore[misc]
        # rounding relative to the largest coefficient: a slope near zero differs in its 10th digit
        scale = np.abs(fit.params).max()
        np.testing.assert_allclose(beta, fit.params, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-10)
        endog_obs, exog_obs, exog_miss, _, _ = reference.get_split_data(name)
        params = reference.params[name]
        reference.rng = np.random.default_rng(j)
        reference.impute(name)
        donors = mice._match(
            np.ravel(endog_obs),
            np.ravel(exog_obs @ params),
            np.ravel(exog_miss @ params),
            np.random.default_rng(j),
        )
        assert_array_equal(donors, reference.data[name].to_numpy()[chain.missing[j]])


def test_scores_with_ties_impute_observed_values() -> None:
    data = _scores(6)
    for completed in [MiceChain(data).run(np.random.default_rng(s), 3) for s in range(3)]:
        assert not np.isnan(completed).any()
        assert_array_equal(completed[~np.isnan(data)], data[~np.isnan(data)])
        for j in range(3):
            assert set(completed[:, j]) <= set(data[~np.isnan(data[:, j]), j])


def test_collinear_columns_take_the_pseudo_inverse_like_micedata() -> None:
    """Two columns equal up to a constant: the cross-products are singular, and the fit falls
    back to the pseudo-inverse with MICEData's cut-off."""
    rng = np.random.default_rng(5)
    base = rng.normal(size=(200, 2))
    data = np.column_stack([base, base[:, 0] * 2 + 1, rng.normal(size=200)])
    data[rng.random(200) < 0.2, 3] = np.nan
    assert_array_equal(
        MiceChain(data).run(np.random.default_rng(8), 3), _statsmodels_chain(data, 8, 3)
    )


def test_the_start_is_the_observed_value_closest_to_the_mean() -> None:
    data = np.array([[1.0, 0.0], [2.0, np.nan], [4.0, 1.0], [np.nan, 1.0], [8.0, 0.0]])
    start = MiceChain(data).start
    assert start[3, 0] == 4.0  # mean 3.75
    assert start[1, 1] == 0.0  # mean 0.5: 0 and 1 tie, the first row wins
    assert_array_equal(start[~np.isnan(data)], data[~np.isnan(data)])


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="missing on every column"):
        MiceChain(np.array([[1.0, 2.0], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="no observed value"):
        MiceChain(np.array([[1.0, np.nan], [2.0, np.nan]]))
    with pytest.raises(ValueError, match="two-dimensional"):
        MiceChain(np.array([1.0, np.nan]))


def test_a_column_observed_too_rarely_for_its_model_is_a_clear_error() -> None:
    data = np.random.default_rng(0).normal(size=(50, 3))
    data[3:, 2] = np.nan  # 3 observed values; intercept + 2 columns need at least 4
    with pytest.raises(ValueError, match="column 2 has 3 observed values"):
        MiceChain(data)
    data[3, 2] = 1.0
    MiceChain(data).run(np.random.default_rng(1), 1)  # 4 are enough
