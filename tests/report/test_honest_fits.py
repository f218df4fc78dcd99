"""Mixed models in the report: t tests on the reported df, flagged non-convergence, and no raw
library warning text anywhere (the statistical-review issue's acceptance)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_participants, write_study
from scipy import stats

import patalliance as pa
from patalliance.stats import mixedlm as mixedlm_module

MODELS = """
[[analysis.mixed_models]]
outcome = "depression.total"
timepoints = ["post1w", "fu4w"]
predictors = ["alliance.total@prep"]
baseline = "depression.total@baseline"
n_boot = 10

[[analysis.facilitator]]
alliance = ["alliance.total@prep"]
outcomes = ["depression.total@fu4w"]
"""
RAW = ("ConvergenceWarning", "mle_retvals", "Hessian", "..", "statsmodels.")


def _models(res: pa.Results) -> list:  # type: ignore[type-arg]
    return [r.result for r in res.mixed_models] + [m.result for m in res.facilitator.models]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Results, str]:
    out = tmp_path_factory.mktemp("honest")
    res = pa.analyze(pa.demo_study())
    res.write(out)
    return res, (out / "report.html").read_text(encoding="utf-8")


def test_every_mixed_model_p_is_the_t_test_on_its_df(demo) -> None:  # type: ignore[no-untyped-def]
    res, _ = demo
    models = _models(res)
    assert len(models) == 4
    for model in models:
        assert model.inference == "t" and model.df_method
        for f in model.fixed_effects:
            assert f.p == pytest.approx(2 * stats.t.sf(abs(f.t), f.df), rel=1e-10, abs=1e-300)


def test_the_report_has_no_raw_library_warning(demo) -> None:  # type: ignore[no-untyped-def]
    _, html = demo
    for text in RAW:
        assert text not in html, text


def test_singular_facilitator_models_say_so(demo) -> None:  # type: ignore[no-untyped-def]
    res, html = demo
    assert {m.result.status for m in res.facilitator.models} == {pa.Status.SINGULAR}
    assert "singular fit" in html and "reduces to ordinary least-squares regression" in html


def test_a_model_that_did_not_converge_is_never_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_convergence(y, exog, codes):  # type: ignore[no-untyped-def]
        var = mixedlm_module._Variance(4.0, 9.0, False, "REML (statsmodels MixedLM)")
        return var, []

    monkeypatch.setattr(mixedlm_module, "_variance", no_convergence)
    participants = make_participants()
    participants["facilitator"] = [f"F{i % 5}" for i in range(len(participants))]
    study = write_study(tmp_path / "s", participants=participants, analysis_extra=MODELS)
    res = pa.analyze(study)
    models = _models(res)
    assert models and all(m.status is pa.Status.NOT_CONVERGED for m in models)
    res.write(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for section in ("mixed-models", "facilitator"):
        body = html[html.index(f'<section id="{section}">') :]
        body = body[: body.index("</section>")]
        cells = re.findall(r"<td>([^<]*)</td>", body)
        assert "ok" not in cells, section
        assert "did not converge" in body, section
    assert "not interpreted" in html
