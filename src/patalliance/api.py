"""The public Python API: load a study, score it, validate it, analyze it.

The command line is a thin layer over these functions, and a notebook needs nothing else::

    import patalliance as pa

    study = pa.load_study("mystudy/study.toml")
    scores = pa.score(study)                       # participant × measure.scale@timepoint
    res = pa.analyze(study)                        # Results: one typed attribute per family
    res.correlations.to_frame()                    # tidy DataFrame, results.json field names
    res.write("mystudy-out/")                      # what `patalliance analyze` writes

DataFrames in the documented long format (``participant_id, timepoint, instrument, item,
value``) and a participants table (``participant_id, arm`` and any other columns) can stand
in for the files the study names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from patalliance.analysis.plan import resample_warnings
from patalliance.analysis.runner import run_plan
from patalliance.errors import DataValidationError
from patalliance.io.tidy import sha256_of
from patalliance.pipeline import Prepared, check, prepare
from patalliance.results import Results
from patalliance.score_notes import note_warnings, score_notes
from patalliance.study import Study, load_study
from patalliance.validate import Policy, ValidationReport

__all__ = ["analyze", "load_study", "score", "validate_data"]


def _study_hash(study: Study) -> str:
    try:
        return sha256_of(study.path)
    except OSError:
        return ""


def _check_plan_has_data(prepared: Prepared) -> None:
    """Fail (exit 1) when the analysis plan names a measure that has no usable data.

    Without this the plan check reports the measure's variables as unknown names, which
    points at the study file when the data are what is missing (e.g. every row excluded
    under ``--lenient``).
    """
    report = prepared.validated.report
    empty = {p.column.removeprefix("measures."): p for p in report.warnings if p.code == "no_data"}
    if not empty:
        return
    from patalliance.analysis.plan import plan_references

    available = set(prepared.table.values.columns)
    needed = {
        var.split(".", 1)[0]
        for var in plan_references(prepared.study).values()
        if var not in available and var.split(".", 1)[0] in empty
    }
    if needed:
        reasons = "; ".join(empty[m].message for m in sorted(needed))
        raise DataValidationError(
            f"{prepared.study.path}: the analysis plan needs data the study does not have: "
            f"{reasons}.",
            report,
        )


def validate_data(
    study: Study | str | Path,
    *,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    policy: Policy | None = None,
) -> ValidationReport:
    """Check the study's data completely; never raises for bad data.

    Parameters
    ----------
    study : Study or path
        A loaded study, or the path of a study file (or of its folder).
    responses, participants : pandas.DataFrame, optional
        Item responses in the long format and a participants table, in place of the files
        the study names.
    policy : {"strict", "lenient"}, optional
        The validation policy; the study's ``[data] policy`` by default.

    Returns
    -------
    ValidationReport
        Every problem (``.problems``, ``.to_frame()``), ``.ok``, and the row accounting
        (``rows_read = rows_used + rows_excluded``).

    Raises
    ------
    ConfigError
        For a bad study file or a missing data file (not for bad data).
    """
    return check(
        study, policy=policy, responses=responses, participants=participants
    ).validated.report


def score(
    study: Study | str | Path,
    *,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    policy: Policy | None = None,
) -> pd.DataFrame:
    """Score every measure of the study: the analysis table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``participant_id``; column ``arm``, then one column per
        ``measure.scale@timepoint`` (with peaks, change from baseline, response and remission,
        and severity-band labels): the values of ``scores.csv``.

    Raises
    ------
    DataValidationError
        When the data fail validation (its ``report`` has every problem).
    ConfigError
        For a bad study file or a missing data file.
    """
    prepared = prepare(study, policy=policy, responses=responses, participants=participants)
    return prepared.table.to_frame().set_index("participant_id")


def analyze(
    study: Study | str | Path,
    *,
    responses: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    policy: Policy | None = None,
    progress: Callable[[str], None] | None = None,
) -> Results:
    """Run the whole analysis plan of the study.

    Parameters
    ----------
    study : Study or path
        A loaded study (:func:`load_study`), or the path of a study file or its folder.
    responses, participants : pandas.DataFrame, optional
        Item responses in the documented long format and a participants table, in place of
        the files the study names. Rows are validated exactly as file rows are; a problem's
        "file" is ``<responses DataFrame>`` and its row the position (``iloc``).
    policy : {"strict", "lenient"}, optional
        The validation policy; the study's ``[data] policy`` by default.
    progress : callable, optional
        Called with a short plain message (``"mixed models"``) as each step starts: reading
        and validating the data, then each analysis family. For a progress display.

    Returns
    -------
    Results
        Frozen; one typed attribute per family. The seed is the study's ``[analysis] seed``,
        so the same inputs give the same results.

    Raises
    ------
    DataValidationError
        When the data fail validation; its ``report`` holds every problem.
    ConfigError
        For a bad study file, a missing data file or an unknown variable in the plan.
    """
    if progress is not None:
        progress("reading and validating the data")
    prepared = prepare(study, policy=policy, responses=responses, participants=participants)
    _check_plan_has_data(prepared)
    families = run_plan(
        prepared.study,
        prepared.table,
        responses=prepared.validated.responses,
        keys=prepared.keys,
        progress=progress,
    )
    report = prepared.validated.report
    notes = score_notes(prepared.scores, prepared.study, prepared.keys)
    extra = [*resample_warnings(prepared.study), *note_warnings(notes, prepared.study.path)]
    report = replace(report, problems=(*report.problems, *extra))
    return Results(
        **{name: getattr(families, name) for name in families.__dataclass_fields__},
        study=prepared.study,
        keys=prepared.keys,
        table=prepared.table,
        qc=report,
        inputs=prepared.raw.inputs,
        study_sha256=_study_hash(prepared.study),
        score_notes=notes,
    )
