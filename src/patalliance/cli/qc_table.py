"""The QC table on screen: every problem code with its count, severity and first location."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from patalliance.cli._common import console

if TYPE_CHECKING:
    from patalliance.qc import Problem, ValidationReport


def problems_by_code(report: ValidationReport) -> list[tuple[str, str, int, Problem]]:
    """(code, severity, count, first problem) per code and severity: errors first, then by
    count (most first) and code, so the table reads the same on every run."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in report.problems:
        groups.setdefault((problem.code, problem.severity), []).append(problem)
    rows = [(code, sev, len(ps), ps[0]) for (code, sev), ps in groups.items()]
    return sorted(rows, key=lambda r: (r[1] != "error", -r[2], r[0]))


def print_problem_table(report: ValidationReport) -> None:
    """A compact table of the problems by code on stdout (nothing when there are none)."""
    rows = problems_by_code(report)
    if not rows:
        return
    table = Table(title="Problems by code (details in the QC report)", show_header=True)
    table.add_column("code", overflow="fold")
    table.add_column("severity")
    table.add_column("count", justify="right")
    table.add_column("first location", overflow="fold")
    for code, severity, count, first in rows:
        table.add_row(Text(code), Text(severity), Text(str(count)), Text(first.location()))
    console.print(table)
