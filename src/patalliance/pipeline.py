"""The pipeline from a study file to the analysis table: read → validate → score → derive.

Each step is a pure function in its own module; this module only chains them so that the
command line, the demo and the tests run exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from patalliance.derive import AnalysisTable, build_analysis_table
from patalliance.errors import DataValidationError
from patalliance.instruments.key import InstrumentKey
from patalliance.instruments.registry import resolve_keys
from patalliance.io import TrialData, read_study_data
from patalliance.scoring import score_trial
from patalliance.study import Study, load_study
from patalliance.validate import Policy, ValidatedData, ValidationReport, validate


@dataclass(frozen=True)
class Prepared:
    """Everything up to the analysis table."""

    study: Study
    keys: dict[str, InstrumentKey]
    raw: TrialData
    validated: ValidatedData
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
    study_path: str | Path, *, policy: Policy | None = None
) -> tuple[Study, dict[str, InstrumentKey], TrialData, ValidatedData]:
    """Load the study and its keys, read the data and validate it (never raises for data)."""
    study = load_study(study_path)
    keys = resolve_keys(study)
    raw = read_study_data(study)
    validated = validate(raw, study, keys, policy=policy)
    return study, keys, raw, validated


def prepare(study_path: str | Path, *, policy: Policy | None = None) -> Prepared:
    """Run read → validate → score → derive.

    Raises
    ------
    DataValidationError
        When the data fail validation under the policy (exit code 1).
    """
    study, keys, raw, validated = check(study_path, policy=policy)
    report = validated.report
    if not report.ok:
        raise DataValidationError(summarize_problems(report), report)
    scores = score_trial(validated, study, keys)
    table = build_analysis_table(scores, validated.participants, study, keys)
    return Prepared(study, keys, raw, validated, scores, table)
