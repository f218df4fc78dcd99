"""analysis.imputation: MI beside complete cases, reproducibility, and recovery under MCAR."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import make_participants, make_responses, write_study
from numpy.testing import assert_allclose, assert_array_equal

from patalliance.analysis.change import run_change
from patalliance.analysis.correlations import run_correlations
from patalliance.analysis.imputation import impute, run_multiple_imputation
from patalliance.pipeline import prepare
from patalliance.stats.correlation import pearson
from patalliance.stats.rubin import pool_correlation

MI = """
[analysis.multiple_imputation]
m = 5
burn_in = 3
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("mi") / "s"
    return prepare(
        write_study(
            folder, make_responses(n=30, missing=0.15), make_participants(30), analysis_extra=MI
        )
    )


def test_sections_and_reproducible(prepared) -> None:  # type: ignore[no-untyped-def]
    a = run_multiple_imputation(prepared.study, prepared.table)
    b = run_multiple_imputation(prepared.study, prepared.table)
    assert a.to_dict() == b.to_dict()
    assert a.m == 5 and a.seed == 1 and a.burn_in == 3
    assert len(a.correlations) == 6 and len(a.change) == 1
    assert sum(p.count for p in a.patterns) == a.n
    assert [t.name for t in a.tests] == ["mcar", "arm"]
    for rec in a.correlations:
        assert rec.ci_low <= rec.r <= rec.ci_high and 0 <= rec.fmi <= 1


def test_no_missing_values_reproduce_complete_case(tmp_path) -> None:  # type: ignore[no-untyped-def]
    prep = prepare(write_study(tmp_path / "s", make_responses(missing=0.0), analysis_extra=MI))
    assert not prep.table.values.isna().any().any()
    mi = run_multiple_imputation(prep.study, prep.table)
    cc = run_correlations(prep.table, prep.study.analysis)
    by_pair = {(r.family, r.x, r.y): r for r in cc}
    for rec in mi.correlations:
        ref = by_pair[(rec.family, rec.x, rec.y)]
        assert rec.n == ref.n and rec.between == 0 and rec.fmi == pytest.approx(2 / (rec.df + 3))
        assert_allclose(rec.r, ref.r, rtol=1e-12)
    (change,) = run_change(prep.table, prep.study.analysis)
    (mi_change,) = mi.change
    assert mi_change.n == change.n
    assert_allclose(mi_change.mean_diff, change.mean_diff, rtol=1e-12)
    assert_allclose(mi_change.t, change.t, rtol=1e-12)
    assert [p.missing for p in mi.patterns] == [()]


def test_mcar_recovers_full_data_correlation() -> None:
    rng = np.random.default_rng(2026)
    n = 2000
    full = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    data = full.copy()
    data[rng.random(n) < 0.3, 1] = np.nan
    completed = impute(data, m=5, burn_in=2, seed=11)
    for c in completed:
        assert not np.isnan(c).any()
        assert_allclose(c[~np.isnan(data)], data[~np.isnan(data)])
    res = pool_correlation([float(np.squeeze(pearson(c[:, 0], c[:, 1]).r)) for c in completed], n)
    r_full = float(np.squeeze(pearson(full[:, 0], full[:, 1]).r))
    se = np.sqrt(res.total)  # on Fisher's z
    assert abs(np.arctanh(res.estimate) - np.arctanh(r_full)) < 3 * se
    assert res.ci_low < r_full < res.ci_high
    assert 0.1 < res.fmi < 0.5  # about 30% of y is missing


def test_impute_is_statsmodels_micedata_with_the_same_draws() -> None:
    """The array-backed chain gives exactly what statsmodels' own MICEData (patsy designs,
    pandas state) gives from the same generator."""
    from statsmodels.imputation.mice import MICEData

    rng = np.random.default_rng(2)
    data = rng.normal(size=(80, 4))
    data[:, 1] += data[:, 0]
    data[rng.random(data.shape) < 0.15] = np.nan
    data = data[~np.isnan(data).all(axis=1)]
    ours = impute(data, m=3, burn_in=3, seed=5)
    frame = pd.DataFrame(data, columns=[f"v{i}" for i in range(4)])
    for child, got in zip(np.random.SeedSequence(5).spawn(3), ours, strict=True):
        reference = MICEData(frame, rng=np.random.default_rng(child))
        reference.update_all(3)
        assert_allclose(got, reference.data.to_numpy(dtype=np.float64), rtol=1e-12)


def test_chains_on_two_threads_give_the_same_imputations(monkeypatch: pytest.MonkeyPatch) -> None:
    from patalliance.analysis import imputation

    rng = np.random.default_rng(8)
    data = rng.normal(size=(300, 4))
    data[rng.random(data.shape) < 0.1] = np.nan
    data = data[~np.isnan(data).all(axis=1)]
    serial = impute(data, m=6, burn_in=2, seed=3)
    monkeypatch.setattr(imputation, "_THREADED_FROM", 0)
    threaded = impute(data, m=6, burn_in=2, seed=3)
    for a, b in zip(serial, threaded, strict=True):
        assert_array_equal(a, b)


def test_too_few_observed_values_for_the_imputation_model_is_a_configuration_error(
    prepared,  # type: ignore[no-untyped-def]
) -> None:
    from dataclasses import replace

    from patalliance.analysis.imputation import imputation_variables
    from patalliance.errors import ConfigError

    name = imputation_variables(prepared.study)[-1]
    values = prepared.table.values.copy()
    values.loc[values.index[3:], name] = np.nan  # 3 observed values at most
    short = replace(prepared.table, values=values)
    with pytest.raises(
        ConfigError, match=rf"too few observed values to impute '{re.escape(name)}'"
    ):
        run_multiple_imputation(prepared.study, short)
