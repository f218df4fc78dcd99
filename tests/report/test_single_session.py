"""A single-session design (one acute-experience session, so no peak): the report keeps the
acute-experience figure, and no note speaks of "the higher score of the two sessions"."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import make_responses, run_cli, write_study

ACUTE_BLOCK = """[measures.mystical]
instrument = "meq30"
timepoints = ["session1", "session2"]
peak = "max"
"""


def _visible(page: str) -> str:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", page, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(text))


def _report(folder: Path, *, single: bool) -> str:
    responses = make_responses()
    study = write_study(folder, responses)
    if single:
        single_rows = ~(
            (responses["instrument"] == "meq30") & (responses["timepoint"] == "session2")
        )
        responses[single_rows].to_csv(folder / "responses.csv", index=False)
        text = study.read_text(encoding="utf-8")
        assert ACUTE_BLOCK in text
        text = text.replace(
            ACUTE_BLOCK, '[measures.mystical]\ninstrument = "meq30"\ntimepoints = ["session1"]\n'
        ).replace('x = ["mystical.total@peak"]', 'x = ["mystical.total@session1"]')
        study.write_text(text, encoding="utf-8")
    out = folder.with_name(folder.name + "-out")  # outputs never go inside the study folder
    result = run_cli("analyze", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _report(tmp_path_factory.mktemp("single"), single=True)


def test_single_session_keeps_the_acute_experience_figure(single: str) -> None:
    assert 'id="fig-acute"' in single
    figure = single[single.index('id="fig-acute"') :]
    caption = _visible(figure[: figure.index("</figure>")])
    assert "single-session (MEQ30: session1)" in caption
    assert "Peak" not in caption


def test_single_session_notes_do_not_speak_of_two_sessions(single: str) -> None:
    text = _visible(single)
    assert "two sessions" not in text
    assert "Peak =" not in text
    assert "peak" not in text.lower().replace("peaks", "")


def test_two_sessions_still_say_how_the_peak_is_taken(tmp_path: Path) -> None:
    text = _visible(_report(tmp_path, single=False))
    assert "Peak = the higher score of the two sessions." in text
    figure = text[text.index("Distribution of each participant") :][:200]
    assert "peak (the higher score of the two sessions)" in figure
