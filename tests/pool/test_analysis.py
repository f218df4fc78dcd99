"""``patalliance.pool.pool``: the result on the analysis scale, orientation, single studies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from patalliance.pool.analysis import Benchmark, pool
from patalliance.pool.model import random_effects
from patalliance.pool.studies import EffectTable, StudyEffect
from patalliance.status import Status


def _table(measure: str, effects: list[float], ses: list[float], **kw: object) -> EffectTable:
    studies = tuple(
        StudyEffect(f"s{i}", f"Study {i}", str(kw.get("groups", [""] * 99)[i]), y, s, 30.0)  # type: ignore[index]
        for i, (y, s) in enumerate(zip(effects, ses, strict=True))
    )
    return EffectTable(measure, studies)


def test_correlations_are_pooled_on_z_and_back_transformed() -> None:
    r = np.array([0.2, 0.45, 0.3, 0.6])
    n = np.array([40, 25, 80, 30])
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    res = pool(_table("r", list(z), list(se)), method="DL")
    fit = random_effects(z, se, method="DL")
    assert_allclose(res.estimate, math.tanh(fit.estimate))
    assert_allclose([res.ci_low, res.ci_high], np.tanh([fit.ci_low, fit.ci_high]))
    assert_allclose([res.pi_low, res.pi_high], np.tanh([fit.pi_low, fit.pi_high]))
    assert_allclose([s.effect for s in res.studies], r)
    assert res.model.tau2 == fit.tau2  # τ² stays on the z scale
    assert res.pooling_scale == "fisher_z" and res.effect_label == "r"
    assert_allclose(sum(s.weight for s in res.studies), 1.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=8))
def test_flipping_every_input_flips_the_pooled_sign(effects: list[float]) -> None:
    ses = [0.2 + 0.05 * i for i in range(len(effects))]
    up = pool(_table("g", effects, ses))
    down = pool(_table("g", [-e for e in effects], ses))
    assert_allclose(down.estimate, -up.estimate, atol=1e-9)
    assert_allclose(down.model.tau2, up.model.tau2, atol=1e-9)
    assert up.ci_low <= up.estimate <= up.ci_high


def test_single_study_is_shown_not_pooled() -> None:
    bench = Benchmark("benchmark", 0.28, 0.26, 0.30, 0.95, "a citation")
    res = pool(_table("r", [0.7], [0.25]), benchmark=bench)
    assert res.model.status == Status.NOT_ESTIMABLE and math.isnan(res.estimate)
    assert res.studies[0].weight == 1.0 and res.benchmark is bench
    assert res.egger.status == Status.NOT_ESTIMABLE and res.leave_one_out.records == ()


def test_subgroups_run_only_with_a_subgroup_column() -> None:
    effects, ses = [0.1, 0.5, 0.4, 0.9], [0.2, 0.25, 0.3, 0.2]
    assert pool(_table("g", effects, ses)).subgroups is None
    res = pool(_table("g", effects, ses, groups=["a", "a", "b", "b"]), subgroup_column="rating")
    assert res.subgroups is not None and res.subgroups.column == "rating"
    assert list(res.to_frame()["subgroup"]) == ["a", "a", "b", "b"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'method' parameter of pool"):
        pool(_table("g", [0.1, 0.2], [0.1, 0.1]), method="EB")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no studies"):
        pool(EffectTable("g", ()))
    with pytest.raises(ValueError, match="'measure'"):
        EffectTable("d", ())
