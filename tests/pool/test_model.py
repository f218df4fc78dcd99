"""The random-effects model (``patalliance.pool.model``) against outside values.

- DL and PM: statsmodels ``combine_effects`` (estimate, its SE, τ², Q, I²) to 1e-8. Its PM
  iteration stops when the estimating equation is within ``atol`` (1e-5 by default), so it is
  run with ``atol=1e-12``.
- REML: metafor's printed output for the BCG vaccine data (rma.uni, confint, test="knha"),
  quoted in ``reference_metafor.json`` with the R calls.
- HKSJ and the prediction interval: hand computations from the formulas.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from patalliance.pool.metapsy import read_metapsy, select_primary
from patalliance.pool.model import random_effects
from patalliance.status import Status

REF = json.loads((Path(__file__).parent / "reference_metafor.json").read_text(encoding="utf-8"))


def bcg() -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratios and variances of the BCG trials (metafor escalc measure="RR")."""
    b = REF["bcg"]
    a, bb, c, d = (np.array(b[k], dtype=float) for k in ("tpos", "tneg", "cpos", "cneg"))
    yi = np.log(a / (a + bb)) - np.log(c / (c + d))
    vi = 1 / a - 1 / (a + bb) + 1 / c - 1 / (c + d)
    return yi, vi


def psilocybin() -> tuple[np.ndarray, np.ndarray]:
    """The 12 psilocybin-vs-control g values of the Metapsy example."""
    path = Path(str(resources.files("patalliance"))) / "data/pool/psilocybin-depression/data.csv"
    table = select_primary(read_metapsy(path))
    return table.effects, table.ses**2


def test_bcg_effect_sizes_match_metafor_escalc() -> None:
    yi, vi = bcg()
    assert_allclose(np.round(yi, 4), REF["bcg"]["yi"], atol=1e-12)
    assert_allclose(np.round(vi, 4), REF["bcg"]["vi"], atol=1e-12)


@pytest.mark.parametrize("data", [bcg, psilocybin])
@pytest.mark.parametrize(("method", "sm_method"), [("DL", "dl"), ("PM", "pm")])
def test_dl_and_pm_match_statsmodels(data: object, method: str, sm_method: str) -> None:
    yi, vi = data()  # type: ignore[operator]
    ours = random_effects(yi, np.sqrt(vi), method=method)  # type: ignore[arg-type]
    kwds = {"atol": 1e-12, "maxiter": 1000} if sm_method == "pm" else {}
    sm = combine_effects(yi, vi, method_re=sm_method, **kwds)
    assert_allclose(ours.estimate, sm.mean_effect_re, rtol=0, atol=1e-8)
    assert_allclose(ours.se, sm.sd_eff_w_re, rtol=0, atol=1e-8)
    assert_allclose(ours.tau2, sm.tau2, rtol=0, atol=1e-8)
    assert_allclose(ours.q, sm.q, rtol=0, atol=1e-8)
    assert sm.i2 > 0  # statsmodels does not truncate I² at 0; here Q > df
    assert_allclose(ours.i2, sm.i2, rtol=0, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 2), st.floats(0.05, 1.0)), min_size=2, max_size=15))
def test_dl_pm_match_statsmodels_on_any_data(rows: list[tuple[float, float]]) -> None:
    """Where statsmodels' answer is an estimate: its DL τ² is not truncated at 0, and its PM
    Newton iteration (DerSimonian & Kacker, 2007) returns 0 whenever a step overshoots the
    root. Our PM root is checked against its defining equation instead."""
    yi = np.array([r[0] for r in rows])
    vi = np.array([r[1] for r in rows]) ** 2
    assume(np.ptp(yi) > 1e-3)  # statsmodels divides by Q, which is 0 for identical effects
    for method, sm_method in (("DL", "dl"), ("PM", "pm")):
        ours = random_effects(yi, np.sqrt(vi), method=method)  # type: ignore[arg-type]
        kwds = {"atol": 1e-11, "maxiter": 1000} if sm_method == "pm" else {}
        with np.errstate(invalid="ignore"):  # statsmodels takes sqrt of a negative τ²
            sm = combine_effects(yi, vi, method_re=sm_method, **kwds)
        assert_allclose(ours.q, sm.q, rtol=1e-12, atol=1e-10)
        assert_allclose(ours.i2, max(0.0, sm.i2), rtol=0, atol=1e-8)
        assert ours.ci_low <= ours.estimate <= ours.ci_high
        assert ours.tau2_ci_low <= ours.tau2_ci_high
        if method == "PM" and ours.tau2 > 0:
            w = 1 / (vi + ours.tau2)
            assert_allclose(w @ (yi - w @ yi / w.sum()) ** 2, len(yi) - 1, rtol=1e-10)
        if sm.tau2 <= 0:
            assert method == "PM" or ours.tau2 == 0.0
            continue
        assert_allclose(ours.estimate, sm.mean_effect_re, rtol=0, atol=1e-8)
        assert_allclose(ours.tau2, sm.tau2, rtol=0, atol=1e-8)


def test_reml_matches_metafor_bcg() -> None:
    yi, vi = bcg()
    res = random_effects(yi, np.sqrt(vi))
    ref = REF["bcg_reml"]
    assert res.method == "REML" and res.status == Status.OK
    assert round(res.tau2, 4) == ref["tau2"]
    assert round(res.q, 4) == ref["q"]
    assert round(res.estimate, 4) == ref["estimate"]
    assert round(res.se, 4) == ref["se"]
    assert round(res.statistic, 4) == ref["zval"]
    assert round(res.ci_low, 4) == ref["ci_lb"]
    assert round(res.ci_high, 4) == ref["ci_ub"]


def test_q_profile_interval_matches_metafor_bcg() -> None:
    yi, vi = bcg()
    res = random_effects(yi, np.sqrt(vi))
    ref = REF["bcg_reml_confint"]
    # printed to 4 decimals: [0.1197, 1.1115]; metafor's uniroot() stops near 1e-4
    assert (round(res.tau2_ci_low, 4), round(res.tau2_ci_high, 4)) == (0.1197, 1.1115)
    assert_allclose([res.tau2_ci_low, res.tau2_ci_high], [ref["tau2_ci_lb"], ref["tau2_ci_ub"]],
                    atol=1e-4)  # fmt: skip
    assert_allclose(100 * res.i2_ci_low, ref["i2_percent_ci_lb"], atol=0.01)
    assert_allclose(100 * res.i2_ci_high, ref["i2_percent_ci_ub"], atol=0.01)
    # our bounds solve the Q-profile equations to full precision
    df = len(yi) - 1
    for tau2, q in ((res.tau2_ci_low, stats.chi2.ppf(0.975, df)),
                    (res.tau2_ci_high, stats.chi2.ppf(0.025, df))):  # fmt: skip
        w = 1 / (vi + tau2)
        mu = w @ yi / w.sum()
        assert_allclose(w @ (yi - mu) ** 2, q, rtol=1e-10)


def test_hksj_matches_metafor_knha_and_hand_computation() -> None:
    yi, vi = bcg()
    res = random_effects(yi, np.sqrt(vi), hksj=True)
    ref = REF["bcg_reml_knha"]
    assert round(res.se, 4) == ref["se"]
    assert round(res.statistic, 4) == ref["tval"]
    assert res.df == ref["df"]
    assert round(res.p, 4) == ref["pval"]
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (ref["ci_lb"], ref["ci_ub"])
    # by hand: SE² = Σ w*(y − μ)² / ((k − 1) Σ w*), t with k − 1 df
    w = 1 / (vi + res.tau2)
    mu = w @ yi / w.sum()
    se = math.sqrt(w @ (yi - mu) ** 2 / ((len(yi) - 1) * w.sum()))
    t = stats.t.ppf(0.975, len(yi) - 1)
    assert_allclose([res.se, res.ci_low, res.ci_high], [se, mu - t * se, mu + t * se], rtol=1e-12)


@pytest.mark.parametrize("hksj", [False, True])
def test_prediction_interval_by_hand(hksj: bool) -> None:
    yi, vi = bcg()
    res = random_effects(yi, np.sqrt(vi), hksj=hksj, confidence_level=0.9)
    half = stats.t.ppf(0.95, len(yi) - 2) * math.sqrt(res.tau2 + res.se**2)
    assert_allclose([res.pi_low, res.pi_high], [res.estimate - half, res.estimate + half])
    assert res.confidence_level == 0.9


def test_two_studies_have_no_prediction_interval_and_one_is_not_estimable() -> None:
    two = random_effects([0.1, 0.5], [0.2, 0.3])
    assert two.status == Status.OK and math.isnan(two.pi_low) and "k >= 3" in two.reason
    one = random_effects([0.1], [0.2])
    assert one.status == Status.NOT_ESTIMABLE and math.isnan(one.estimate)
    assert "at least 2 studies" in one.reason


def test_homogeneous_studies_give_zero_tau2_and_i2() -> None:
    for method in ("REML", "DL", "PM"):
        res = random_effects([0.3, 0.31, 0.29], [0.2, 0.2, 0.2], method=method)  # type: ignore[arg-type]
        assert res.tau2 == 0.0 and res.i2 == 0.0 and res.tau2_ci_low == 0.0


def test_weights_sum_to_one_and_bad_input_is_refused() -> None:
    res = random_effects([0.1, 0.5, 0.9], [0.2, 0.3, 0.4])
    assert_allclose(sum(res.weights), 1.0)
    assert list(res.to_frame().columns)[:3] == ["method", "k", "estimate"]
    with pytest.raises(ValueError, match="'method' parameter"):
        random_effects([0.1, 0.2], [0.1, 0.1], method="ML")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'se' parameter"):
        random_effects([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(ValueError, match="'confidence_level'"):
        random_effects([0.1, 0.2], [0.1, 0.1], confidence_level=95)
