"""Analytic power and sample size against frozen reference values.

``tests/reference/power.json`` (made by ``tests/reference/make_power.py``) holds

- the paired t-test power of statsmodels ``TTestPower`` and the smallest n reaching a target
  (equal to the ceiling of ``TTestPower().solve_power``), compared at ``rtol = 1e-10`` (the
  same closed form in noncentral-t special functions) and exactly for n;
- the Fisher-z correlation power of R's ``pwr.r.test`` formula, compared at ``rtol = 1e-10``
  (a closed form);
- the exact correlation power under the bivariate-normal model, computed by a route
  independent of the package (a chi-square mixture of noncentral-t rejection probabilities,
  one quadrature) where the package integrates the exact density of r in Fisher's z (another
  quadrature). Each quadrature is accurate to about 1e-12 (the two agree to about 5e-13), so
  the comparison uses ``rtol = 1e-9``;
- the smallest n for both correlation methods, compared exactly: every target lies at least
  1e-4 away from the reference power at n and at n - 1, far more than the tolerances above.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from patalliance.simulate.power import (
    n_for_power_correlation,
    n_for_power_paired,
    power_correlation_exact,
    power_correlation_fisher,
    power_paired,
)

RTOL = 1e-10
RTOL_QUADRATURE = 1e-9
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "power.json").read_text("utf-8")
)


def _ids(keys: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return lambda case: ",".join(f"{k}={case[k]}" for k in keys)


@pytest.mark.parametrize("case", REFERENCE["paired"]["cases"], ids=_ids(("d", "n", "alpha")))
def test_power_paired_matches_frozen_statsmodels(case):
    power = power_paired(case["d"], case["n"], alpha=case["alpha"])
    assert_allclose(power, case["power"], rtol=RTOL)


@pytest.mark.parametrize("case", REFERENCE["paired_n"]["cases"], ids=_ids(("d", "power", "alpha")))
def test_n_for_power_paired_matches_frozen_statsmodels(case):
    assert (
        min(case["power_at_n"] - case["power"], case["power"] - case["power_at_n_minus_1"]) > 1e-4
    )
    assert n_for_power_paired(case["d"], power=case["power"], alpha=case["alpha"]) == case["n"]


@pytest.mark.parametrize("case", REFERENCE["correlation"]["cases"], ids=_ids(("r", "n", "alpha")))
def test_power_correlation_fisher_matches_frozen_pwr_formula(case):
    power = power_correlation_fisher(case["r"], case["n"], alpha=case["alpha"])
    assert_allclose(power, case["power_fisher"], rtol=RTOL)


@pytest.mark.parametrize("case", REFERENCE["correlation"]["cases"], ids=_ids(("r", "n", "alpha")))
def test_power_correlation_exact_matches_frozen_independent_integral(case):
    power = power_correlation_exact(case["r"], case["n"], alpha=case["alpha"])
    assert_allclose(power, case["power_exact"], rtol=RTOL_QUADRATURE)


@pytest.mark.parametrize(
    "case", REFERENCE["correlation_n"]["cases"], ids=_ids(("r", "power", "alpha"))
)
@pytest.mark.parametrize("method", ["fisher", "exact"])
def test_n_for_power_correlation_matches_frozen_reference(case, method):
    ref = case[method]
    assert min(ref["power_at_n"] - case["power"], case["power"] - ref["power_at_n_minus_1"]) > 1e-4
    n = n_for_power_correlation(case["r"], power=case["power"], alpha=case["alpha"], method=method)
    assert n == ref["n"]
