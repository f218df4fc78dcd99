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
