"""The pipeline from a study to the analysis table: read → validate → score → derive.

Each step is a pure function in its own module; this module only chains them so that the
public API, the command line, the demo and the tests run exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from patalliance.derive import AnalysisTable, build_analysis_table
from patalliance.errors import DataValidationError
from patalliance.instruments.key import InstrumentKey
from patalliance.instruments.registry import resolve_keys
from patalliance.io import TrialData
from patalliance.io.frames import read_with_frames
from patalliance.scoring import score_trial
from patalliance.study import Study, load_study
from patalliance.validate import Policy, ValidatedData, ValidationReport, validate

__all__ = ["Checked", "Prepared", "check", "prepare", "summarize_problems"]


@dataclass(frozen=True)
class Checked:
    """A study with its keys, its data as read and the validated data."""

    study: Study
    keys: dict[str, InstrumentKey]
    raw: TrialData
    validated: ValidatedData


@dataclass(frozen=True)
class Prepared(Checked):
    """Everything up to the analysis table."""

    scores: pd.DataFrame
    table: AnalysisTable


def summarize_problems(report: ValidationReport, *, limit: int = 3) -> str:
    """One line: the number of errors, by code, with the first instance of each code."""
    errors = report.errors
    by_code: dict[str, list[str]] = {}
    for problem in errors:
        by_code.setdefault(problem.code, []).append(str(problem))
    parts = []
    for items in list(by_code.values())[:limit]:
        count = f" ({len(items)} rows like it)" if len(items) > 1 else ""
        parts.append(f"{items[0]}{count}")
    more = f"; and {len(by_code) - limit} more kinds of problem" if len(by_code) > limit else ""
    return f"the data failed validation with {len(errors)} problem(s): " + "; ".join(parts) + more


def check(
    study: Study | str | Path,
    *,
    policy: Policy | None = None,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
) -> Checked:
    """Load the study (when given a path) and its keys, read the data and validate it.

    Never raises for bad data: the problems are in ``validated.report``.
    """
    loaded = study if isinstance(study, Study) else load_study(study)
    keys = resolve_keys(loaded)
    raw = read_with_frames(loaded, responses=responses, participants=participants)
    validated = validate(raw, loaded, keys, policy=policy)
    return Checked(loaded, keys, raw, validated)


def prepare(
    study: Study | str | Path,
    *,
    policy: Policy | None = None,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
) -> Prepared:
    """Run read → validate → score → derive.

    Raises
    ------
    DataValidationError
        When the data fail validation under the policy (exit code 1).
    """
    checked = check(study, policy=policy, responses=responses, participants=participants)
    report = checked.validated.report
    if not report.ok:
        raise DataValidationError(summarize_problems(report), report)
    scores = score_trial(checked.validated, checked.study, checked.keys)
    table = build_analysis_table(
        scores, checked.validated.participants, checked.study, checked.keys
    )
    return Prepared(checked.study, checked.keys, checked.raw, checked.validated, scores, table)
