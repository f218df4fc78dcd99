"""The report's regression and moderation sections: APA text, tables, figures, methods.

The numbers in the text are the typed results rounded (checked against the results, which
``tests/analysis/test_regression.py`` checks against statsmodels); the methods paragraph names
the standard-error type the models used and the Johnson–Neyman method.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import make_participants, make_responses, write_study

import patalliance as pa
from patalliance.report import apa
from patalliance.report.beyond import render_sections
from patalliance.report.labels import Labeler
from patalliance.report.text import methods

PLAN = """
[[analysis.regressions]]
outcome = "alliance.total@prep"
predictors = ["depression.total@baseline", "age", "sex"]
n_boot = 1000
label = "Who builds alliance"

[[analysis.moderation]]
x = "alliance.total@prep"
w = "age"
y = "depression.total@fu4w"

[[analysis.moderation]]
x = "alliance.total@prep"
w = "arm"
y = "depression.total@fu4w"
se = "classical"
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pa.Results:
    people = make_participants(30)
    rng = np.random.default_rng(5)
    people["age"] = rng.integers(21, 70, 30)
    people["sex"] = rng.choice(["female", "male"], 30)
    folder = tmp_path_factory.mktemp("rep") / "study"
    return pa.analyze(write_study(folder, make_responses(30, seed=3), people, analysis_extra=PLAN))


def _sections(res: pa.Results) -> dict[str, object]:
    return {s.id: s for s in render_sections(res, Labeler(res.study, res.keys))}


def test_sections_have_apa_text_tables_and_figures(results: pa.Results) -> None:
    sections = _sections(results)
    reg, mod = sections["regressions"], sections["moderation"]
    fit = results.regressions[0].result
    text = " ".join(reg.paragraphs)  # type: ignore[attr-defined]
    assert f"R² = {apa.fmt_num(fit.r2, 2, leading_zero=False)}" in text
    assert f"F({int(fit.f_df1)}, {int(fit.f_df2)}) = {apa.fmt_num(fit.f)}" in text
    assert "HC3 standard errors" in text
    (_title, table), *_ = reg.tables  # type: ignore[attr-defined]
    assert list(table["Term"])[-1] == "sex[male]" and "VIF" in table.columns
    assert "Bootstrap 95% CI" in table.columns
    _cont, cat = results.moderation
    mtext = " ".join(mod.paragraphs)  # type: ignore[attr-defined]
    assert "Johnson–Neyman" in mtext and "classical standard errors" in mtext
    slope = cat.result.slopes[1]
    assert f"at arm {slope.at}, b = {apa.fmt_num(slope.estimate)}" in mtext
    # interaction plots for both models, a Johnson–Neyman plot for the continuous moderator
    figures = mod.figures  # type: ignore[attr-defined]
    assert len(figures) == 3
    assert [f.caption.split(":")[0] for f in figures] == [
        "Interaction plot",
        "Johnson–Neyman plot",
        "Interaction plot",
    ]
    for fig in figures:
        assert fig.svg.startswith("<svg") and fig.alt
        assert not re.search(r"(src|href)=\"https?://", fig.svg)


def test_methods_name_the_se_type_and_the_jn_method(results: pa.Results) -> None:
    paras, refs = methods(results, Labeler(results.study, results.keys))
    text = " ".join(paras)
    assert "HC3 heteroscedasticity-consistent standard errors" in text
    assert "classical OLS standard errors" in text
    assert "percentile bootstrap intervals (1,000 resamples" in text
    assert results.moderation[0].result.jn_method in text
    assert any(r.startswith("Bauer, D. J.") for r in refs)
    assert any(r.startswith("Long, J. S.") for r in refs)


def test_report_html_has_both_sections(results: pa.Results, tmp_path: Path) -> None:
    results.write(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert 'id="regressions"' in html and 'id="moderation"' in html
    assert "Conditional effects (simple slopes)" in html
