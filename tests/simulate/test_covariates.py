"""Synthetic covariates: their own random stream, nothing else changed, and the demo's columns
are exactly what the generator draws from the demo's seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import patalliance as pa
from patalliance.demo import DEMO_DIR
from patalliance.errors import ConfigError
from patalliance.simulate.covariates import synthetic_covariates
from patalliance.simulate.targets import load_targets

SEED = 20240314  # the demo's seed (scripts/make_demo.py)


def _people(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"participant_id": [f"P{i:03d}" for i in range(n)], "arm": ["a", "b"] * (n // 2)}
    )


def test_columns_are_appended_and_nothing_else_changes() -> None:
    people = _people(40)
    out = synthetic_covariates(people, seed=3)
    pd.testing.assert_frame_equal(out[people.columns], people)
    assert out["age"].between(21, 75).all() and out["expectancy"].between(0, 100).all()
    assert set(out["sex"]) <= {"female", "male"}
    again = synthetic_covariates(people, seed=3)
    pd.testing.assert_frame_equal(out, again)
    # Its own stream: the global numpy state and a Generator from the same seed are untouched.
    rng = np.random.default_rng(3)
    first = rng.random()
    synthetic_covariates(people, seed=3)
    assert np.random.default_rng(3).random() == first


def test_expectancy_follows_the_related_score() -> None:
    people = _people(2000)
    score = pd.Series(np.random.default_rng(1).normal(size=2000), index=people["participant_id"])
    out = synthetic_covariates(people, seed=9, related_score=score, r=0.6)
    rho = stats.spearmanr(out["expectancy"], score.to_numpy()).statistic
    assert 0.5 < rho < 0.7  # rank correlation of a monotone transform of r = .6 normals


def test_existing_columns_are_never_overwritten() -> None:
    people = _people(4).assign(age=[1, 2, 3, 4])
    with pytest.raises(ConfigError, match="already has the column"):
        synthetic_covariates(people, seed=1)


def test_demo_covariates_are_the_generators_draw() -> None:
    bundled = pd.read_csv(DEMO_DIR / "participants.csv", dtype=str, keep_default_na=False)
    base = bundled[["participant_id", "arm", "facilitator"]]
    study = pa.demo_study()
    scores = pa.score(study)
    spec = load_targets(DEMO_DIR / "targets.toml").covariates
    assert spec is not None and spec.expectancy_score == "alliance.total@prep"
    redrawn = synthetic_covariates(
        base,
        seed=SEED,
        related_score=scores[spec.expectancy_score],
        r=spec.expectancy_r,
        p_female=spec.p_female,
    )
    pd.testing.assert_frame_equal(redrawn.astype(str), bundled)
