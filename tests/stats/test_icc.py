"""ICC(1) against frozen reference values and the published example of Shrout & Fleiss (1979).

``tests/reference/icc.json`` (made by ``tests/reference/make_icc.py``) holds the mean squares
of a statsmodels one-way ANOVA, the F test and the ICC(1) with its McGraw & Wong (1996,
Table 7, case 1) interval from scipy's F quantiles at full precision, cross-checked there
against ``pingouin.intraclass_corr``. Closed forms: compared at ``rtol = 1e-10``. Shrout &
Fleiss's printed mean squares and ICC(1,1) are compared at their printed 2 decimals.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose

from patalliance.analysis.facilitator import cluster_warnings
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


def test_icc1_matches_pingouin_balanced() -> None:
    rng = np.random.default_rng(4)
    a, k = 6, 4
    effect = np.repeat(rng.normal(0, 1.0, a), k)
    values = 40 + effect + rng.normal(0, 1.5, a * k)
    fac = np.repeat([f"F{i}" for i in range(a)], k)
    res = icc1(values, fac)
    long = pd.DataFrame({"target": fac, "rater": np.tile(np.arange(k), a), "score": values})
    with warnings.catch_warnings():  # pingouin 0.7 uses an inplace= that pandas 3 deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")
    row = ref.set_index("Type").loc["ICC(1,1)"]
    assert_allclose([res.icc, res.f, res.p], [row["ICC"], row["F"], row["pval"]], rtol=1e-8)
    assert_allclose([res.ci_low, res.ci_high], row["CI95"], atol=0.005)  # pingouin rounds to 2 dp
    assert res.n == a * k and res.k0 == k and res.n_singletons == 0


def test_single_facilitator_and_singletons_give_messages() -> None:
    one = icc1([1.0, 2, 3, 4], ["F1"] * 4, cluster_name="facilitator")
    assert one.status == "not_estimable" and "1 facilitator(s)" in one.reason
    assert any("Only 1 facilitator" in w.message for w in cluster_warnings(np.array([4])))
    single = icc1([1.0, 2, 3, 4, 5], ["A", "A", "B", "B", "C"])
    assert single.status == "ok" and single.n_singletons == 1
    assert any("single participant" in w.message for w in cluster_warnings(np.array([2, 2, 1])))
