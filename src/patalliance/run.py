"""``analyze``: the whole job from a study file to an output folder.

Writes ``results.json``, ``scores.csv``, ``qc_report.json``, ``tables/`` and (unless
``report=False``) ``report.html``. This is orchestration: computation lives in
:mod:`patalliance.analysis` and presentation in :mod:`patalliance.report`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patalliance.analysis import AnalysisResults, run_analysis
from patalliance.analysis.document import build_document, clean, dumps
from patalliance.analysis.results import records_frame
from patalliance.errors import ConfigError, DataValidationError
from patalliance.pipeline import Prepared, prepare
from patalliance.validate import Policy


@dataclass(frozen=True)
class AnalyzeOutcome:
    prepared: Prepared
    results: AnalysisResults
    document: dict[str, Any]
    out_dir: Path
    files: dict[str, Path]


def _ensure_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out_dir}: cannot create the output folder ({exc.strerror}).") from None


def _clear_previous_outputs(out_dir: Path) -> None:
    """Remove the outputs an earlier run left in ``out_dir``.

    A stale ``results.json`` or ``report.html`` next to this run's files (after a run that
    fails validation, or with ``--no-report``) would pass for current results. Only the files
    ``analyze`` writes are removed: the top-level outputs and the CSV/XLSX/DOCX in ``tables/``.
    """
    if not out_dir.is_dir():
        return
    stale = [out_dir / name for name in ("results.json", "scores.csv", "report.html")]
    tables = out_dir / "tables"
    if tables.is_dir():
        stale += [*sorted(tables.glob("*.csv")), tables / "tables.xlsx", tables / "tables.docx"]
    for path in stale:
        if path.is_file():
            path.unlink()


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


def write_tables_csv(results: AnalysisResults, prepared: Prepared, folder: Path) -> dict[str, Path]:
    """Unrounded CSV tables of every result family."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    frames = {
        "descriptives": records_frame(results.descriptives),
        "descriptives_by_arm": records_frame(results.descriptives_by_arm),
        "change": records_frame(results.change),
        "correlations": records_frame(results.correlations),
        "qc_problems": prepared.validated.report.to_frame(),
    }
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        files[f"tables/{name}.csv"] = path
    return files


def analyze(
    study_path: str | Path,
    out_dir: str | Path,
    *,
    policy: Policy | None = None,
    report: bool = True,
    progress: Callable[[str], None] | None = None,
    annotate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> AnalyzeOutcome:
    """Run the whole analysis of a study and write every output into ``out_dir``.

    ``annotate``, when given, receives the results document and returns extra top-level
    sections to add to it (the demo adds ``reproduction``) before anything is written.

    Raises
    ------
    DataValidationError
        When the data fail validation; ``qc_report.json`` is written first.
    ConfigError
        For configuration errors (bad study file, unknown variables, missing data files).
    """
    out = Path(out_dir)
    say = progress or (lambda message: None)
    say("reading and validating the data")
    try:
        prepared = prepare(study_path, policy=policy)
        _check_plan_has_data(prepared)
    except DataValidationError as exc:
        if exc.report is not None:
            _ensure_dir(out)
            _clear_previous_outputs(out)
            exc.report.write(out / "qc_report.json")
            raise DataValidationError(
                f"{exc} The full QC report is in {out / 'qc_report.json'}.", exc.report
            ) from None
        raise
    say("running the analysis plan")
    results = run_analysis(prepared.study, prepared.table)
    document = build_document(prepared, results)
    if annotate is not None:
        document.update(clean(annotate(document)))
    _ensure_dir(out)
    _clear_previous_outputs(out)
    files: dict[str, Path] = {}
    (out / "results.json").write_text(dumps(document), encoding="utf-8")
    files["results.json"] = out / "results.json"
    prepared.table.to_frame().to_csv(out / "scores.csv", index=False)
    files["scores.csv"] = out / "scores.csv"
    prepared.validated.report.write(out / "qc_report.json")
    files["qc_report.json"] = out / "qc_report.json"
    files.update(write_tables_csv(results, prepared, out / "tables"))
    if report:
        say("writing the report")
        from patalliance.report import write_report

        files.update(write_report(prepared, results, document, out))
    return AnalyzeOutcome(prepared, results, document, out, files)
