"""The bundled examples (``patalliance.pool.examples`` and ``metapsy.select_primary``)."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from patalliance.pool.effects import combine_groups, hedges_g
from patalliance.pool.examples import FLUCKIGER_2018, load_example
from patalliance.pool.metapsy import read_metapsy, select_primary
from patalliance.status import Status


@pytest.fixture(scope="module")
def metapsy():  # type: ignore[no-untyped-def]
    from importlib import resources
    from pathlib import Path

    root = Path(str(resources.files("patalliance"))) / "data/pool/psilocybin-depression"
    return read_metapsy(root / "data.csv")


def test_selection_is_primary_instrument_timepoint_and_control(metapsy) -> None:  # type: ignore[no-untyped-def]
    table = select_primary(metapsy)
    assert table.k == 12 and table.measure == "g" and table.convention == "metapsy"
    names = [s.study for s in table.studies]
    assert "Griffiths 2016" not in names and "Luquiens 2025" not in names  # low-dose comparators
    assert "Goodwin 2022" not in names  # reported as change scores only
    assert any(n.startswith("Not used, no endpoint") and "Goodwin 2022" in n for n in table.notes)
    assert all(not s.higher_is_better and s.effect > -1 for s in table.studies)
    chosen = metapsy[
        (metapsy.outcome_type == "msd")
        & (metapsy.primary_instrument == 1)
        & (metapsy.primary_timepoint == 1)
        & metapsy.condition_arm2.isin(["wl", "ncn", "pcb", "esc", "mbsr"])
        & (metapsy.study != "Krempien 2023")
    ]
    by_study = {s.study: s for s in table.studies}
    for _, row in chosen.iterrows():
        s = by_study[row["study"]]
        assert_allclose(-s.effect, row[".g"], atol=1e-6)  # sign: positive favours psilocybin
        assert_allclose(s.se, row[".g_se"], atol=1e-6)


def test_krempien_arms_are_combined_against_the_shared_placebo(metapsy) -> None:  # type: ignore[no-untyped-def]
    table = select_primary(metapsy)
    k = next(s for s in table.studies if s.study == "Krempien 2023")
    rows = metapsy[
        (metapsy.study == "Krempien 2023")
        & (metapsy.outcome_type == "msd")
        & (metapsy.condition_arm2 == "pcb")
        & (metapsy.primary_timepoint == 1)
    ]
    assert len(rows) == 2
    n1, m1, s1 = combine_groups(rows.n_arm1, rows.mean_arm1, rows.sd_arm1)
    ctrl = rows.iloc[0]
    g = hedges_g(m1, s1, n1, ctrl.mean_arm2, ctrl.sd_arm2, ctrl.n_arm2, convention="metapsy")
    assert (n1, k.n) == (24.0, 33.0)
    assert_allclose([k.effect, k.se], [-g.effect[0], g.se[0]])
    assert any("Krempien 2023: 2 psilocybin arms" in n for n in table.notes)


def test_psilocybin_example_pools_twelve_studies() -> None:
    from patalliance.pool.analysis import pool

    ex = load_example("psilocybin-depression")
    res = pool(ex.table, subgroup_column=ex.subgroup_column)
    assert res.model.k == 12 and res.estimate > 0 and res.egger.status == Status.OK
    assert res.subgroups is not None and res.subgroups.column == "rating"


def test_alliance_example_has_one_verified_trial_and_the_benchmark() -> None:
    ex = load_example("alliance")
    assert ex.table.k == 1 and ex.benchmark is FLUCKIGER_2018
    levin = ex.table.studies[0]
    assert levin.study == "levin2024" and levin.n == 20 and levin.sign_flipped
    assert_allclose(levin.effect, math.atanh(0.65))
    assert FLUCKIGER_2018.estimate == 0.278 and FLUCKIGER_2018.doi == "10.1037/pst0000172"


def test_unknown_example() -> None:
    with pytest.raises(ValueError, match="'name' parameter of load_example"):
        load_example("ketamine")
