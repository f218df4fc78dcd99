"""ICC(1) against frozen reference values and the published example of Shrout & Fleiss (1979).

``tests/reference/icc.json`` (made by ``tests/reference/make_icc.py``) holds the mean squares
of a statsmodels one-way ANOVA, the F test and the ICC(1) with its McGraw & Wong (1996,
Table 7, case 1) interval from scipy's F quantiles at full precision, cross-checked there
against ``pingouin.intraclass_corr``. Closed forms: compared at ``rtol = 1e-10``. Shrout &
Fleiss's printed mean squares and ICC(1,1) are compared at their printed 2 decimals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import icc1
from patalliance.status import Status

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "icc.json").read_text("utf-8")
)
_COUNTS = ("n", "n_clusters", "n_singletons")


def _check(res, expected: dict) -> None:
    assert res.status is Status.OK
    for key, value in expected.items():
        if key in _COUNTS:
            assert getattr(res, key) == value, key
        else:
            assert_allclose(getattr(res, key), value, rtol=RTOL, err_msg=key)


def _shrout_fleiss() -> tuple[np.ndarray, np.ndarray]:
    ratings = np.array(REFERENCE["shrout_fleiss_1979"]["ratings"])
    targets = np.repeat([f"t{i + 1}" for i in range(ratings.shape[0])], ratings.shape[1])
    return ratings.ravel(), targets


def test_shrout_fleiss_data_matches_frozen_reference():
    values, targets = _shrout_fleiss()
    _check(icc1(values, targets), REFERENCE["shrout_fleiss_1979"]["expected"])


def test_shrout_fleiss_1979_printed_values():
    values, targets = _shrout_fleiss()
    res = icc1(values, targets)
    published = REFERENCE["shrout_fleiss_1979"]["published"]
    decimals = published["printed_decimals"]
    assert round(res.ms_between, decimals) == published["ms_between"]
    assert round(res.ms_within, decimals) == published["ms_within"]
    assert round(res.icc, decimals) == published["icc"]


@pytest.mark.parametrize(
    "expected", REFERENCE["unbalanced"]["expected"], ids=lambda e: str(e["confidence_level"])
)
def test_unbalanced_clusters_match_frozen_reference(expected):
    data = REFERENCE["unbalanced"]
    values = np.array(data["values"], dtype=float)
    labelled = np.array([c is not None for c in data["clusters"]])
    # The row without a cluster label is dropped here; the next test passes it to icc1.
    clusters = np.array(data["clusters"], dtype=object)[labelled]
    res = icc1(values[labelled], clusters, confidence_level=expected["confidence_level"])
    _check(res, expected)


def test_missing_cluster_label_is_left_out():
    data = REFERENCE["unbalanced"]
    expected = REFERENCE["unbalanced"]["expected"][0]
    res = icc1(
        np.array(data["values"], dtype=float),
        np.array(data["clusters"], dtype=object),
        confidence_level=expected["confidence_level"],
    )
    _check(res, expected)
