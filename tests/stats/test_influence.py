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
