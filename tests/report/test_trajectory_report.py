"""The trajectories section of the report: APA sentences from the typed results, the methods
sentence (model, REML, random-effects structure, df method), a self-contained spaghetti plot
without participant identifiers, and flagged singular fits."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import pytest

import patalliance as pa
from patalliance.report import apa
from patalliance.stats import growth as growth_module
from patalliance.status import Status


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Results, str]:
    out = tmp_path_factory.mktemp("traj")
    res = pa.analyze(pa.demo_study())
    res.write(out)
    return res, (out / "report.html").read_text(encoding="utf-8")


def _section(page: str) -> str:
    start = page.index('id="trajectories"')
    return page[start : page.index("</section>", start)]


def _text(fragment: str) -> str:
    """Visible text: no figures, no tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", fragment, flags=re.S))
    return re.sub(r"\s+", " ", html_module.unescape(text))


def test_section_reports_the_fitted_slopes(demo) -> None:  # type: ignore[no-untyped-def]
    res, page = demo
    rec = res.trajectories[0]
    assert rec.result.status == Status.OK
    text = _text(_section(page))
    for term in ("time", "time:arm[immediate]"):
        f = rec.effect(term)
        assert f is not None
        stat = (
            f"b = {apa.fmt_num(f.estimate)}, SE = {apa.fmt_num(f.se)}, "
            f"t({apa.fmt_int(f.df)}) = {apa.fmt_num(f.t)}, {apa.fmt_p(f.p)}, "
            f"{apa.fmt_ci(f.ci_low, f.ci_high, confidence_level=0.95)}"
        )
        assert stat in text
    assert f"{rec.result.n_obs} observations of {rec.result.n_participants} participants" in text
    assert "points per 30 days" in text
    assert "Trajectories: random effects and residual variance" in text


def test_methods_name_model_reml_random_effects_and_df(demo) -> None:  # type: ignore[no-untyped-def]
    _, page = demo
    text = _text(page)
    sentence = text[text.index("Trajectories were modelled") :][:900]
    for words in (
        "linear mixed models",
        "random intercept and a random slope of time per participant",
        "restricted maximum likelihood (REML",
        "Satterthwaite's degrees of freedom",
    ):
        assert words in sentence, words


def test_spaghetti_plot_is_self_contained_without_identifiers(demo) -> None:  # type: ignore[no-untyped-def]
    res, page = demo
    section = _section(page)
    svgs = re.findall(r"<svg.*?</svg>", section, flags=re.S)
    assert len(svgs) == 1
    svg = svgs[0]
    assert 'href="http' not in svg and "<image" not in svg
    for pid in res.table.values.index:
        assert f">{pid}<" not in svg and f" {pid} " not in svg
    assert "Days from the reference point" in svg
    assert "mean trajectory per arm" in _text(section)


def test_a_singular_fit_is_flagged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(growth_module, "is_singular", lambda cov, scale: True)
    res = pa.analyze(pa.demo_study())
    assert res.trajectories[0].result.status == Status.SINGULAR
    res.write(tmp_path, report=True)
    section = _text(_section((tmp_path / "report.html").read_text("utf-8")))
    assert "the fit was singular" in section
    assert "singular fit (flagged)" in section
    assert "The fit was singular; the mean trajectories are flagged." in section
