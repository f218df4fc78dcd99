"""Entry point of the ``patalliance`` command (typer + rich)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from patalliance._version import __version__
from patalliance.cli._common import (
    DEBUG,
    console,
    err_console,
    escape,
    handle_errors,
    interruptible_command,
)
from patalliance.cli._help import use_plain_help
from patalliance.cli._tables import keep_words_whole
from patalliance.cli.qc_table import print_problem_table
from patalliance.errors import DataValidationError

if TYPE_CHECKING:
    from patalliance.qc import ValidationReport
    from patalliance.results import Results
    from patalliance.safe_output import StagedFolder
    from patalliance.study import Study

app = typer.Typer(
    name="patalliance",
    help="Therapeutic-alliance analysis for psychedelic-assisted therapy trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"patalliance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Therapeutic-alliance analysis for psychedelic-assisted therapy trials."""
    DEBUG["on"] = debug
    if debug:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        logger = logging.getLogger("patalliance")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


def _print_problems(report: ValidationReport, *, limit: int = 10) -> None:
    errors = report.errors
    for problem in errors[:limit]:
        err_console.print(str(problem), markup=False)
    if len(errors) > limit:
        err_console.print(f"... and {len(errors) - limit} more problem(s).", markup=False)


#: Warnings worth a line on stderr (the rest are in the QC report).
_SHOWN_WARNINGS = {"no_data", "id_unicode_variant", "id_case_variant", "unused_columns"}


def _print_warnings(report: ValidationReport) -> None:
    """Warnings on stderr: measures without data, id spellings, files excluded whole."""
    for problem in report.warnings:
        if problem.code in _SHOWN_WARNINGS:
            err_console.print(f"warning: {problem}", markup=False)
    if report.policy != "lenient":
        return  # under the strict policy a dropped file fails the run and is printed as such
    for entry in report.dropped_files:
        first = next((p for p in report.errors if p.file == entry["path"]), None)
        err_console.print(
            f"warning: {first or entry['path']}; under the lenient policy the whole file is "
            f"excluded ({entry['rows']} rows, counted as read and excluded)",
            markup=False,
        )


def _report_summary(report: ValidationReport) -> None:
    table = Table(title="Quality control", show_header=True)
    table.add_column("rows read", justify="right")
    table.add_column("rows used", justify="right")
    table.add_column("rows excluded", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    table.add_row(
        str(report.rows_read),
        str(report.rows_used),
        str(report.rows_excluded),
        str(len(report.errors)),
        str(len(report.warnings)),
    )
    console.print(table)
    for reason, count in report.excluded_by_reason.items():
        console.print(f"  excluded, {escape(reason)}: {count}")


@app.command()
@handle_errors
def instruments() -> None:
    """List the shipped scoring keys, their sources and whether each was verified."""
    from patalliance.instruments.key import builtin_keys

    keys = builtin_keys()
    table = Table(title="Instrument scoring keys (item numbers and scoring only)")
    table.add_column("id")
    table.add_column("instrument")
    table.add_column("items", justify="right")
    table.add_column("scales")
    table.add_column("verified")
    for key in keys.values():
        info = key.instrument
        scales = ", ".join(s.id + ("" if s.verified else " (UNVERIFIED)") for s in key.scales)
        if key.verified_everywhere:
            status = "yes"
        elif info.verified:
            status = "partly: UNVERIFIED scales"
        else:
            status = "NO: UNVERIFIED"
        table.add_row(info.id, info.abbreviation, str(info.n_items), scales, status)
    console.print(table)
    console.print("\nSources:")
    for key in keys.values():
        console.print(f"  {key.id}: {escape(key.instrument.citation)}")
    unverified = [k for k in keys.values() if not k.verified_everywhere]
    if unverified:
        console.print("\nNot verified against the primary source (see docs/instrument-keys.md):")
    for key in unverified:
        console.print(f"  [bold yellow]{key.id}[/]: {escape(key.instrument.verification_note)}")


@app.command(name="validate")
@handle_errors
@interruptible_command
def validate_command(
    study: Path = typer.Argument(..., help="The study file (study.toml) or its folder."),
    report: Path = typer.Option(
        Path("qc_report.json"), "--report", help="Where to write the QC report (.json or .csv)."
    ),
    lenient: bool = typer.Option(
        False, "--lenient", help="Exclude bad rows with a reason instead of failing."
    ),
) -> None:
    """Check the data completely and write a QC report (exit 1 when it fails)."""
    import patalliance as pa
    from patalliance.safe_output import StagedFile, refuse_unsafe_output, study_inputs

    loaded = pa.load_study(study)
    refuse_unsafe_output(report, study_inputs(loaded), option="--report", kind="file")
    with StagedFile(report) as staged:
        qc = pa.validate_data(loaded, policy="lenient" if lenient else None)
        qc.write(staged.path)
        staged.commit()
    _report_summary(qc)
    print_problem_table(qc)
    _print_warnings(qc)
    if not qc.ok:
        _print_problems(qc)
        err_console.print(
            f"error: the data failed validation ({len(qc.errors)} problem(s)); "
            f"the full report is in {report}",
            markup=False,
        )
        # SystemExit, not typer.Exit: handle_errors would report typer.Exit as an internal error.
        raise SystemExit(1)
    console.print(f"QC report written to {escape(report)}")


@app.command()
@handle_errors
@interruptible_command
def score(
    study: Path = typer.Argument(..., help="The study file (study.toml) or its folder."),
    out: Path = typer.Option(..., "--out", help="The CSV file to write (participant × variable)."),
    lenient: bool = typer.Option(False, "--lenient", help="Exclude bad rows instead of failing."),
) -> None:
    """Score every instrument: one row per participant, one column per measure.scale@timepoint."""
    import patalliance as pa
    from patalliance.pipeline import prepare
    from patalliance.safe_output import StagedFile, refuse_unsafe_output, study_inputs

    loaded = pa.load_study(study)
    qc_path = out.with_name(out.stem + "_qc.json")
    for path in (out, qc_path):
        refuse_unsafe_output(path, study_inputs(loaded), option="--out", kind="file")
    with StagedFile(out) as staged:
        try:
            prepared = prepare(loaded, policy="lenient" if lenient else None)
            scores = prepared.table.to_frame().set_index("participant_id")  # == pa.score(study)
            _print_warnings(prepared.validated.report)
        except DataValidationError as exc:
            if exc.report is not None:
                with StagedFile(qc_path) as staged_qc:
                    exc.report.write(staged_qc.path)
                    staged_qc.commit()
                _print_problems(exc.report)
                raise DataValidationError(f"{exc} The full report is in {qc_path}.") from None
            raise
        from patalliance.safe_cells import write_csv

        write_csv(scores.reset_index(), staged.path, index=False)
        staged.commit()
    n_vars = sum(1 for c in scores.columns if c != "arm")
    console.print(f"Scored {len(scores)} participants, {n_vars} variables → {escape(out)}")


@app.command(name="analyze")
@handle_errors
@interruptible_command
def analyze_command(
    study: Path = typer.Argument(..., help="The study file (study.toml) or its folder."),
    out: Path = typer.Option(Path("patalliance-out"), "--out", help="Output folder."),
    lenient: bool = typer.Option(False, "--lenient", help="Exclude bad rows instead of failing."),
    no_report: bool = typer.Option(
        False, "--no-report", help="Skip report.html and the Word/Excel tables."
    ),
    show_ids: bool = typer.Option(
        False,
        "--show-ids",
        help="Name participants and facilitators by their ids in the report and tables "
        "(internal use; by default they get labels, with the key in private/label_key.csv).",
    ),
) -> None:
    """The main job: QC, scoring, change in alliance and correlations; results.json and report."""
    import patalliance as pa
    from patalliance.output import placed, write_outputs_into
    from patalliance.safe_output import StagedFolder, refuse_unsafe_output, study_inputs

    loaded = pa.load_study(study)
    refuse_unsafe_output(out, study_inputs(loaded), option="--out")
    with StagedFolder(out) as staged:
        results = _analyze(loaded, staged, policy="lenient" if lenient else None)
        files = write_outputs_into(
            results, staged.path, report=not no_report, show_ids=show_ids, progress=_progress
        )
        staged.commit()
    _print_outcome(results, out, placed(files, staged))


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        err_console.print(f"[dim]{message}…[/]")


def _analyze(study: Study, staged: StagedFolder, *, policy: str | None) -> Results:
    """``patalliance.analyze``; when the data fail validation, put the QC report in place of
    the outputs first and say where it is."""
    import patalliance as pa
    from patalliance.output import write_qc_report

    try:
        results = pa.analyze(study, policy=policy, progress=_progress)  # type: ignore[arg-type]
    except DataValidationError as exc:
        if exc.report is None:
            raise
        path = staged.final(write_qc_report(exc.report, staged.path))
        staged.commit()
        print_problem_table(exc.report)
        raise DataValidationError(f"{exc} The full QC report is in {path}.", exc.report) from None
    return results


def _print_outcome(results: Results, out: Path, files: dict[str, Path]) -> None:
    qc = results.qc
    print_problem_table(qc)
    _print_warnings(qc)
    console.print(
        f"{results.n_participants} participants; rows read {qc.rows_read}, "
        f"used {qc.rows_used}, excluded {qc.rows_excluded}."
    )
    for name, path in files.items():
        if "/" not in name or name.startswith("tables/tables."):
            console.print(f"  {name}: {escape(path)}")
    console.print(f"  tables: {escape(out / 'tables')}")


@app.command()
@handle_errors
@interruptible_command
def demo(
    out: Path = typer.Option(Path("patalliance-demo"), "--out", help="Output folder."),
    no_report: bool = typer.Option(
        False, "--no-report", help="Skip report.html and Word/Excel tables."
    ),
    show_ids: bool = typer.Option(
        False, "--show-ids", help="Name participants and facilitators by their ids in the report."
    ),
) -> None:
    """The whole analysis on the bundled SYNTHETIC trial, compared with the published results."""
    from patalliance.demo import run_demo
    from patalliance.output import placed, write_outputs_into
    from patalliance.safe_output import StagedFolder

    console.print(
        "Demo trial levin2024: [bold]synthetic data[/] calibrated to Levin et al. (2024) "
        "PLoS One 19(3):e0300501 and Davis et al. (2021) JAMA Psychiatry 78(5):481-489."
    )
    with StagedFolder(out) as staged:
        results, comparisons = run_demo(staged.path)
        written = write_outputs_into(
            results, staged.path, report=not no_report, show_ids=show_ids, progress=_progress
        )
        staged.commit()
    files = placed(written, staged)
    table = Table(title="Published vs reproduced")
    table.add_column("")
    table.add_column("target")
    table.add_column("published")
    table.add_column("reproduced")
    for c in comparisons:
        mark = "[green]✔[/]" if c.ok else "[red]✘[/]"
        table.add_row(
            mark,
            escape(c.target),
            escape(c.published),
            escape(c.reproduced + (f" ({c.reason})" if c.reason else "")),
        )
    console.print(keep_words_whole(table, width=console.width))
    met = sum(c.ok for c in comparisons)
    console.print(f"{met} of {len(comparisons)} published targets reproduced.")
    if met < len(comparisons):
        err_console.print(
            f"warning: {len(comparisons) - met} target(s) not reproduced; see the table above.",
            markup=False,
        )
    _print_outcome(results, out, files)


@app.command(name="export")
@handle_errors
@interruptible_command
def export_command(
    study: Path = typer.Argument(..., help="The study file (study.toml) or its folder."),
    to: str = typer.Option(
        ..., "--to", help="redcap, wide-csv, xlsx, sav, dta, xpt or sdtm (with ADaM adqs.csv)."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder (gets the data and a study.toml)."),
    lenient: bool = typer.Option(False, "--lenient", help="Exclude bad rows instead of failing."),
) -> None:
    """Write the study's validated data in another format, with a study.toml that reads it."""
    import patalliance as pa
    from patalliance.export import export_study
    from patalliance.safe_output import refuse_unsafe_output, study_inputs

    loaded = pa.load_study(study)
    refuse_unsafe_output(out, study_inputs(loaded), option="--out")
    files = export_study(loaded, to=to, out=out, policy="lenient" if lenient else None)
    for path in files:
        console.print(f"  {escape(path)}")
    console.print(f"Exported to {escape(to)}: {escape(out / 'study.toml')}")


@app.command(name="init")
@handle_errors
def init_command(
    folder: Path = typer.Argument(..., help="The folder to create the study in."),
    from_redcap: Path | None = typer.Option(
        None, "--from-redcap", help="Draft the study from this REDCap data dictionary (CSV)."
    ),
    records: Path | None = typer.Option(
        None, "--records", help="With --from-redcap: the records export, to infer events and arms."
    ),
    force: bool = typer.Option(
        False, "--force", help="Overwrite existing files: study.toml and the data files it writes."
    ),
) -> None:
    """Write a template study with example data, or draft one from a REDCap data dictionary."""
    import shutil
    from importlib import resources

    from patalliance.errors import ConfigError

    target = folder / "study.toml"
    copies = [p for p in (from_redcap, records) if p is not None]
    writes = [target, *(folder / n for n in ("responses.csv", "participants.csv"))]
    if from_redcap is not None:  # a file already in the folder is not copied onto itself
        writes = [target, *(folder / p.name for p in copies if p.exists())]
        writes = [
            w for w in writes if w == target or w.resolve() not in {p.resolve() for p in copies}
        ]
    existing = [str(w) for w in writes if w.exists() or w.is_symlink()]
    if existing and not force:
        raise ConfigError(
            f"{', '.join(existing)}: already exist{'s' if len(existing) == 1 else ''}, and init "
            f"would overwrite {'it' if len(existing) == 1 else 'them'}; choose another folder, "
            "or pass --force to overwrite."
        )
    folder.mkdir(parents=True, exist_ok=True)
    if from_redcap is None:
        demo_dir = resources.files("patalliance") / "data" / "levin2024"
        for name in ("study.toml", "responses.csv", "participants.csv"):
            with resources.as_file(demo_dir / name) as source:
                shutil.copyfile(source, folder / name)
        home = folder.resolve()
        console.print(
            f"Template study with synthetic example data written to {escape(folder)}; "
            f"run: patalliance analyze {escape(target)} --out {escape(home.parent / home.name)}-out"
        )
        return
    from patalliance.io.redcap import draft_study

    if not from_redcap.exists():
        raise ConfigError(f"{from_redcap}: data dictionary not found.")
    if records is not None and not records.exists():
        raise ConfigError(f"{records}: records file not found.")
    draft = draft_study(from_redcap, records=records)
    for source in (p for p in (from_redcap, records) if p is not None):
        if source.resolve() != (folder / source.name).resolve():
            shutil.copyfile(source, folder / source.name)
    target.write_text(draft.text, encoding="utf-8")
    console.print(f"Drafted {escape(target)}.")
    for line in draft.inferred:
        console.print(f"  inferred: {escape(line)}")
    for line in draft.not_inferred:
        console.print(f"  [bold yellow]not inferred:[/] {escape(line)}")


def _register_subcommands() -> None:
    from patalliance.cli.app import app_command
    from patalliance.cli.power import power_app
    from patalliance.cli.simulate import simulate_command

    app.command("app")(app_command)
    app.command("simulate")(simulate_command)
    app.add_typer(power_app, name="power")

    from patalliance.pool.cli import register as register_pool

    register_pool(app)
    use_plain_help(app)


_register_subcommands()
