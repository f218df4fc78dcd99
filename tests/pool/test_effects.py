"""Effect sizes (``patalliance.pool.effects``) against outside values.

- Metapsy: every row of the shipped Metapsy file with means, SDs and ns (endpoint and change
  scores) reproduces the pipeline's own ``.g`` and ``.g_se`` to 1e-6 with
  ``convention="metapsy"`` (metapsyTools ``g.m.sd`` → ``esc::esc_mean_sd(es.type = "g")``).
- metafor: ``escalc(measure="SMD")`` printed in its documentation for the exact convention.
- Closed forms of Hedges' J and the Cochrane Handbook formulas.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from patalliance.pool.effects import change_sd, combine_groups, fisher_z, hedges_g, hedges_j
from patalliance.pool.metapsy import CHANGE, ENDPOINT, metapsy_g, read_metapsy

REF = json.loads((Path(__file__).parent / "reference_metafor.json").read_text(encoding="utf-8"))
METAPSY = Path(str(resources.files("patalliance"))) / "data/pool/psilocybin-depression/data.csv"


def test_every_metapsy_endpoint_row_reproduces_g_and_se() -> None:
    frame = read_metapsy(METAPSY)
    ours = metapsy_g(frame)
    rows = frame.loc[ours.index]
    assert len(ours) == 101  # msd and imsd rows: all rows with endpoint means, SDs and ns
    assert frame[list(ENDPOINT)].notna().all(axis=1).sum() == len(ours)
    assert_allclose(ours["g"], rows[".g"], rtol=0, atol=1e-6)
    assert_allclose(ours["g_se"], rows[".g_se"], rtol=0, atol=1e-6)


def test_every_metapsy_change_row_reproduces_g_and_se() -> None:
    frame = read_metapsy(METAPSY)
    ours = metapsy_g(frame, change=True)
    rows = frame.loc[ours.index]
    assert len(ours) == 38 and set(rows["outcome_type"]) == {"change"}
    assert frame[list(CHANGE)].notna().all(axis=1).sum() == len(ours)
    assert_allclose(ours["g"], rows[".g"], rtol=0, atol=1e-6)
    assert_allclose(ours["g_se"], rows[".g_se"], rtol=0, atol=1e-6)


def test_exact_convention_matches_metafor_escalc_smd() -> None:
    ref = REF["smd_exact"]
    es = hedges_g(
        ref["m1i"], ref["sd1i"], ref["n1i"], ref["m2i"], ref["sd2i"], ref["n2i"], convention="exact"
    )
    assert round(float(es.effect[0]), 4) == ref["yi"]
    assert round(float(es.se[0]) ** 2, 4) == ref["vi"]


def test_exact_j_closed_forms() -> None:
    # J(2) = Γ(1)/(1·Γ(1/2)) = 1/√π; J(4) = Γ(2)/(√2·Γ(3/2)) = √(2/π) (Hedges, 1981, eq. 6e)
    assert_allclose(hedges_j([2, 4]), [1 / math.sqrt(math.pi), math.sqrt(2 / math.pi)], rtol=1e-14)
    assert math.isnan(hedges_j(1)[0])


@given(st.integers(min_value=10, max_value=5000))
def test_approximate_j_is_close_to_exact(m: int) -> None:
    exact, approx = hedges_j(m)[0], hedges_j(m, exact=False)[0]
    assert 0 < exact < 1 and abs(exact - approx) < 0.01 / m


def test_unknown_convention_is_refused() -> None:
    with pytest.raises(ValueError, match="'convention' parameter of hedges_g"):
        hedges_g(1, 1, 10, 0, 1, 10, convention="esc")  # type: ignore[arg-type]


def test_change_sd_and_combined_groups_by_hand() -> None:
    assert_allclose(change_sd(4.0, 3.0, 0.5), [math.sqrt(16 + 9 - 12)])
    # Cochrane Handbook Table 6.5.a, two arms combined by hand:
    n, m, s = combine_groups([9, 15], [10.0, 14.0], [5.0, 7.0])
    mean = (9 * 10 + 15 * 14) / 24
    sd = math.sqrt((8 * 25 + 14 * 49 + 9 * 15 / 24 * 16) / 23)
    assert (n, round(m, 12), round(s, 12)) == (24.0, round(mean, 12), round(sd, 12))


def test_fisher_z() -> None:
    es = fisher_z([-0.65, 0.3], [20, 103])
    assert_allclose(es.effect, np.arctanh([-0.65, 0.3]))
    assert_allclose(es.se, [1 / math.sqrt(17), 0.1])
    assert math.isnan(fisher_z(0.2, 3).se[0])
