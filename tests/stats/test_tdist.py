"""The t-to-p and r-to-t functions against frozen reference values and a published t table.

``tests/reference/tdist.json`` holds ``2 * scipy.stats.t.sf(|t|, df)`` and the closed-form t
of a correlation (made by ``tests/reference/make_tdist.py``), compared at ``rtol = 1e-10``
(closed forms), and the NIST/SEMATECH table of critical values of t, compared at its printed
precision.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import correlation_t, t_two_sided_p

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "tdist.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", REFERENCE["t_two_sided_p"]["cases"], ids=str)
def test_t_two_sided_p_matches_frozen_reference(case):
    p = t_two_sided_p(case["t"], case["df"])
    assert isinstance(p, float)
    assert_allclose(p, case["p"], rtol=RTOL)


def test_t_two_sided_p_is_vectorized_over_the_frozen_cases():
    cases = REFERENCE["t_two_sided_p"]["cases"]
    t = np.array([c["t"] for c in cases])
    df = np.array([c["df"] for c in cases])
    assert_allclose(t_two_sided_p(t, df), [c["p"] for c in cases], rtol=RTOL)


def test_correlation_t_matches_frozen_reference():
    cases = REFERENCE["correlation_t"]["cases"]
    t, p = correlation_t([c["r"] for c in cases], [c["df"] for c in cases])
    assert_allclose(t, [c["t"] for c in cases], rtol=RTOL, atol=1e-300)
    assert_allclose(p, [c["p"] for c in cases], rtol=RTOL)


@pytest.mark.parametrize("row", REFERENCE["published_t_table"]["rows"], ids=lambda r: str(r["df"]))
def test_published_critical_values_give_p_005(row):
    # The table prints t to 3 decimals; p moves by about 2 f(t) per unit of t, so rounding
    # t by at most 0.0005 moves p by at most 2 f(t) * 0.0005.
    p = t_two_sided_p(row["t_crit"], row["df"])
    slack = 2.0 * stats.t.pdf(row["t_crit"], row["df"]) * 0.0005
    assert abs(p - REFERENCE["published_t_table"]["two_sided_p"]) <= slack * (1 + 1e-9)
