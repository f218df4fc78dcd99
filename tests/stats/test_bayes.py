"""Jeffreys' Bayes factor of a correlation against frozen pingouin values.

``tests/reference/bayes.json`` (made by ``tests/reference/make_bayes.py``) holds
``pingouin.bayesfactor_pearson(r, n, kappa=kappa)`` (Ly, Verhagen & Wagenmakers 2016, the
analytic two-sided formula). A closed form of Gamma and 2F1 functions: ``rtol = 1e-10``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pingouin as pg
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import bayes_factor_pearson

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "bayes.json").read_text("utf-8")
)
CASES = REFERENCE["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"r={c['r']},n={c['n']},k={c['kappa']}")
def test_matches_frozen_reference(case):
    res = bayes_factor_pearson(case["r"], case["n"], kappa=case["kappa"])
    assert_allclose(res.bf10, case["bf10"], rtol=RTOL)
    # log_bf10 may be near 0, where a relative tolerance is meaningless: compare on the
    # scale of the Bayes factor (|d log bf| = |d bf| / bf).
    assert_allclose(res.log_bf10, case["log_bf10"], rtol=RTOL, atol=RTOL)
    assert res.prior == "stretched_beta" and res.alternative == "two-sided"


def test_vectorized_over_the_frozen_cases_with_kappa_one():
    cases = [c for c in CASES if c["kappa"] == 1.0]
    res = bayes_factor_pearson(np.array([c["r"] for c in cases]), np.array([c["n"] for c in cases]))
    assert_allclose(res.bf10, [c["bf10"] for c in cases], rtol=RTOL)


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
