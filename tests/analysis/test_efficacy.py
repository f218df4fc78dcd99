"""analysis.efficacy: treatment vs control per timepoint against scipy and statsmodels, and
the rule that a study's results never quote another paper's published numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import write_study
from numpy.testing import assert_allclose
from scipy import stats

import patalliance as pa
from patalliance.analysis.efficacy import run_efficacy
from patalliance.pipeline import prepare

EFFICACY = """
[[analysis.efficacy]]
measure = "depression"
timepoints = ["post1w", "fu4w"]
baseline = "baseline"
treatment_arm = "immediate"
control_arm = "delayed"
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = write_study(tmp_path_factory.mktemp("eff") / "s", analysis_extra=EFFICACY)
    return prepare(path)


def test_a_grid_hamd_study_that_is_not_the_demo_quotes_no_published_numbers(
    tmp_path: Path,
) -> None:
    """The study scores grid_hamd17 (as the parent trial did) but is not the demo: neither its
    results.json nor its report may mention Davis et al.'s published effect sizes."""
    study = write_study(tmp_path / "s", analysis_extra=EFFICACY)
    assert 'instrument = "grid_hamd17"' in study.read_text(encoding="utf-8")
    res = pa.analyze(study)
    doc = res.to_dict()
    assert "published" not in doc["efficacy"][0] and "published_note" not in doc["efficacy"][0]
    assert res.reproduction is None and "reproduction" not in doc
    res.write(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for text in ("Davis et al. (2021) reported", "d_implied", "reported d =", "2.56925"):
        assert text not in html


def test_run_efficacy_against_scipy_on_table(prepared) -> None:  # type: ignore[no-untyped-def]
    (section,) = run_efficacy(prepared.study, prepared.table)
    vals, arms = prepared.table.values, prepared.table.arms.astype(str)
    for comp in section.comparisons:
        y = vals[comp.variable]
        t, c = y[arms == "immediate"].dropna(), y[arms == "delayed"].dropna()
        ref = stats.ttest_ind(c, t, equal_var=False)  # benefit orientation: control - treatment
        assert comp.n_treatment == len(t) and comp.n_control == len(c)
        assert_allclose([comp.t, comp.p], [ref.statistic, ref.pvalue], rtol=1e-10)
        assert_allclose(comp.mean_treatment, t.mean(), rtol=1e-12)
        data = vals[[comp.variable, "depression.total@baseline"]].assign(
            g=(arms == "immediate").astype(float)
        )
        data = data[arms.isin(["immediate", "delayed"])].dropna()
        fit = sm.OLS(
            data.iloc[:, 0], sm.add_constant(data[["g", "depression.total@baseline"]])
        ).fit()
        assert comp.adjusted_n == len(data)
        assert_allclose(
            [comp.adjusted_diff, comp.adjusted_p],
            [-fit.params["g"], fit.pvalues["g"]],
            rtol=1e-8,
        )
    assert {r.outcome for r in section.rates} == {"response", "remission"}
    for rate in section.rates:
        flag = vals[f"depression.{rate.outcome}@{rate.timepoint}"][arms == rate.arm].dropna()
        assert rate.n == len(flag) and rate.count == int(flag.sum())
        assert rate.confidence_level == prepared.study.analysis.confidence_level


def test_single_arm_is_not_estimable(tmp_path: Path) -> None:
    from conftest import make_participants

    parts = make_participants()
    parts["arm"] = "immediate"
    prepared = prepare(write_study(tmp_path / "s", participants=parts, analysis_extra=EFFICACY))
    (section,) = run_efficacy(prepared.study, prepared.table)
    assert section.status == "not_estimable"
    assert any("delayed" in w.message and w.code == "arm_empty" for w in section.warnings)


def test_efficacy_with_one_participant_in_an_arm_is_not_estimable() -> None:
    from patalliance.analysis.efficacy import efficacy
    from patalliance.derive import AnalysisTable
    from patalliance.study import EfficacySpec

    ids = pd.Index([f"p{i}" for i in range(6)], name="participant_id")
    values = pd.DataFrame(
        {
            "depression.total@baseline": [22.0, 24, 20, 23, 21, 25],
            "depression.total@wk5": [8.0, np.nan, np.nan, 23, 21, 26],
        },
        index=ids,
    )
    arms = pd.Series(["immediate"] * 3 + ["delayed"] * 3, index=ids)
    table = AnalysisTable(
        values, arms, pd.Series(np.nan, index=ids, dtype=object), pd.DataFrame(index=ids), {},
        pd.DataFrame(index=ids),
    )  # fmt: skip
    spec = EfficacySpec(
        measure="depression", timepoints=["wk5"], baseline="baseline",
        treatment_arm="immediate", control_arm="delayed",
    )  # fmt: skip
    (comp,) = efficacy(table, spec).comparisons
    assert comp.status == "not_estimable" and comp.n_treatment == 1 and comp.n_control == 3
    assert np.isnan(comp.t) and np.isnan(comp.p) and np.isnan(comp.d)
    assert_allclose([comp.mean_treatment, comp.mean_control], [8.0, 70 / 3])
