"""The command line starts without the heavy scientific stack.

``patalliance --help``, ``patalliance COMMAND --help`` and ``patalliance instruments`` must not
import pandas, scipy, statsmodels or matplotlib (read from ``python -X importtime``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"pandas", "scipy", "statsmodels", "matplotlib"}


def _imported(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "patalliance", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "patalliance" in names  # the timing was read
    return names


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("analyze", "--help"),
        ("demo", "--help"),
        ("power", "--help"),
        ("power", "plan", "--help"),
        ("simulate", "--help"),
        ("instruments",),
    ],
)
def test_no_heavy_import(args: tuple[str, ...]) -> None:
    assert not (_imported(*args) & HEAVY)


def test_version_literal_is_the_project_version() -> None:
    import tomllib
    from importlib.metadata import version

    from patalliance._version import __version__

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert __version__ == project["project"]["version"] == version("patalliance")


def test_a_submodule_does_not_hide_the_function_of_its_name() -> None:
    code = (
        "import types, patalliance.stats.mediation, patalliance.stats.moderation\n"
        "from patalliance.stats import mediation, moderation\n"
        "import patalliance.stats as s\n"
        "assert callable(mediation) and not isinstance(mediation, types.ModuleType)\n"
        "assert callable(moderation) and not isinstance(moderation, types.ModuleType)\n"
        "assert s.mediation is mediation\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
