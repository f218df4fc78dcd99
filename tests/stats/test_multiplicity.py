"""P-value adjustment against statsmodels and pingouin, live and frozen.

Live oracles: statsmodels ``multipletests`` and ``pingouin.multicomp`` at test time. Frozen
oracles: ``tests/reference/multiplicity.json`` (``multipletests`` output made by
``tests/reference/make_multiplicity.py``, compared at ``rtol = 1e-10``: a closed form) and
the worked example of Benjamini & Hochberg (1995), compared by its printed decision.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from statsmodels.stats.multitest import multipletests

from patalliance.stats import adjust_pvalues
from patalliance.stats.multiplicity import adjust_pvalues_batch

RTOL = 1e-10
P = np.array([0.002, 0.036, 0.014, np.nan, 0.027, 0.040, 0.030, 0.0004, 0.2, np.nan, 0.61])


@pytest.mark.parametrize(("method", "pingouin_method"), [("holm", "holm"), ("fdr_bh", "fdr_bh")])
def test_matches_statsmodels_and_pingouin_ignoring_nan(method, pingouin_method):
    out = adjust_pvalues(P, method=method)
    ok = ~np.isnan(P)
    assert_array_equal(np.isnan(out), ~ok)
    ref = multipletests(P[ok], method=method)[1]
    assert_allclose(out[ok], ref, rtol=RTOL)
    _, ref_pg = pingouin.multicomp(P, method=pingouin_method)
    assert_allclose(out, ref_pg, rtol=RTOL, equal_nan=True)


def test_none_returns_a_copy():
    out = adjust_pvalues(P, method="none")
    assert_allclose(out, P, equal_nan=True)
    assert out is not P


def test_shape_is_kept_and_family_is_all_entries():
    grid = P[:8].reshape(2, 4)
    out = adjust_pvalues(grid, method="holm")
    assert out.shape == (2, 4)
    flat = adjust_pvalues(P[:8], method="holm")
    assert_allclose(out.ravel(), flat, equal_nan=True)


def test_all_nan_and_empty():
    assert np.isnan(adjust_pvalues([np.nan, np.nan], method="holm")).all()
    assert adjust_pvalues([], method="fdr_bh").shape == (0,)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="The 'method' parameter of adjust_pvalues"):
        adjust_pvalues(P, method="bonferroni")
    with pytest.raises(ValueError, match="The 'p' parameter of adjust_pvalues"):
        adjust_pvalues([0.2, 1.5])
    with pytest.raises(ValueError, match="non-numeric"):
        adjust_pvalues(["a"])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.just(np.nan), st.floats(0.0, 1.0)), min_size=1, max_size=40),
    st.sampled_from(["none", "holm", "fdr_bh"]),
)
def test_property_adjusted_at_least_raw(p, method):
    raw = np.array(p)
    out = adjust_pvalues(raw, method=method)
    ok = ~np.isnan(raw)
    assert_array_equal(np.isnan(out), ~ok)
    assert np.all(out[ok] >= raw[ok] - 1e-15)
    assert np.all(out[ok] <= 1.0)


# ------------------------------------------------------------------ many families at once


@pytest.mark.usefixtures("fast_gc")
@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_vectorized_adjustment_matches_multipletests(method: str) -> None:
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.2, size=(300, 6))
    p[:20, 2] = p[:20, 4]  # ties
    p[20:40] = np.round(p[20:40], 2)
    adj = adjust_pvalues_batch(p, method=method)
    for row, adj_row in zip(p, adj, strict=True):
        reject, expected, _, _ = multipletests(row, alpha=0.05, method=method)
        assert_allclose(adj_row, expected, rtol=1e-12, atol=0)
        assert_array_equal(adj_row <= 0.05, reject)
    assert_array_equal(adjust_pvalues_batch(p, method="none"), p)
    assert_allclose(adjust_pvalues_batch(p[:, :1], method=method), p[:, :1])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
    st.sampled_from(["holm", "fdr_bh"]),
)
def test_adjusted_p_is_between_raw_and_one(values: list[float], method: str) -> None:
    p = np.array([values])
    adj = adjust_pvalues_batch(p, method=method)
    assert np.all(adj >= p - 1e-15)
    assert np.all(adj <= 1.0)


def test_adjust_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="'method' parameter"):
        adjust_pvalues_batch(np.array([0.1]), method="bonf")
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        adjust_pvalues_batch(np.array([1.2]), method="holm")


# ------------------------------------------------------------------ frozen reference values

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "multiplicity.json").read_text("utf-8")
)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_family_with_missing_matches_frozen_reference(method: str) -> None:
    ref = REFERENCE["family_with_missing"]
    out = adjust_pvalues(np.array(ref["p"], dtype=float), method=method)
    assert_allclose(out, np.array(ref[method], dtype=float), rtol=RTOL, equal_nan=True)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_batch_matches_frozen_reference(method: str) -> None:
    ref = REFERENCE["batch"]
    out = adjust_pvalues_batch(np.array(ref["p"]), method=method)
    assert_allclose(out, np.array(ref[method]), rtol=RTOL)


def test_benjamini_hochberg_1995_worked_example() -> None:
    ref = REFERENCE["published_bh_1995"]
    p = np.array(ref["p"])
    out = adjust_pvalues(p, method="fdr_bh")
    rejected = out <= ref["q"]
    assert rejected.sum() == ref["rejected_by_fdr_bh"]
    assert_array_equal(rejected, p <= np.sort(p)[ref["rejected_by_fdr_bh"] - 1])
