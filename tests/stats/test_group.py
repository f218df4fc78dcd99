"""Two-group statistics against frozen reference values and Newcombe's (1998) table.

``tests/reference/group.json`` (made by ``tests/reference/make_group.py``) holds Welch's t from
``scipy.stats.ttest_ind(equal_var=False)``, Cohen's d from ``pingouin.compute_effsize`` with
the exact Hedges correction and the Hedges & Olkin normal interval, the ANCOVA group effect
from ``statsmodels.api.OLS`` and Wilson intervals from statsmodels ``proportion_confint``.
All are closed forms: compared at ``rtol = 1e-10``. Newcombe's (1998, Table II) published
Wilson intervals are compared at their printed 4 decimals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import ancova, cohens_d, welch_t, wilson_interval

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "group.json").read_text("utf-8")
)
X = np.array(REFERENCE["inputs"]["x"], dtype=float)
Y = np.array(REFERENCE["inputs"]["y"], dtype=float)


def _check(res, expected: dict, skip: tuple[str, ...] = ("confidence_level",)) -> None:
    for key, value in expected.items():
        if key in skip:
            continue
        got = getattr(res, key)
        if isinstance(value, int):
            assert got == value, key
        else:
            assert_allclose(got, value, rtol=RTOL, err_msg=key)


@pytest.mark.parametrize(
    "case", REFERENCE["welch_t"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_welch_t_matches_frozen_reference(case):
    res = welch_t(X, Y, confidence_level=case["confidence_level"])
    _check(res, case)


@pytest.mark.parametrize(
    "case", REFERENCE["cohens_d"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_cohens_d_matches_frozen_reference(case):
    res = cohens_d(X, Y, confidence_level=case["confidence_level"])
    assert (res.n_x, res.n_y) == (9, 12)
    _check(res, case)


@pytest.mark.parametrize(
    "case", REFERENCE["ancova"]["cases"], ids=lambda c: str(c["confidence_level"])
)
def test_ancova_matches_frozen_reference(case):
    data = REFERENCE["ancova"]["inputs"]
    res = ancova(
        np.array(data["y"], dtype=float),
        np.array(data["group"], dtype=float),
        np.array(data["covariate"], dtype=float),
        confidence_level=case["confidence_level"],
    )
    _check(res, case)


@pytest.mark.parametrize(
    "case", REFERENCE["wilson_interval"]["cases"], ids=lambda c: f"{c['count']}/{c['nobs']}"
)
def test_wilson_interval_matches_frozen_reference(case):
    res = wilson_interval(case["count"], case["nobs"], confidence_level=case["confidence_level"])
    assert res.method == "wilson"
    # atol: an interval bound of exactly 0 or 1 (count = 0 or nobs) may come out as 1e-17
    # in one code and 0 in the other
    for key in ("proportion", "ci_low", "ci_high"):
        assert_allclose(getattr(res, key), case[key], rtol=RTOL, atol=1e-15, err_msg=key)


@pytest.mark.parametrize(
    "row", REFERENCE["published_wilson"]["rows"], ids=lambda r: f"{r['count']}/{r['nobs']}"
)
def test_wilson_interval_reproduces_newcombe_1998_table_ii(row):
    res = wilson_interval(row["count"], row["nobs"], confidence_level=0.95)
    decimals = REFERENCE["published_wilson"]["printed_decimals"]
    assert round(res.ci_low, decimals) == row["ci_low"]
    assert round(res.ci_high, decimals) == row["ci_high"]
