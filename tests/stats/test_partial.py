"""Partial correlation against frozen reference values.

``tests/reference/partial.json`` (made by ``tests/reference/make_partial.py``) holds r and p of
``pingouin.partial_corr`` (cross-checked there against statsmodels OLS residuals and scipy's t
distribution), the t statistic, and the Fisher (1924) interval with k covariates at full
precision (pingouin rounds its own to 2 decimals). Closed forms: ``rtol = 1e-10``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import partial_correlation
from patalliance.status import Status

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "partial.json").read_text("utf-8")
)


@pytest.mark.parametrize(
    "case",
    REFERENCE["cases"],
    ids=lambda c: f"{'+'.join(c['covariates'])}-{c['confidence_level']}",
)
def test_matches_frozen_reference(case):
    data = REFERENCE["inputs"]
    covariates = np.column_stack([np.array(data[c], dtype=float) for c in case["covariates"]])
    res = partial_correlation(
        np.array(data["x"], dtype=float),
        np.array(data["y"], dtype=float),
        covariates,
        confidence_level=case["confidence_level"],
    )
    assert res.status is Status.OK
    assert (res.n, res.k) == (case["n"], case["k"])
    for key in ("r", "df", "t", "p", "ci_low", "ci_high"):
        assert_allclose(getattr(res, key), case[key], rtol=RTOL, err_msg=key)
