"""Writing one analysis into an output folder: what ``patalliance analyze`` writes.

``results.json`` (built here from the typed results, and only here), ``scores.csv``,
``qc_report.json``, the unrounded CSV tables and, unless ``report=False``, ``report.html``
with ``tables/tables.xlsx``, ``tables/tables.docx`` and the formatted ``paper_*.csv`` tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from patalliance.analysis.results import AnalysisResults
from patalliance.document import build_document, dumps
from patalliance.errors import ConfigError
from patalliance.qc import ValidationReport
from patalliance.safe_cells import write_csv

__all__ = ["ensure_dir", "write_outputs", "write_qc_report"]

#: Files a previous run may have left at the top of the output folder.
_TOP_LEVEL = ("results.json", "scores.csv", "report.html")


def ensure_dir(out_dir: Path) -> None:
    """Create ``out_dir`` (and its parents), or raise ConfigError naming it."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out_dir}: cannot create the output folder ({exc.strerror}).") from None


def clear_previous_outputs(out_dir: Path) -> None:
    """Remove the outputs an earlier run left in ``out_dir``.

    A stale ``results.json`` or ``report.html`` next to this run's files (after a run that
    fails validation, or with ``--no-report``) would pass for current results. Only the files
    ``analyze`` writes are removed: the top-level outputs and the CSV/XLSX/DOCX in ``tables/``.
    """
    if not out_dir.is_dir():
        return
    stale = [out_dir / name for name in _TOP_LEVEL]
    stale.append(out_dir / "private" / "label_key.csv")
    tables = out_dir / "tables"
    if tables.is_dir():
        stale += [*sorted(tables.glob("*.csv")), tables / "tables.xlsx", tables / "tables.docx"]
    for path in stale:
        if path.is_file():
            path.unlink()


def write_qc_report(report: ValidationReport, out_dir: Path) -> Path:
    """Write ``qc_report.json`` of data that failed validation, clearing stale results."""
    ensure_dir(out_dir)
    clear_previous_outputs(out_dir)
    path = out_dir / "qc_report.json"
    report.write(path)
    return path


def write_tables_csv(results: AnalysisResults, folder: Path) -> dict[str, Path]:
    """Unrounded CSV tables of the paper's families and the QC problems."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "descriptives": results.descriptives.to_frame(),
        "descriptives_by_arm": results.descriptives.by_arm_frame(),
        "change": results.change.to_frame(),
        "correlations": results.correlations.to_frame(),
        "qc_problems": results.qc.to_frame(),
    }
    files: dict[str, Path] = {}
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        write_csv(frame, path, index=False)
        files[f"tables/{name}.csv"] = path
    return files


def write_outputs(
    results: AnalysisResults,
    out_dir: str | Path,
    *,
    report: bool = True,
    show_ids: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write every output of ``results`` into ``out_dir``; return the paths by output name.

    The report and its tables name no participant or facilitator unless ``show_ids``; the key
    from their labels to the ids is ``private/label_key.csv``.
    """
    out = Path(out_dir)
    say = progress or (lambda message: None)
    ensure_dir(out)
    clear_previous_outputs(out)
    files: dict[str, Path] = {}
    (out / "results.json").write_text(dumps(build_document(results)), encoding="utf-8")
    files["results.json"] = out / "results.json"
    write_csv(results.table.to_frame(), out / "scores.csv", index=False)
    files["scores.csv"] = out / "scores.csv"
    results.qc.write(out / "qc_report.json")
    files["qc_report.json"] = out / "qc_report.json"
    files.update(write_tables_csv(results, out / "tables"))
    if report:
        say("writing the report")
        from patalliance.report import write_report

        files.update(write_report(results, out, show_ids=show_ids))
    return files
