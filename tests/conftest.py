"""Shared fixtures: a small study written to a temporary folder."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

STUDY_TOML = """\
[study]
id = "tiny"
title = "A tiny test study"

[arms]
immediate = {{ label = "Immediate" }}
delayed = {{ label = "Delayed" }}

[[timepoints]]
id = "baseline"
label = "Baseline"
[[timepoints]]
id = "prep"
label = "Preparation"
[[timepoints]]
id = "session1"
[[timepoints]]
id = "session2"
[[timepoints]]
id = "post1w"
[[timepoints]]
id = "fu4w"

[data]
responses = "responses.csv"
participants = "participants.csv"
missing_codes = [-99]
{data_extra}

[measures.alliance]
instrument = "wai_sr"
timepoints = ["prep", "post1w"]

[measures.mystical]
instrument = "meq30"
timepoints = ["session1", "session2"]
peak = "max"

[measures.depression]
instrument = "grid_hamd17"
timepoints = ["baseline", "post1w", "fu4w"]
baseline = "baseline"

[analysis]
correlation = "pearson"
ci = "fisher"
adjust = "none"
confidence_level = 0.95
seed = 1

[[analysis.change]]
variable_from = "alliance.total@prep"
variable_to = "alliance.total@post1w"

[[analysis.correlations]]
family = "alliance_outcome"
x = ["alliance.total@prep", "alliance.total@post1w"]
y = ["depression.total@post1w", "depression.total@fu4w"]

[[analysis.correlations]]
family = "acute"
x = ["mystical.total@peak"]
y = ["depression.total@fu4w", "alliance.total@prep"]
{analysis_extra}
"""

ITEM_RANGES = {
    "wai_sr": (12, [(1, 5)] * 12),
    "meq30": (30, [(0, 5)] * 30),
    "grid_hamd17": (
        17,
        [(0, 4) if i in {1, 2, 3, 7, 8, 9, 10, 11, 15} else (0, 2) for i in range(1, 18)],
    ),
}


def make_responses(n: int = 12, seed: int = 7, missing: float = 0.05) -> pd.DataFrame:
    """Random valid item responses for the tiny study, with some missing items/occasions."""
    rng = np.random.default_rng(seed)
    plan = {
        "wai_sr": ["prep", "post1w"],
        "meq30": ["session1", "session2"],
        "grid_hamd17": ["baseline", "post1w", "fu4w"],
    }
    rows = []
    for p in range(1, n + 1):
        pid = f"P{p:03d}"
        level = rng.normal()
        for inst, tps in plan.items():
            n_items, ranges = ITEM_RANGES[inst]
            for tp in tps:
                if rng.random() < missing:
                    continue  # whole occasion missing
                for item in range(1, n_items + 1):
                    lo, hi = ranges[item - 1]
                    mid = (lo + hi) / 2 + level * (hi - lo) / 5 * (
                        -1 if inst == "grid_hamd17" else 1
                    )
                    val = int(np.clip(np.rint(mid + rng.normal(0, (hi - lo) / 4)), lo, hi))
                    value = "" if rng.random() < missing / 5 else str(val)
                    rows.append((pid, tp, inst, str(item), value))
    return pd.DataFrame(
        rows, columns=["participant_id", "timepoint", "instrument", "item", "value"]
    )


def make_participants(n: int = 12) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": [f"P{p:03d}" for p in range(1, n + 1)],
            "arm": ["immediate" if p % 2 else "delayed" for p in range(1, n + 1)],
            "facilitator": [f"F{p % 3 + 1}" for p in range(1, n + 1)],
        }
    )


def write_study(
    folder: Path,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    *,
    data_extra: str = "",
    analysis_extra: str = "",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (responses if responses is not None else make_responses()).to_csv(
        folder / "responses.csv", index=False
    )
    (participants if participants is not None else make_participants()).to_csv(
        folder / "participants.csv", index=False
    )
    path = folder / "study.toml"
    path.write_text(
        STUDY_TOML.format(data_extra=data_extra, analysis_extra=analysis_extra), encoding="utf-8"
    )
    return path


@pytest.fixture
def tiny_study(tmp_path: Path) -> Path:
    return write_study(tmp_path / "study")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``patalliance`` command in a subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "patalliance", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


#: Every analysis family beyond the paper, for end-to-end tests.
ALL_FAMILIES = """
[analysis.multiple_imputation]
m = 3
burn_in = 2

[analysis.sensitivity]
n_resamples = 300

[analysis.bayes_factors]
kappa = 1.0

[[analysis.efficacy]]
measure = "depression"
timepoints = ["post1w", "fu4w"]
baseline = "baseline"
treatment_arm = "immediate"
control_arm = "delayed"

[[analysis.partial_correlations]]
family = "adjusted"
x = ["alliance.total@prep"]
y = ["depression.total@fu4w"]
covariates = ["depression.total@baseline"]

[[analysis.mixed_models]]
outcome = "depression.total"
timepoints = ["post1w", "fu4w"]
predictors = ["alliance.total@prep"]
baseline = "depression.total@baseline"
n_boot = 10

[[analysis.mediation]]
x = "alliance.total@prep"
m = "mystical.total@peak"
y = "depression.total@fu4w"
n_boot = 300

[[analysis.facilitator]]
alliance = ["alliance.total@prep"]
outcomes = ["depression.total@fu4w"]
"""


#: Tests marked ``slow`` (a module, or a module's test by name): the browser tests and the
#: longest end-to-end tests. ``python -m pytest -m "not slow"`` runs the rest (the marker is
#: registered in pyproject.toml).
SLOW_TESTS = (
    "tests/test_report_browser.py",
    "tests/app/test_flow_browser.py",
    "tests/pool/test_report_browser.py",
    "tests/test_demo.py",
    "tests/test_analyze_e2e.py",
    "tests/test_analyze_families_e2e.py",
    "tests/test_io_formats.py::test_round_trip",
    "tests/simulate/test_power.py",
    "tests/report/test_single_session.py",
    "tests/test_cli_help.py",
    "tests/test_cli_tables.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fast_gc(monkeypatch: pytest.MonkeyPatch) -> None:
    """statsmodels' ``multipletests`` calls ``gc.collect()`` on every call, which in a test
    process holding many objects takes tens of milliseconds; make it a no-op in tests that
    call it in a loop. This changes only speed, never a result."""
    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: 0)
