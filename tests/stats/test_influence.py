"""Leave-one-out correlations against frozen scipy values.

``tests/reference/influence.json`` (made by ``tests/reference/make_influence.py``) holds, for
each complete case left out, ``scipy.stats.pearsonr`` / ``spearmanr`` of the other cases (r
and its p on n - 3 df). Closed forms: ``rtol = 1e-10``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import leave_one_out

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "influence.json").read_text("utf-8")
)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_matches_frozen_reference(method):
    data = REFERENCE["inputs"]
    expected = REFERENCE[method]
    res = leave_one_out(
        np.array(data["x"], dtype=float),
        np.array(data["y"], dtype=float),
        data["ids"],
        method=method,
    )
    assert res.n == expected["n"]
    assert list(res.participants) == [row["left_out"] for row in expected["rows"]]
    assert_allclose(res.r, [row["r"] for row in expected["rows"]], rtol=RTOL)
    assert_allclose(res.p, [row["p"] for row in expected["rows"]], rtol=RTOL)


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


def _scipy_loop(x: np.ndarray, y: np.ndarray, method: str) -> np.ndarray:
    """scipy on the n - 1 remaining cases, each case left out in turn (NaN when constant)."""
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    out = []
    for i in range(x.size):
        a, b = np.delete(x, i), np.delete(y, i)
        out.append(np.nan if np.ptp(a) == 0 or np.ptp(b) == 0 else fn(a, b).statistic)
    return np.array(out)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("case", ["ties", "outlier", "constant_without_one", "two_levels"])
def test_closed_forms_match_rescoring_every_subset(method: str, case: str) -> None:
    """Downdated sums (Pearson) and shifted ranks with a dominance count (Spearman) against
    re-ranking and refitting every subset: heavy ties, a case that carries most of the
    variance, a variable constant once one case is left out, binary variables."""
    rng = np.random.default_rng(3)
    n = 60
    x, y = rng.normal(size=n), rng.normal(size=n)
    if case == "ties":
        x, y = np.round(x * 1.5), np.round(0.5 * x + y)
    elif case == "outlier":
        x[7], y[7] = 1e6, 2e5
    elif case == "constant_without_one":
        x = np.full(n, 3.0)
        x[11] = 4.0
    else:
        x, y = (rng.random(n) < 0.3).astype(float), (rng.random(n) < 0.5).astype(float)
    res = leave_one_out(x, y, [f"P{i}" for i in range(n)], method=method)
    expected = _scipy_loop(x, y, method)
    assert_allclose(res.r, expected, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_ids_of_another_length_are_an_error() -> None:
    with pytest.raises(ValueError, match="same length"):
        leave_one_out(np.arange(5.0), np.arange(5.0), ["a", "b"])
