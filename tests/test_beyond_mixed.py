"""stats.mixedlm: degenerate and singular random-intercept fits give statuses, not errors."""

from __future__ import annotations

import numpy as np

from patalliance.stats import fit_random_intercept


def test_degenerate_models_give_messages_not_errors() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(2), 3)
    y = rng.normal(size=6)
    exog = np.column_stack([np.ones(6), rng.normal(size=6)])
    res = fit_random_intercept(y, exog, groups, names=["Intercept", "x"], focus="x")
    assert res.status == "not_estimable" and "too few" in res.reason
    groups = np.repeat(np.arange(6), 3)
    exog = np.column_stack([np.ones(18), np.full(18, 2.0)])
    res = fit_random_intercept(
        rng.normal(size=18), exog, groups, names=["Intercept", "x"], focus="x"
    )
    assert res.status == "not_estimable" and "x constant" in res.reason


def test_singular_fit_is_a_warning() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 2)
    x = rng.normal(size=20)
    y = x + rng.normal(size=20)  # no cluster effect: variance on the boundary
    res = fit_random_intercept(
        y,
        np.column_stack([np.ones(20), x]),
        groups,
        names=["Intercept", "x"],
        focus="x",
        n_boot=5,
        rng=np.random.default_rng(1),
    )
    assert res.status == "ok"
    assert res.warnings  # boundary/convergence problems are recorded, not raised
