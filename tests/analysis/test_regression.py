"""analysis.regression and analysis.moderation: the plan's models against statsmodels OLS.

A trial is built in the test (with a numeric and a text participants-file covariate) and the
bundled demo is analysed; every regression and moderation model is refitted with statsmodels
on the same complete cases (classical and HC3) and compared at rtol 1e-10. The results.json
sections carry exactly the issue's field names and validate against the schema; bad plans
are configuration errors (exit 2) that name the key path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import make_participants, run_cli, write_study
from numpy.testing import assert_allclose

import patalliance as pa
from patalliance.analysis.regression import RegressionRecord
from patalliance.document import SCHEMA_PATH
from patalliance.errors import ConfigError
from patalliance.status import Status

RTOL = 1e-10

PLAN = """
[[analysis.regressions]]
outcome = "alliance.total@prep"
predictors = ["depression.total@baseline", "age", "sex"]
se = "classical"
label = "classical"

[[analysis.regressions]]
outcome = "alliance.total@prep"
predictors = ["depression.total@baseline", "age", "sex", "arm"]
label = "hc3 by default"

[[analysis.moderation]]
x = "alliance.total@prep"
w = "age"
y = "depression.total@fu4w"
covariates = ["sex"]

[[analysis.moderation]]
x = "alliance.total@prep"
w = "arm"
y = "depression.total@fu4w"
se = "classical"
"""

COEFFICIENT_KEYS = ["term", "estimate", "se", "t", "df", "p", "ci_low", "ci_high", "beta", "vif"]
TEXT = ("sex", "arm")  # the text variables of these plans: dummy-coded by pandas here
MODEL_KEYS = ["outcome", "n", "r2", "adj_r2", "f", "f_df1", "f_df2", "f_p", "se_type"]


def _participants(n: int = 30) -> pd.DataFrame:
    people = make_participants(n)
    rng = np.random.default_rng(17)
    people["age"] = rng.integers(21, 70, n)
    people["sex"] = rng.choice(["female", "male", "nonbinary"], n, p=[0.5, 0.35, 0.15])
    people.loc[2, "sex"] = ""  # a missing text cell: that participant is left out
    return people


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> pa.Results:
    from conftest import make_responses

    folder = tmp_path_factory.mktemp("reg") / "study"
    path = write_study(folder, make_responses(30, seed=3), _participants(), analysis_extra=PLAN)
    return pa.analyze(path)


@pytest.fixture(scope="module")
def demo() -> pa.Results:
    return pa.analyze(pa.demo_study())


def _data(res: pa.Results) -> pd.DataFrame:
    frame = res.scores.join(res.table.covariates)
    frame["sex"] = frame["sex"].astype(object).where(frame["sex"].astype(str).str.strip() != "")
    return frame.astype({"age": float})


def _design(frame: pd.DataFrame, outcome: str, predictors: list[str]) -> tuple:  # type: ignore[type-arg]
    cols = []
    for name in predictors:
        if name in TEXT:
            dummies = pd.get_dummies(frame[name].astype(object), prefix=name, prefix_sep="")
            dummies = dummies.iloc[:, 1:].astype(float)  # first level (sorted) is the reference
            dummies.columns = [f"{name}[{c[len(name) :]}]" for c in dummies.columns]
            dummies[frame[name].isna()] = np.nan
            cols.append(dummies)
        else:
            cols.append(pd.to_numeric(frame[name]).rename(name).to_frame())
    x = pd.concat(cols, axis=1)
    keep = x.notna().all(axis=1) & frame[outcome].notna()
    return frame.loc[keep, outcome].to_numpy(float), x[keep], int((~keep).sum())


def _check_regression(rec: RegressionRecord, frame: pd.DataFrame) -> None:
    fit = rec.result
    y, x, n_excl = _design(frame, fit.outcome, list(rec.predictors))
    cov_type = "HC3" if fit.se_type == "hc3" else "nonrobust"
    ref = sm.OLS(y, sm.add_constant(x.to_numpy())).fit(cov_type=cov_type, use_t=True)
    table = fit.to_frame()
    assert fit.status == Status.OK
    assert list(table["term"]) == ["intercept", *x.columns]
    assert (fit.n, fit.n_excluded) == (len(y), n_excl)
    for col, expected in (("estimate", ref.params), ("se", ref.bse), ("t", ref.tvalues),
                          ("p", ref.pvalues), ("ci_low", ref.conf_int()[:, 0]),
                          ("ci_high", ref.conf_int()[:, 1])):  # fmt: skip
        assert_allclose(table[col], expected, rtol=RTOL, err_msg=col)
    assert_allclose([fit.r2, fit.adj_r2], [ref.rsquared, ref.rsquared_adj], rtol=RTOL)
    assert_allclose([fit.f, fit.f_p], [float(ref.fvalue), float(ref.f_pvalue)], rtol=RTOL)


def test_trial_regressions_match_statsmodels_with_dummy_coded_text(trial: pa.Results) -> None:
    classical, hc3 = trial.regressions
    assert classical.result.se_type == "classical"
    assert hc3.result.se_type == "hc3"  # auto: fewer than 50 complete cases
    assert "sex[male]" in classical.result.predictors and "arm[immediate]" in hc3.result.predictors
    for rec in trial.regressions:
        _check_regression(rec, _data(trial))


def test_demo_regression_matches_statsmodels(demo: pa.Results) -> None:
    (rec,) = demo.regressions
    assert rec.result.outcome == "alliance.total@prep" and rec.result.se_type == "hc3"
    assert "sex[male]" in rec.result.predictors
    _check_regression(rec, _data(demo))


def _check_moderation(res: pa.Results, i: int) -> None:
    rec = res.moderation[i]
    r = rec.result
    frame = _data(res).assign(arm=res.table.arms)
    cov = list(rec.covariate_names)
    y, x, _ = _design(frame, r.y, [r.x, r.w, *cov])
    xc = x[r.x] - x[r.x].mean()
    w_cols = [c for c in x.columns if c == r.w or c.startswith(f"{r.w}[")]
    w = x[w_cols] - (x[w_cols].mean() if r.w_type == "continuous" else 0.0)
    exog = np.column_stack(
        [xc, w, w.to_numpy() * xc.to_numpy()[:, None], x.drop(columns=[r.x, *w_cols])]
    )
    cov_type = "HC3" if r.se_type == "hc3" else "nonrobust"
    ref = sm.OLS(y, sm.add_constant(exog)).fit(cov_type=cov_type, use_t=True)
    table = r.model.to_frame()
    for col, expected in (("estimate", ref.params), ("se", ref.bse), ("p", ref.pvalues)):
        assert_allclose(table[col], expected, rtol=RTOL, err_msg=col)
    assert_allclose([r.model.r2, r.model.f], [ref.rsquared, float(ref.fvalue)], rtol=RTOL)


def test_trial_and_demo_moderation_match_statsmodels(trial: pa.Results, demo: pa.Results) -> None:
    _check_moderation(trial, 0)
    _check_moderation(trial, 1)
    _check_moderation(demo, 0)
    cont, cat = trial.moderation
    assert cont.result.w_type == "continuous" and [s.at for s in cont.result.slopes] == [
        "-1 SD", "mean", "+1 SD",
    ]  # fmt: skip
    assert cat.result.w_levels == ("delayed", "immediate")
    (m,) = demo.moderation
    assert m.result.w == "arm" and [s.at for s in m.result.slopes] == ["delayed", "immediate"]


def test_results_json_sections_have_the_issue_field_names(trial: pa.Results) -> None:
    doc = trial.to_dict()
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text("utf-8")))
    for model in doc["regressions"]:
        assert {*MODEL_KEYS, "coefficients"} <= set(model)
        for coef in model["coefficients"]:
            assert list(coef) == COEFFICIENT_KEYS
    assert doc["moderation"][0]["jn_method"].startswith("closed-form")
    frame = trial.regressions.to_frame()
    assert list(frame.columns) == RegressionRecord.frame_columns()
    assert len(trial.regressions.coefficients_frame()) == sum(
        len(m["coefficients"]) for m in doc["regressions"]
    )
    assert len(trial.moderation.slopes_frame()) == 3 + 2


def test_empty_families_have_columns() -> None:
    res_cols = pa.Results.__dataclass_fields__
    assert "regressions" in res_cols and "moderation" in res_cols


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[analysis.regressions]]\noutcome = "alliance.total@prep"\npredictors = ["agee"]\n',
            "analysis.regressions[0].predictors[0]: unknown variable 'agee' (did you mean age?)",
        ),
        (
            '[[analysis.regressions]]\noutcome = "alliance.total@prep"\n'
            'predictors = ["facilitator"]\n',
            "analysis.regressions[0].predictors[0]: 'facilitator' is the participants file's "
            "facilitator column",
        ),
        (
            '[[analysis.regressions]]\noutcome = "alliance.total@prep"\n'
            'predictors = ["age", "age"]\n',
            "analysis.regressions[0].predictors[1]: 'age' is already the model's predictors[0]",
        ),
        (
            '[[analysis.moderation]]\nx = "alliance.total@prep"\nw = "age"\n'
            'y = "alliance.total@prep"\n',
            "analysis.moderation[0].y: 'alliance.total@prep' is already the model's x",
        ),
        (
            '[[analysis.regressions]]\noutcome = "sex"\npredictors = ["age"]\n',
            "analysis.regressions[0].outcome: the participants-file column 'sex' holds text",
        ),
        (
            '[[analysis.moderation]]\nx = "arm"\nw = "age"\ny = "depression.total@fu4w"\n',
            "analysis.moderation[0].x: arm is text",
        ),
    ],
)
def test_bad_plans_are_configuration_errors(tmp_path: Path, extra: str, message: str) -> None:
    path = write_study(tmp_path / "s", participants=_participants(12), analysis_extra=extra)
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        pa.analyze(path)
    assert str(err.value).startswith(str(path))  # names the file


def test_cli_bad_regression_exits_2_naming_the_key(tmp_path: Path) -> None:
    extra = '[[analysis.regressions]]\noutcome = "alliance.total@prep"\npredictors = ["agee"]\n'
    path = write_study(tmp_path / "s", participants=_participants(12), analysis_extra=extra)
    proc = run_cli("analyze", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "analysis.regressions[0].predictors[0]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bootstrap_intervals_are_seeded_and_reported(tmp_path: Path) -> None:
    extra = (
        '[[analysis.regressions]]\noutcome = "alliance.total@prep"\n'
        'predictors = ["depression.total@baseline", "age"]\nn_boot = 200\n'
    )
    path = write_study(tmp_path / "s", participants=_participants(12), analysis_extra=extra)
    first, second = pa.analyze(path), pa.analyze(path)
    doc = first.to_dict()
    assert doc == second.to_dict()  # same inputs and seed, same results
    (model,) = doc["regressions"]
    assert model["n_boot"] == 200 and model["bootstrap"]["method"] == "percentile"
    intervals = model["bootstrap"]["intervals"]
    assert [i["term"] for i in intervals] == ["intercept", "depression.total@baseline", "age"]
    for i in intervals:
        assert i["ci_low"] < i["ci_high"]
    codes = [(p.code, p.column) for p in first.qc.problems]
    assert ("few_resamples", "analysis.regressions[0].n_boot") in codes


def test_covariates_survive_the_sdtm_round_trip(demo: pa.Results, tmp_path: Path) -> None:
    from patalliance.export import export_study

    export_study(pa.demo_study().path, to="sdtm", out=tmp_path / "sdtm")
    doc = pa.analyze(tmp_path / "sdtm" / "study.toml").to_dict()
    expected = demo.to_dict()
    assert doc["regressions"] == expected["regressions"]
    assert doc["moderation"] == expected["moderation"]
