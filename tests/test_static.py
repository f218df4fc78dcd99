"""Static checks are part of the test suite: ruff (lint + format) and mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run pip install -e '.[test]'")
    return [found]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_check() -> None:
    result = _run([*_tool("ruff"), "check", "src", "tests", "benchmarks"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run([*_tool("ruff"), "format", "--check", "src", "tests", "benchmarks"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = _run([*_tool("mypy"), "src"])
    assert result.returncode == 0, result.stdout + result.stderr
