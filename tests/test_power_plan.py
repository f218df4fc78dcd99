"""`patalliance power plan` on the demo study: progress, JSON, figure; and the plan builder."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from patalliance.demo import DEMO_DIR
from patalliance.simulate.plan import plan_from_study
from patalliance.stats import correlate

STUDY = DEMO_DIR / "study.toml"


def test_plan_from_study_uses_the_data() -> None:
    source = plan_from_study(STUDY)
    spec = source.spec
    assert len(spec.tests) == 16  # 8 alliance-outcome + 4 alliance-acute + 4 acute-outcome
    assert np.linalg.eigvalsh(spec.corr).min() > 0
    # The population matrix is the data's pairwise-complete Pearson matrix (PD already).
    from patalliance.pipeline import prepare

    values = prepare(STUDY).table.values[list(spec.variables)].to_numpy(dtype=float)
    r = correlate(values, values).r
    if not source.adjusted_to_pd:
        np.testing.assert_allclose(spec.corr, r, rtol=1e-12)
    assert spec.missing["alliance.total@prep"] == 4 / 24


def test_power_plan_cli_writes_json_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "power"
    result = run_cli(
        "power",
        "plan",
        str(STUDY),
        "--n",
        "24,60",
        "--simulations",
        "400",
        "--seed",
        "3",
        "--json",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Simulated 800 trials \(400 at each of 2 sample sizes\); done in \d+\.\d s\.",
        result.stderr,
    )
    doc = json.loads((out / "power.json").read_text(encoding="utf-8"))
    printed = json.loads(result.stdout)
    assert printed == doc
    assert doc["n_grid"] == [24, 60]
    assert len(doc["tests"]) == 16
    for test in doc["tests"]:
        assert all(0 <= p <= 1 for p in test["power"])
    # More participants never lowers power by more than Monte Carlo error.
    assert all(t["power"][1] >= t["power"][0] - 0.05 for t in doc["tests"])
    svg = (out / "power_curve.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "<svg" in (out / "power_report.html").read_text(encoding="utf-8")
    again = run_cli(
        "power",
        "plan",
        str(STUDY),
        "--n",
        "24,60",
        "--simulations",
        "400",
        "--seed",
        "3",
        "--json",
    )
    assert json.loads(again.stdout) == doc


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_power_plan_shows_progress_on_a_terminal() -> None:
    """With stderr on a terminal, a progress bar counts the simulated trials."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "patalliance", "power", "plan", str(STUDY), "--n", "24,60",
         "--simulations", "3000", "--seed", "1", "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"},
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the command has exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    text = seen.decode("utf-8", "replace")
    assert "simulating trials" in text and "/6000" in text
    assert "Simulated 6,000 trials (3,000 at each of 2 sample sizes); done in" in text
    assert json.loads(stdout)["n_simulations"] == 3000


def test_power_plan_bad_grid_exits_2(tmp_path: Path) -> None:
    result = run_cli("power", "plan", str(STUDY), "--n", "24,abc", "--seed", "1")
    assert result.returncode == 2
    assert "--n" in result.stderr and "Traceback" not in result.stderr


def test_corr_file_with_a_negative_missing_rate_exits_2(tmp_path: Path) -> None:
    corr = tmp_path / "corr.toml"
    corr.write_text(
        '[[pairs]]\nx = "alliance.total@prep"\ny = "depression.total@fu4w"\nr = -0.5\n'
        '[missing]\n"depression.total@fu4w" = -0.2\n',
        encoding="utf-8",
    )
    result = run_cli(
        "power",
        "plan",
        str(STUDY),
        "--n",
        "24",
        "--simulations",
        "100",
        "--seed",
        "1",
        "--corr",
        str(corr),
    )
    assert result.returncode == 2
    assert "missing.depression.total@fu4w" in result.stderr and "Traceback" not in result.stderr
