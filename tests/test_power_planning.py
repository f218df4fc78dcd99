"""`patalliance power` for a planner: field meanings, dropout, d_av, planned effects, primary tests.

Outside oracles: G*Power 3.1's exact test (rho = .3, power .8 -> N = 84) and R pwr.r.test
(ceil(84.07) = 85) for the analysable N; statsmodels ``TTestPower`` for the paired t test;
scipy ``pearsonr`` for which pilot correlations are significant; the Fisher-z normal
approximation (Cohen 1988, ch. 3) for the power of one planned correlation; and, for the d_av
to d_z conversion (Dunlap et al. 1996; Lakens 2013), both effect sizes computed from their
definitions on a sample whose two SDs are equal and whose correlation is r.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.power import TTestPower

from patalliance.demo import DEMO_DIR
from patalliance.simulate.power import d_z_from_d_av, n_to_enrol

STUDY = DEMO_DIR / "study.toml"
PREP_4W = ("alliance.total@prep", "depression.total@fu4w")
POST_4W = ("alliance.total@post1w", "depression.total@fu4w")


def _plan(*args: str) -> tuple[int, str, str]:
    result = run_cli("power", "plan", str(STUDY), "--simulations", "200", "--seed", "2", *args)
    return result.returncode, result.stdout, result.stderr


# --------------------------------------------------------------------------- one test


def test_correlation_table_explains_every_field_and_adds_n_to_enrol() -> None:
    result = run_cli("power", "correlation", "--r", "0.3", "--power", "0.8", "--dropout", "0.2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "exact test of r (as G*Power 'exact')" in out
    assert "Fisher-z approximation (as R pwr.r.test)" in out
    assert "ceil(n_exact / (1 - dropout))" in out
    for field in ("r", "alpha", "power", "n_exact", "n_fisher", "n", "dropout", "n_enrol"):
        line = next(row for row in out.splitlines() if row.startswith(f"│ {field} "))
        meaning = line.rsplit("│", 2)[-2].strip()
        assert meaning, f"field {field} has no meaning"


def test_correlation_dropout_json() -> None:
    result = run_cli(
        "power", "correlation", "--r", "0.3", "--power", "0.8", "--dropout", "0.2", "--json"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # G*Power 84 and pwr.r.test 85 analysable; to enrol: ceil(N / 0.8)
    assert (out["n_exact"], out["n_fisher"]) == (84, 85)
    assert (out["n_enrol_exact"], out["n_enrol_fisher"], out["n_enrol"]) == (105, 107, 105)
    assert out["dropout"] == 0.2
    result = run_cli("power", "correlation", "--r", "0.4", "--n", "24", "--dropout", "0.25")
    assert result.returncode == 0, result.stderr
    assert "│ n_enrol " in result.stdout and "32" in result.stdout


@pytest.mark.parametrize("value", ["1", "-0.1", "1.5"])
def test_dropout_out_of_range_exits_2(value: str) -> None:
    result = run_cli("power", "paired", "--d", "0.5", "--n", "30", "--dropout", value)
    assert result.returncode == 2
    assert "--dropout must be a fraction in [0, 1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_n_to_enrol() -> None:
    assert n_to_enrol(84, 0.2) == 105  # 84 / 0.8 = 105 exactly, not 106
    assert n_to_enrol(85, 0.2) == math.ceil(85 / 0.8)
    assert n_to_enrol(30, 0.0) == 30
    with pytest.raises(ValueError, match="'dropout' parameter"):
        n_to_enrol(30, 1.0)


# --------------------------------------------------------------------------- paired, d_av


def _equal_sd_sample(r: float, shift: float, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Pre/post scores with equal sample SDs (1) and sample correlation exactly r."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((n, 2))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)).T)  # whiten exactly
    chol = np.linalg.cholesky(np.array([[1.0, r], [r, 1.0]]))
    xy = z @ chol.T
    return xy[:, 0], xy[:, 1] + shift


@pytest.mark.parametrize(("r", "shift"), [(0.5, 0.43), (0.7, 0.43), (0.2, -0.8)])
def test_d_z_from_d_av_matches_the_definitions(r: float, shift: float) -> None:
    pre, post = _equal_sd_sample(r, shift)
    diff = post - pre
    d_av = diff.mean() / ((pre.std(ddof=1) + post.std(ddof=1)) / 2)
    d_z = diff.mean() / diff.std(ddof=1)
    assert_allclose(np.corrcoef(pre, post)[0, 1], r, atol=1e-12)
    assert_allclose(d_z_from_d_av(d_av, r), d_z, rtol=1e-10)


def test_paired_d_av_power_matches_statsmodels() -> None:
    result = run_cli(
        "power", "paired", "--d-av", "0.43", "--r-prepost", "0.6", "--n", "24", "--json"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    pre, post = _equal_sd_sample(0.6, 0.43)
    d_z = (post - pre).mean() / (post - pre).std(ddof=1)  # from the definition
    assert_allclose(out["d_z"], d_z, rtol=1e-10)
    assert (out["d_av"], out["r_prepost"]) == (0.43, 0.6)
    assert_allclose(out["power"], TTestPower().power(effect_size=d_z, nobs=24, alpha=0.05))
    result = run_cli(
        "power", "paired", "--d-av", "0.43", "--r-prepost", "0.6", "--power", "0.8",
        "--dropout", "0.1", "--json",
    )  # fmt: skip
    out = json.loads(result.stdout)
    expected = math.ceil(TTestPower().solve_power(effect_size=d_z, power=0.8, alpha=0.05))
    assert out["n"] == expected
    assert out["n_enrol"] == math.ceil(expected / 0.9)


def test_paired_help_states_the_conversion_and_its_assumption() -> None:
    result = run_cli("power", "paired", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "d_z = d_av / sqrt(2 (1 - r))" in text
    assert "equal pre and post SDs" in text and "Dunlap" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--d-av", "0.4", "--n", "20"), "--d-av needs --r-prepost"),
        (("--d", "0.4", "--d-av", "0.4", "--r-prepost", "0.5", "--n", "20"), "exactly one of"),
        (("--d", "0.4", "--r-prepost", "0.5", "--n", "20"), "--r-prepost goes with --d-av"),
        (("--d-av", "0.4", "--r-prepost", "1", "--n", "20"), "--r-prepost must be"),
    ],
)
def test_paired_effect_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli("power", "paired", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- power plan


def test_plan_from_pilot_warns_and_takes_only_significant_r_as_primary(tmp_path: Path) -> None:
    code, stdout, stderr = _plan("--n", "24,60", "--json", "--out", str(tmp_path))
    assert code == 0, stderr
    assert "warning: 16 of the 16 planned correlations are the observed correlations" in stderr
    doc = json.loads(stdout)
    assert doc["warnings"] and "optimistic" in doc["warnings"][0]
    from patalliance.pipeline import prepare

    table = prepare(STUDY).table.values
    for test in doc["tests"]:
        pair = table[[test["x"], test["y"]]].dropna()
        p = stats.pearsonr(pair.iloc[:, 0], pair.iloc[:, 1]).pvalue
        assert test["primary"] == (p < 0.05), (test["x"], test["y"], p)
    weak = [t for t in doc["tests"] if abs(t["rho"]) < 0.2]
    assert weak and not any(t["primary"] for t in weak)
    assert doc["primary_from"].startswith("none marked: the tests significant")
    page = (tmp_path / "power_report.html").read_text(encoding="utf-8")
    assert "with no adjustment for multiplicity" in page and "after none" not in page
    assert "How to read this page" in page and "Warning:" in page
    assert "every primary test is significant together" in page


def test_plan_terminal_explains_its_rows_and_names_the_adjustment() -> None:
    code, stdout, stderr = _plan("--n", "24", "--adjust", "holm")
    assert code == 0, stderr
    assert "after Holm adjustment for multiplicity within each family" in stdout
    assert "primary tests" in stdout and "any significant" in stdout
    assert "min N: smallest N in the grid" in stdout
    assert "Primary tests: none marked" in stdout


def test_plan_effect_flags_mark_the_primary_tests() -> None:
    code, stdout, stderr = _plan(
        "--n", "40", "--json",
        "--effect", f"{PREP_4W[1]},{PREP_4W[0]}=-0.4",  # either order
        "--primary", ",".join(POST_4W),
    )  # fmt: skip
    assert code == 0, stderr
    doc = json.loads(stdout)
    primary = [(t["x"], t["y"]) for t in doc["tests"] if t["primary"]]
    assert sorted(primary) == sorted([PREP_4W, POST_4W])
    rho = {(t["x"], t["y"]): t["rho"] for t in doc["tests"]}
    assert rho[PREP_4W] == -0.4
    assert doc["primary_from"] == "marked by the user"
    assert "15 of the 16 planned correlations" in stderr  # --primary keeps the pilot's r
    # r = -.4 with the pilot's other correlations is not positive definite: the others move,
    # the planned effect stays, and the output says so.
    assert doc["correlation_matrix_adjusted_to_positive_definite"] is True


def _effects_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "effects.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_plan_effects_file_power_matches_the_fisher_approximation(tmp_path: Path) -> None:
    effects = _effects_file(
        tmp_path,
        f'[[pairs]]\nx = "{PREP_4W[0]}"\ny = "{PREP_4W[1]}"\nr = -0.4\nprimary = true\n'
        'source = "meta-analysis"\n',
    )
    result = run_cli(
        "power", "plan", str(STUDY), "--n", "40", "--simulations", "4000", "--seed", "5",
        "--effects", str(effects), "--missing", "0", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["warnings"] == []
    (test,) = [t for t in doc["tests"] if t["primary"]]
    assert (test["x"], test["y"], test["rho"]) == (*PREP_4W, -0.4)
    # Cohen (1988) / pwr.r.test: power = Phi(|atanh r| sqrt(n - 3) - z_{1 - alpha/2}) + lower tail
    shift = math.atanh(0.4) * math.sqrt(37)
    z = stats.norm.isf(0.025)
    fisher = stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift)
    assert abs(test["power"][0] - fisher) < 4 * test["power_se"][0] + 0.01
    assert doc["power_all_primary"] == test["power"]


def test_plan_without_primary_tests_says_so_instead_of_zero(tmp_path: Path) -> None:
    effects = _effects_file(
        tmp_path, f'[[pairs]]\nx = "{PREP_4W[0]}"\ny = "{PREP_4W[1]}"\nr = 0.3\nprimary = false\n'
    )
    code, stdout, stderr = _plan("--n", "24", "--effects", str(effects))
    assert code == 0, stderr
    assert "No primary test, so there is no 'all primary' power" in stdout
    assert "0.00" not in next(line for line in stdout.splitlines() if "all primary" in line)
    code, stdout, _ = _plan("--n", "24", "--effects", str(effects), "--json")
    doc = json.loads(stdout)
    assert doc["power_all_primary"] is None and doc["min_n_all_primary"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f'[[pairs]]\nx = "{PREP_4W[0]}"\ny = "{PREP_4W[1]}"\nr = 0.3\nprimay = true\n',
         "pairs[0]: unknown key(s) primay"),
        (f'[[pairs]]\nx = "{PREP_4W[0]}"\ny = "{PREP_4W[1]}"\nr = 0.3\nprimary = "yes"\n',
         "pairs[0].primary must be true or false"),
        ('[[pair]]\nx = "a"\n', "unknown key(s) pair"),
        ('[[pairs]]\nx = "alliance.total@prep"\ny = "alliance.total@post1w"\nr = 0.5\n'
         "primary = true\n", "is not a test of the plan"),
        (f'[[pairs]]\nx = "{PREP_4W[0]}"\ny = "{PREP_4W[1]}"\nr = 1.2\n', "pairs[0].r must be"),
    ],
)  # fmt: skip
def test_effects_file_errors_exit_2(tmp_path: Path, body: str, message: str) -> None:
    effects = _effects_file(tmp_path, body)
    code, _, stderr = _plan("--n", "24", "--effects", str(effects))
    assert code == 2
    assert message in " ".join(stderr.split()) and "Traceback" not in stderr
    assert str(effects.name) in stderr


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--effect", "alliance.total@prep=0.3", "expected X,Y=R"),
        ("--effect", f"{PREP_4W[0]},{PREP_4W[1]}=strong", "must be a number in (-1, 1)"),
        ("--effect", f"{PREP_4W[0]},{PREP_4W[1]}=1.5", "must be in (-1, 1)"),
        ("--effect", f"{PREP_4W[0]},depression.total@fu5w=0.3", "is not a test of the plan"),
        ("--primary", "alliance.total@prep", "expected X,Y"),
        ("--primary", "alliance.total@prep,alliance.total@post1w", "is not a test of the plan"),
    ],
)
def test_effect_and_primary_flag_errors_exit_2(flag: str, value: str, message: str) -> None:
    code, _, stderr = _plan("--n", "24", flag, value)
    assert code == 2
    assert message in " ".join(stderr.split()) and flag in stderr
    assert "Traceback" not in stderr
