"""`--help` of every command: flags are shown as flags (no ``<bool>``), arguments by name in
capitals (``STUDY``, not ``{study}``). Each help screen is the real command in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer

from patalliance.cli.main import app


def _commands() -> list[tuple[list[str], object]]:
    """Every command and group path of the ``patalliance`` command, with its click object."""
    root = typer.main.get_command(app)
    out: list[tuple[list[str], object]] = [([], root)]
    todo = [([], root)]
    while todo:
        path, group = todo.pop()
        for name, sub in getattr(group, "commands", {}).items():
            out.append(([*path, name], sub))
            todo.append(([*path, name], sub))
    return out


COMMANDS = _commands()


def _help(path: list[str]) -> str:
    env = {**os.environ, "COLUMNS": "120", "PYTHONWARNINGS": "ignore", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "patalliance", *path, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_command_is_listed() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    for name in ("validate", "analyze", "export", "init", "power correlation", "pool"):
        assert name in names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help_shows_flags_as_flags_and_arguments_by_name(path: list[str]) -> None:
    command = dict((" ".join(p), c) for p, c in COMMANDS)[" ".join(path)]
    text = _help(path)
    assert "<bool>" not in text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert not re.search(r"\{[a-z_]+\}", usage), usage
    for param in getattr(command, "params", []):
        if param.param_type_name == "argument":
            assert param.name.upper() in usage, (param.name, usage)
        elif getattr(param, "is_flag", False):
            flag = param.opts[0]
            line = next(ln for ln in text.splitlines() if re.search(rf"{flag}\b", ln))
            assert not re.search(rf"{flag}\s+<", line), line
    assert "--help" in text


def test_validate_help_names_study_and_lenient_is_a_flag() -> None:
    text = _help(["validate"])
    assert "Usage: patalliance validate [OPTIONS] STUDY" in text
    lenient = next(ln for ln in text.splitlines() if "--lenient" in ln)
    assert re.search(r"--lenient\s+Exclude bad rows", lenient), lenient
    report = next(ln for ln in text.splitlines() if "--report" in ln)
    assert "<path>" in report  # an option that takes a value still shows its type
