"""Reading a CSV of study-level effects (``patalliance.pool.inputs``): every format, and
errors that name the file, row and column."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.errors import ConfigError, DataValidationError
from patalliance.pool.effects import change_sd, hedges_g
from patalliance.pool.inputs import read_effects_csv


def write(tmp_path: Path, text: str, name: str = "effects.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_r_n_format_with_orientation_and_optional_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "study,r,n,label,subgroup,higher_is_better,comment\n"
        "a,-0.65,20,Trial A,psilocybin,false,anything\n"
        "b,0.30,50,,mdma,,\n",
    )
    table = read_effects_csv(path)
    assert table.measure == "r" and table.k == 2
    a, b = table.studies
    assert_allclose([a.effect, b.effect], [-math.atanh(-0.65), math.atanh(0.30)])
    assert_allclose([a.se, b.se], [1 / math.sqrt(17), 1 / math.sqrt(47)])
    assert (a.label, b.label, a.subgroup) == ("Trial A", "b", "psilocybin")
    assert (a.higher_is_better, b.higher_is_better, table.oriented) == (False, True, True)
    assert a.source == "effects.csv, row 2"


def test_default_orientation_from_the_caller(tmp_path: Path) -> None:
    path = write(tmp_path, "study,effect,se\na,0.5,0.2\nb,0.3,0.1\n")
    table = read_effects_csv(path, higher_is_better=False)
    assert table.measure == "generic" and [s.effect for s in table.studies] == [-0.5, -0.3]
    assert all(math.isnan(s.n) for s in table.studies)


def test_means_format_gives_hedges_g(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "study,mean_treatment,sd_treatment,n_treatment,mean_control,sd_control,n_control\n"
        "a,8.5,5.7,13,23.5,6.0,11\nb,10,4,20,12,5,22\n",
    )
    for convention in ("exact", "metapsy"):
        table = read_effects_csv(path, g_convention=convention)  # type: ignore[arg-type]
        es = hedges_g([8.5, 10], [5.7, 4], [13, 20], [23.5, 12], [6.0, 5], [11, 22],
                      convention=convention)  # type: ignore[arg-type]  # fmt: skip
        assert table.measure == "g" and table.convention == convention
        assert_allclose(table.effects, es.effect)
        assert_allclose(table.ses, es.se)
        assert [s.n for s in table.studies] == [24, 42]


def test_change_and_prepost_formats(tmp_path: Path) -> None:
    change = write(
        tmp_path,
        "study,mean_change_treatment,sd_change_treatment,n_treatment,"
        "mean_change_control,sd_change_control,n_control\n"
        "a,-10,6,15,-3,5,15\nb,-8,7,20,-4,6,19\n",
        "change.csv",
    )
    t = read_effects_csv(change)
    assert_allclose(
        t.effects, hedges_g([-10, -8], [6, 7], [15, 20], [-3, -4], [5, 6], [15, 19]).effect
    )
    prepost = write(
        tmp_path,
        "study,mean_pre_treatment,sd_pre_treatment,mean_post_treatment,sd_post_treatment,"
        "n_treatment,mean_pre_control,sd_pre_control,mean_post_control,sd_post_control,"
        "n_control,r_prepost\n"
        "a,25,4,12,7,15,24,5,21,6,15,0.5\nb,22,3,11,6,20,23,4,19,5,19,0.6\n",
        "prepost.csv",
    )
    t2 = read_effects_csv(prepost)
    sd_t = change_sd([4, 3], [7, 6], [0.5, 0.6])
    sd_c = change_sd([5, 4], [6, 5], [0.5, 0.6])
    expected = hedges_g([-13, -11], sd_t, [15, 20], [-3, -4], sd_c, [15, 19])
    assert_allclose(t2.effects, expected.effect)
    assert_allclose(t2.ses, expected.se)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("study,r\na,0.3\nb,0.2\n", "Closest format 'r' lacks column(s) n"),
        ("r,n\n0.3,20\n0.2,30\n", "required column 'study' is missing"),
        ("study,r,n\na,abc,20\nb,0.2,x\n", "row 2, column 'r': 'abc' is not a number"),
        ("study,r,n\na,abc,20\nb,0.2,x\n", "row 3, column 'n': 'x' is not a number"),
        ("study,r,n\na,,20\nb,0.2,30\n", "row 2, column 'r': empty"),
        ("study,r,n\na,1.2,20\nb,0.2,3\n", "row 2, column 'r': 1.2 must be strictly between"),
        (
            "study,r,n\na,0.1,20\nb,0.2,3\n",
            "row 3, column 'n': 3 is not a whole number of at least 4",
        ),
        ("study,r,n\na,0.1,20\na,0.2,30\n", "row 3, column 'study': 'a' repeats row 2"),
        ("study,r,n\na,0.1,20\n", "fewer than 2 studies (k = 1)"),
        ("study,r,n,higher_is_better\na,0.1,20,maybe\nb,0.2,30,\n", "'maybe' is not true or false"),
        ("study,r,n,effect,se\na,0.1,20,0.1,0.2\nb,0.2,30,0.1,0.2\n", "more than one format"),
        ("study;r;n\na;0.1;20\n", "looks ';'-separated"),
    ],
)
def test_problems_name_file_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataValidationError, match=re.escape(message)) as exc:
        read_effects_csv(path)
    assert str(path) in str(exc.value) and exc.value.exit_code == 1


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "study,effect,se\na,x,0.1\nb,0.2,-1\n,0.3,0.2\n")
    with pytest.raises(DataValidationError) as exc:
        read_effects_csv(path)
    text = str(exc.value)
    assert "3 problem(s)" in text
    assert "row 2, column 'effect'" in text and "row 3, column 'se'" in text
    assert "row 4, column 'study': empty" in text


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_effects_csv(tmp_path / "nope.csv")
    assert np.isnan(np.nan)
