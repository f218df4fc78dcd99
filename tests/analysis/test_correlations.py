"""analysis.correlations on a small study, against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests

from patalliance.pipeline import prepare

SENS = """
[analysis.sensitivity]
n_resamples = 400
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return prepare(write_study(tmp_path_factory.mktemp("sens") / "s", analysis_extra=SENS))


def test_overlapping_family_counts_each_distinct_test_once(prepared) -> None:  # type: ignore[no-untyped-def]
    """x = y = [a, b, c]: three tests (ab, ac, bc), not nine; a variable with itself is none."""
    from patalliance.analysis.correlations import run_correlations
    from patalliance.analysis.sensitivity import sensitivity
    from patalliance.study import CorrelationFamily

    names = ["alliance.total@prep", "alliance.total@post1w", "depression.total@fu4w"]
    fam = CorrelationFamily(family="inter", x=names, y=names)
    plan = prepared.study.analysis.model_copy(update={"correlations": [fam], "adjust": "holm"})
    study = prepared.study.model_copy(update={"analysis": plan})
    vals = prepared.table.values
    pairs = [(0, 1), (0, 2), (1, 2)]
    raw = []
    for j, k in pairs:
        both = vals[[names[j], names[k]]].dropna()
        raw.append(stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1]).pvalue)
    holm = multipletests(raw, method="holm")[1]
    bh = multipletests(raw, method="fdr_bh")[1]
    recs = {(r.x, r.y): r for r in run_correlations(prepared.table, plan)}
    sens = {(r.x, r.y): r for r in sensitivity(study, prepared.table, n_resamples=50)}
    for name in names:
        rec = recs[name, name]  # documented: a variable with itself has null r, CI and p
        assert np.isnan(rec.r) and np.isnan(rec.ci_low) and np.isnan(rec.ci_high)
        assert np.isnan(rec.p) and np.isnan(rec.p_adj)
        assert (name, name) not in sens  # and is not a test to check for robustness
    for (j, k), p, p_holm, p_bh in zip(pairs, raw, holm, bh, strict=True):
        for a, b in ((names[j], names[k]), (names[k], names[j])):
            assert_allclose(recs[a, b].p, p, rtol=1e-10)
            assert_allclose(recs[a, b].p_adj, p_holm, rtol=1e-10)
            assert_allclose([sens[a, b].p_holm, sens[a, b].p_fdr_bh], [p_holm, p_bh], rtol=1e-10)
