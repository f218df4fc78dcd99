"""Writing one analysis into an output folder: what ``patalliance analyze`` writes.

``results.json`` (built here from the typed results, and only here), ``scores.csv``,
``qc_report.json``, the unrounded CSV tables and, unless ``report=False``, ``report.html``
with ``tables/tables.xlsx``, ``tables/tables.docx`` and the formatted ``paper_*.csv`` tables;
``manifest.json`` lists them (``patalliance.safe_output``, docs/outputs.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from patalliance.analysis.results import AnalysisResults
from patalliance.document import build_document, dumps
from patalliance.qc import ValidationReport
from patalliance.safe_cells import write_csv
from patalliance.safe_output import MANIFEST, StagedFolder

__all__ = ["placed", "write_outputs", "write_outputs_into", "write_qc_report"]


def write_qc_report(report: ValidationReport, folder: Path) -> Path:
    """Write ``qc_report.json`` of data that failed validation into a fresh ``folder``."""
    path = folder / "qc_report.json"
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

    ``out_dir`` may not be, contain or lie in the folder of an input file (``ConfigError``).
    The outputs are written into a temporary sibling folder that replaces ``out_dir`` only
    when complete; a rerun deletes only the files listed in the previous ``manifest.json``
    (docs/outputs.md).
    """
    from patalliance.safe_output import refuse_unsafe_output, study_inputs

    refuse_unsafe_output(out_dir, study_inputs(results.study), option="out_dir")
    with StagedFolder(out_dir) as staged:
        files = write_outputs_into(
            results, staged.path, report=report, show_ids=show_ids, progress=progress
        )
        staged.commit()
    return placed(files, staged)


def placed(files: dict[str, Path], staged: StagedFolder) -> dict[str, Path]:
    """The committed paths of ``files`` (written in ``staged.path``), with ``manifest.json``."""
    return {name: staged.final(path) for name, path in files.items()} | {
        MANIFEST: staged.given / MANIFEST
    }


def write_outputs_into(
    results: AnalysisResults,
    out: Path,
    *,
    report: bool = True,
    show_ids: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write every output of ``results`` into the fresh folder ``out`` (no checks, no swap).

    The report and its tables name no participant or facilitator unless ``show_ids``; the key
    from their labels to the ids is ``private/label_key.csv``.
    """
    say = progress or (lambda message: None)
    files: dict[str, Path] = {}
    (out / "results.json").write_text(dumps(build_document(results)), encoding="utf-8")
    files["results.json"] = out / "results.json"
    write_csv(results.table.to_frame(), out / "scores.csv", index=False)
    files["scores.csv"] = out / "scores.csv"
    if results.score_notes is not None:
        write_csv(results.score_notes, out / "score_notes.csv", index=False)
        files["score_notes.csv"] = out / "score_notes.csv"
    results.qc.write(out / "qc_report.json")
    files["qc_report.json"] = out / "qc_report.json"
    files.update(write_tables_csv(results, out / "tables"))
    if report:
        say("writing the report")
        from patalliance.report import write_report

        files.update(write_report(results, out, show_ids=show_ids))
    return files
