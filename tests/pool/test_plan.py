"""``pool.toml`` and results.json inputs (``patalliance.pool.plan``)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from patalliance.errors import ConfigError, DataValidationError
from patalliance.pool.effects import hedges_g
from patalliance.pool.plan import load_plan, read_results_inputs


def results_file(folder: Path, sid: str, x: str, y: str, r: float, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": "patalliance.results/1",
        "study": {"id": sid, "title": f"Trial {sid}"},
        "correlations": [
            {"family": "alliance_outcome", "x": x, "y": y, "n": n, "r": r},
            {"family": "alliance_outcome", "x": x, "y": "other@fu3m", "n": n, "r": 0.1},
        ],
        "efficacy": [
            {
                "comparisons": [
                    {
                        "variable": y,
                        "n_treatment": 12,
                        "n_control": 11,
                        "mean_treatment": 8.0,
                        "sd_treatment": 6.0,
                        "mean_control": 20.0,
                        "sd_control": 5.0,
                    }
                ]
            }
        ],
    }
    path = folder / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


PLAN = """\
[pool]
title = "Alliance x depression"
x = "alliance.total@prep"
y = "depression.total@fu4w"
higher_is_better = false
method = "DL"

[[inputs]]
file = "a/results.json"
label = "Trial A"
subgroup = "psilocybin"

[[inputs]]
file = "b/results.json"
x = "wai.total@prep"
y = "hamd.total@wk4"
higher_is_better = true
"""


@pytest.fixture
def trials(tmp_path: Path) -> Path:
    results_file(
        tmp_path / "a", "trial_a", "alliance.total@prep", "depression.total@fu4w", -0.6, 20
    )
    results_file(tmp_path / "b", "trial_b", "wai.total@prep", "hamd.total@wk4", 0.3, 40)
    (tmp_path / "pool.toml").write_text(PLAN, encoding="utf-8")
    return tmp_path


def test_plan_maps_variables_per_trial_and_orients(trials: Path) -> None:
    plan = load_plan(trials / "pool.toml")
    assert plan.pool.method == "DL" and len(plan.inputs) == 2
    table = read_results_inputs([], plan)
    a, b = table.studies
    assert (a.study, a.label, a.subgroup, b.study) == (
        "trial_a",
        "Trial A",
        "psilocybin",
        "trial_b",
    )
    assert_allclose([a.effect, b.effect], [math.atanh(0.6), math.atanh(0.3)])
    assert_allclose([a.se, b.se], [1 / math.sqrt(17), 1 / math.sqrt(37)])
    assert table.measure == "r" and a.sign_flipped and not b.sign_flipped
    assert "correlations alliance.total@prep" in a.source


def test_positional_inputs_take_their_plan_entry(trials: Path) -> None:
    plan = load_plan(trials / "pool.toml")
    table = read_results_inputs([trials / "b/results.json", trials / "a/results.json"], plan)
    assert [s.study for s in table.studies] == ["trial_b", "trial_a"]


def test_efficacy_result(trials: Path, tmp_path: Path) -> None:
    text = PLAN.replace(
        'method = "DL"', 'method = "DL"\nresult = "efficacy"\nvariable = "depression.total@fu4w"'
    )
    text = text.replace('x = "wai.total@prep"\ny = "hamd.total@wk4"', 'variable = "hamd.total@wk4"')
    (tmp_path / "eff.toml").write_text(text, encoding="utf-8")
    table = read_results_inputs([], load_plan(tmp_path / "eff.toml"))
    g = hedges_g(8.0, 6.0, 12, 20.0, 5.0, 11).effect[0]
    assert table.measure == "g"
    assert_allclose([s.effect for s in table.studies], [-g, g])


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[pool]\nmethod = 'ML'\n", "pool.method"),
        ("[pool]\nunknown = 1\n", "pool.unknown: unknown key"),
        ("[pool\n", "not valid TOML"),
        ("[pool]\nconfidence_level = 95\n", "pool.confidence_level"),
    ],
)
def test_bad_plans_are_config_errors(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "pool.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as exc:
        load_plan(path)
    assert str(path) in str(exc.value)


def test_missing_result_and_wrong_schema(trials: Path) -> None:
    plan = load_plan(trials / "pool.toml")
    bad = trials / "c" / "results.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"schema": "something/2"}), encoding="utf-8")
    with pytest.raises(DataValidationError, match="not a patalliance results file"):
        read_results_inputs([bad, trials / "a/results.json"], plan)
    other = results_file(trials / "d", "trial_d", "x@1", "y@2", 0.2, 30)
    with pytest.raises(
        DataValidationError, match=re.escape("no correlation alliance.total@prep")
    ) as exc:
        read_results_inputs([other, trials / "a/results.json"], plan)
    assert "available: x@1 × other@fu3m, x@1 × y@2" in str(exc.value)
    with pytest.raises(DataValidationError, match="fewer than 2 studies"):
        read_results_inputs([trials / "a/results.json"], plan)
    with pytest.raises(DataValidationError, match="'trial_a' repeats"):
        read_results_inputs([trials / "a/results.json", trials / "a/results.json"], plan)
