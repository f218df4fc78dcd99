"""``patalliance pool``: pool several trials' results, a CSV of study-level effects, or a
bundled example.

A thin shell over :func:`patalliance.pool.run.run_pool` and
:func:`patalliance.pool.report.write_pool_outputs`. Registered in ``cli/main.py`` by
:func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from patalliance.cli._common import console, escape, handle_errors, interruptible_command

__all__ = ["pool_command", "register"]


@handle_errors
@interruptible_command
def pool_command(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Several trials' results.json (with --plan), or one CSV of study-level effects.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("patalliance-pool"),
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="pool.toml: which result to pool, per-trial mapping, options."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method", help="τ² estimator: REML (default), DL or PM.", show_default=False
        ),
    ] = None,
    hksj: Annotated[
        bool | None,
        typer.Option(
            "--hksj/--no-hksj",
            help="Hartung–Knapp–Sidik–Jonkman interval for the pooled effect.",
            show_default=False,
        ),
    ] = None,
    confidence_level: Annotated[
        float | None,
        typer.Option(
            "--confidence-level", help="Level of every interval (default 0.95).", show_default=False
        ),
    ] = None,
    g_convention: Annotated[
        str | None,
        typer.Option(
            "--g-convention",
            help="Hedges' g from means/SDs: exact (default) or metapsy.",
            show_default=False,
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="Run a bundled example: psilocybin-depression or alliance.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Random-effects pooling: pool_results.json, report.html and tables (CSV, XLSX, DOCX).

    Exit codes: 0 success, 1 an input file failed validation, 2 a usage or configuration error.
    """
    from patalliance.pool.plan import load_plan
    from patalliance.pool.report import write_pool_outputs
    from patalliance.pool.run import run_pool
    from patalliance.pool.text import summary_sentences
    from patalliance.safe_output import StagedFolder, refuse_unsafe_output

    result = run_pool(
        inputs or [],
        plan=plan,
        example=example,
        method=method,
        hksj=hksj,
        confidence_level=confidence_level,
        g_convention=g_convention,
    )
    sources = [*(inputs or []), *([plan] if plan is not None else [])]
    if plan is not None:
        loaded = load_plan(plan)
        sources += [loaded.base_dir / spec.file for spec in loaded.inputs]
    refuse_unsafe_output(out, sources, option="--out", beside_ok=True)
    with StagedFolder(out) as staged:
        written = write_pool_outputs(result, staged.path)
        staged.commit()
    files = {name: staged.final(path) for name, path in written.items()}
    console.print(f"[bold]{escape(result.title)}[/]")
    for line in summary_sentences(result):
        console.print(escape(line))
    for name in ("pool_results.json", "report.html", "tables/tables.xlsx", "tables/tables.docx"):
        console.print(f"  {name}: {escape(files[name])}")
    console.print(f"  tables: {escape(Path(out) / 'tables')}")


def register(app: typer.Typer) -> None:
    """Add ``pool`` to the ``patalliance`` command."""
    app.command("pool")(pool_command)
