"""analysis.sensitivity and analysis.correlations on a small study: leave-one-out, Spearman and
adjusted p against scipy and statsmodels, reproducible bootstraps."""

from __future__ import annotations

import pytest
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests

from patalliance.analysis.sensitivity import run_sensitivity
from patalliance.pipeline import prepare

SENS = """
[analysis.sensitivity]
n_resamples = 400
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return prepare(write_study(tmp_path_factory.mktemp("sens") / "s", analysis_extra=SENS))


def test_section_against_scipy(prepared) -> None:  # type: ignore[no-untyped-def]
    out = run_sensitivity(prepared.study, prepared.table).to_list()
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
    a = run_sensitivity(prepared.study, prepared.table).to_list()
    b = run_sensitivity(prepared.study, prepared.table).to_list()
    assert [r["bca_ci_low"] for r in a] == [r["bca_ci_low"] for r in b]


def test_leave_one_out_rows_and_frames(prepared) -> None:  # type: ignore[no-untyped-def]
    fam = run_sensitivity(prepared.study, prepared.table)
    rec = fam.records[0]
    rows = list(rec.leave_one_out)
    assert len(rows) == len(rec.leave_one_out) == rec.n
    assert rows[0] == rec.leave_one_out[0]
    assert rec.to_dict()["leave_one_out"][0] == rows[0].to_dict()
    frame = fam.leave_one_out_frame()
    assert list(frame.columns) == ["family", "x", "y", "participant_id", "r", "p"]
    assert len(frame) == sum(len(r.leave_one_out) for r in fam.records)
    assert frame["r"].iloc[0] == rows[0].r
    table = fam.to_frame()
    assert "leave_one_out" not in table.columns and len(table) == len(fam.records)
    assert list(table.columns) == type(rec).frame_columns()


def test_leave_one_out_lists_keep_ids_that_are_not_text() -> None:
    from patalliance.analysis.sensitivity import LeaveOneOutRows
    from patalliance.document import clean

    rows = LeaveOneOutRows(participant_id=(1, "P2"), r=(0.5, float("nan")), p=(0.1, 0.2))  # type: ignore[arg-type]
    assert clean(rows.to_list()) == [
        {"participant_id": 1, "r": 0.5, "p": 0.1},
        {"participant_id": "P2", "r": None, "p": 0.2},
    ]
