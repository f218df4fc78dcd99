"""Sensitivity: leave-one-out against a direct loop with scipy, Spearman vs scipy, adjustments."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests

from patalliance.analysis.sensitivity import run_sensitivity
from patalliance.pipeline import prepare
from patalliance.stats import leave_one_out

SENS = """
[analysis.sensitivity]
n_resamples = 400
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return prepare(write_study(tmp_path_factory.mktemp("sens") / "s", analysis_extra=SENS))


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_leave_one_out_matches_loop(method: str) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=15), rng.normal(size=15)
    x[4] = np.nan
    res = leave_one_out(x, y, [f"P{i}" for i in range(15)], method=method)
    ok = ~np.isnan(x)
    xs, ys = x[ok], y[ok]
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    ref = [fn(np.delete(xs, i), np.delete(ys, i)) for i in range(xs.size)]
    assert res.participants[4] == "P5"
    assert_allclose(res.r, [r.statistic for r in ref], rtol=1e-10)
    assert_allclose(res.p, [r.pvalue for r in ref], rtol=1e-8)


def test_section_against_scipy(prepared) -> None:  # type: ignore[no-untyped-def]
    out = run_sensitivity(prepared.study, prepared.table)
    vals = prepared.table.values
    fam = [r for r in out if r["family"] == "alliance_outcome"]
    assert len(fam) == 4 and len(out) == 6
    for rec in out:
        pair = vals[[rec["x"], rec["y"]]].dropna()
        assert rec["n"] == len(pair)
        sp = stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1])
        assert_allclose(
            [rec["spearman_r"], rec["spearman_p"]], [sp.statistic, sp.pvalue], rtol=1e-10
        )
        assert rec["bca_ci_low"] <= rec["r"] <= rec["bca_ci_high"]
        loo = [d["r"] for d in rec["leave_one_out"]]
        assert rec["loo_r_min"] == min(loo) and rec["loo_r_max"] == max(loo)
        worst = max(rec["leave_one_out"], key=lambda d: abs(d["r"] - rec["r"]))
        assert rec["most_influential"] == worst["participant_id"]
        flips = [
            d["participant_id"]
            for d in rec["leave_one_out"]
            if (d["p"] < 0.05) != (rec["p"] < 0.05)
        ]
        assert list(rec["flip_participants"]) == flips and rec["conclusion_flips"] == bool(flips)
    p = [r["p"] for r in fam]
    assert_allclose([r["p_holm"] for r in fam], multipletests(p, method="holm")[1], rtol=1e-12)
    assert_allclose([r["p_fdr_bh"] for r in fam], multipletests(p, method="fdr_bh")[1], rtol=1e-12)


def test_same_seed_same_intervals(prepared) -> None:  # type: ignore[no-untyped-def]
    a = run_sensitivity(prepared.study, prepared.table)
    b = run_sensitivity(prepared.study, prepared.table)
    assert [r["bca_ci_low"] for r in a] == [r["bca_ci_low"] for r in b]


def test_overlapping_family_counts_each_distinct_test_once(prepared) -> None:  # type: ignore[no-untyped-def]
    """x = y = [a, b, c]: three tests (ab, ac, bc), not nine; a variable with itself is none."""
    from patalliance.analysis.core import run_correlations
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
        assert recs[name, name].r == pytest.approx(1.0)
        assert np.isnan(recs[name, name].p) and np.isnan(recs[name, name].p_adj)
        assert np.isnan(sens[name, name].p_holm) and not sens[name, name].conclusion_flips
    for (j, k), p, p_holm, p_bh in zip(pairs, raw, holm, bh, strict=True):
        for a, b in ((names[j], names[k]), (names[k], names[j])):
            assert_allclose(recs[a, b].p, p, rtol=1e-10)
            assert_allclose(recs[a, b].p_adj, p_holm, rtol=1e-10)
            assert_allclose([sens[a, b].p_holm, sens[a, b].p_fdr_bh], [p_holm, p_bh], rtol=1e-10)


def test_change_record_keeps_the_reason_a_statistic_is_nan(prepared) -> None:  # type: ignore[no-untyped-def]
    """A NaN t (all differences equal) carries its reason into the change record."""
    from patalliance.analysis.core import run_change
    from patalliance.study import ChangeTest

    name = "alliance.total@prep"
    plan = prepared.study.analysis.model_copy(
        update={"change": [ChangeTest(variable_from=name, variable_to=name)]}
    )
    (rec,) = run_change(prepared.table, plan)
    assert rec.n == prepared.table.values[name].notna().sum()
    assert np.isnan(rec.t) and np.isnan(rec.wilcoxon_p)
    assert "SD of differences = 0" in rec.notes and "Wilcoxon" in rec.notes
    assert rec.to_dict()["notes"] == rec.notes
