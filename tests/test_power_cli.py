"""The ``power`` command line, run for real in a subprocess.

Expected values: G*Power 3.1 exact test (rho = .3, power .8 -> N = 84), R pwr.r.test
(ceil(84.07) = 85), statsmodels TTestPower (d = .5, power .8 -> 33.37 -> 34).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.power import TTestPower


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patalliance.cli.power", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_correlation_sample_size_json() -> None:
    proc = run("correlation", "--r", "0.3", "--power", "0.8", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["n_exact"], out["n_fisher"], out["n"]) == (84, 85, 84)


def test_correlation_power_with_simulation_json() -> None:
    proc = run(
        "correlation", "--r", "0.3", "--n", "84", "--simulations", "20000", "--seed", "1", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert_allclose(out["power_exact"], 0.80034, atol=1e-5)
    assert abs(out["power_fisher"] - out["power_exact"]) < 0.005
    assert abs(out["power_mc"] - out["power_exact"]) < 4 * out["power_mc_se"]
    assert (out["n_simulations"], out["seed"]) == (20000, 1)
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_correlation_table_output() -> None:
    proc = run("correlation", "--r", "0.4", "--n", "24")
    assert proc.returncode == 0, proc.stderr
    assert "power_exact" in proc.stdout and "power_fisher" in proc.stdout


def test_paired_json() -> None:
    proc = run("paired", "--d", "0.43", "--n", "24", "--json")
    assert proc.returncode == 0, proc.stderr
    expected = TTestPower().power(effect_size=0.43, nobs=24, alpha=0.05)
    assert_allclose(json.loads(proc.stdout)["power"], expected, atol=1e-8)
    proc = run("paired", "--d", "0.5", "--power", "0.8", "--json")
    assert json.loads(proc.stdout)["n"] == 34


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("correlation", "--r", "1.5", "--n", "20"), "'r' parameter"),
        (("correlation", "--r", "0.3"), "exactly one of --n"),
        (("correlation", "--r", "0.3", "--n", "20", "--power", "0.8"), "exactly one of --n"),
        (("correlation", "--r", "0.3", "--n", "20", "--simulations", "100"), "--seed"),
        (("paired", "--d", "0", "--power", "0.8"), "'d' parameter"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
