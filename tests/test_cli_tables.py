"""Terminal tables wrap instead of cutting names: the demo's published-vs-reproduced table on
an 80-column terminal (the real command in a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

TARGETS = Path(__file__).parents[1] / "src" / "patalliance" / "data" / "levin2024" / "targets.toml"
VARIABLE = re.compile(r"[a-z_]+\.[a-z_]+@[a-z0-9_]+")


def test_demo_table_wraps_at_80_columns(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "PYTHONWARNINGS": "ignore", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "patalliance", "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    table = out[out.index("Published vs reproduced") : out.index("published targets reproduced")]
    lines = table.splitlines()
    assert len(lines) > 10
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "…" not in table
    # every variable the published targets name appears whole on one line of the table
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    published = [*targets["changes"], *targets["correlations"], *targets["descriptives"]]
    names = {n for entry in published for n in VARIABLE.findall(str(entry))}
    assert len(published) == 23 and len(names) >= 10
    for name in names:
        assert name in table, name


def test_simulate_table_wraps_at_80_columns(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "PYTHONWARNINGS": "ignore", "NO_COLOR": "1"}
    study = TARGETS.parent / "study.toml"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "patalliance", "simulate"),
            *("--study", str(study), "--targets", str(TARGETS)),
            *("--out", str(tmp_path / "sim"), "--seed", "20240314"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout[: result.stdout.index("checks met")]
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "…" not in table
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    for entry in targets["correlations"]:
        assert entry["x"] in table and entry["y"] in table, entry
